"""Running MkDocs (site/mkdocs_build.py): finding the project, refusing a config without the
plugin, telling a built site from a project, the preview address and the byte ranges the
preview server answers (the Range requests themselves are in test_serve.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_mkdocs_plugin import project

from clipportal.errors import CatalogError
from clipportal.site.mkdocs_build import (
    UNSATISFIABLE,
    ByteRange,
    build_site,
    byte_range,
    config_file,
    is_built_site,
    parse_address,
)


def test_a_folder_without_mkdocs_yml_is_not_a_project(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"no mkdocs\.yml in this folder"):
        config_file(tmp_path)
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n", encoding="utf-8")
    assert config_file(tmp_path) == tmp_path / "mkdocs.yml"


def test_a_build_without_the_plugin_enabled_is_refused_before_mkdocs_runs(
        tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n", encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        build_site(tmp_path)
    assert "add `- clipportal` under `plugins:`" in info.value.problems[0].format()
    assert not (tmp_path / "site").exists()


def test_a_built_site_is_told_from_a_project(tmp_path: Path) -> None:
    assert not is_built_site(tmp_path)
    (tmp_path / "index.html").write_text("<html></html>", encoding="utf-8")
    assert is_built_site(tmp_path)
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n", encoding="utf-8")
    assert not is_built_site(tmp_path)  # a project with an index.html of its own


@pytest.mark.parametrize(("text", "address"), [
    ("127.0.0.1:8000", ("127.0.0.1", 8000)), ("8001", ("127.0.0.1", 8001)),
    ("0.0.0.0:0", ("0.0.0.0", 0)), ("[::1]:8000", ("::1", 8000)),
    ("localhost:65535", ("localhost", 65535)),
])
def test_preview_addresses(text: str, address: tuple[str, int]) -> None:
    assert parse_address(text) == address


@pytest.mark.parametrize("text", [":8000", "host:", "host:port", "host:65536", ""])
def test_bad_preview_addresses_say_how_to_write_one(text: str) -> None:
    with pytest.raises(CatalogError, match="HOST:PORT"):
        parse_address(text)


@pytest.mark.parametrize(("header", "wanted"), [
    ("bytes=0-99", ByteRange(0, 99)), ("bytes=100-", ByteRange(100, 999)),
    ("bytes=900-5000", ByteRange(900, 999)), ("bytes=-100", ByteRange(900, 999)),
    ("bytes=-5000", ByteRange(0, 999)), (" bytes=0-0 ", ByteRange(0, 0)),
    ("bytes=1000-", UNSATISFIABLE), ("bytes=-0", UNSATISFIABLE),
    ("bytes=5-1", None), ("bytes=-", None), ("bytes=0-1,5-9", None), ("items=0-1", None),
])
def test_byte_ranges_of_a_1000_byte_file(header: str, wanted: ByteRange | None) -> None:
    assert byte_range(header, 1000) == wanted


def test_a_suffix_range_of_an_empty_file_cannot_be_satisfied() -> None:
    assert byte_range("bytes=-10", 0) is UNSATISFIABLE


@pytest.mark.slow
def test_a_portal_without_clips_builds_its_pages_and_search(tmp_path: Path) -> None:
    root = project(tmp_path)
    for folder in ("videos", "captions"):
        (root / folder).mkdir()
    site = build_site(root)
    assert site == root / "build" / "site"  # MkDocs' default site/ moves under build/
    assert (site / "topics" / "goal-setting" / "index.html").is_file()
    assert (site / "search" / "index.html").is_file() and (site / "pagefind").is_dir()
    assert 'href="/' not in (site / "404.html").read_text(encoding="utf-8")


def test_the_preview_watches_the_theme_overrides_and_the_clips(tmp_path: Path) -> None:
    """A saved template override is an input of every page (see `settings.source_folders`),
    so `clipportal serve` rebuilds on it, as on docs/, videos/, captions/ and mkdocs.yml."""
    from test_mkdocs_plugin import configured

    from clipportal.site.mkdocs_build import _watch

    for folder in ("docs", "videos", "captions", "overrides"):
        (tmp_path / folder).mkdir()
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: テスト\ntheme:\n  name: material\n  language: ja\n  custom_dir: overrides\n"
        "plugins:\n  - clipportal\n", encoding="utf-8")
    config, _ = configured(tmp_path)
    watched: list[Path] = []

    class Watcher:  # the live-reload server's side of `watch`, recorded
        def watch(self, path: str) -> None:
            watched.append(Path(path).resolve())

    _watch(Watcher(), config, lambda: None)  # type: ignore[arg-type]
    assert {tmp_path.resolve() / name for name in ("docs", "videos", "captions", "overrides",
                                                   "mkdocs.yml")} <= set(watched)
