"""The MkDocs adapter (site/mkdocs_plugin.py) with real MkDocs configuration and files, but
media prepared by hand (no ffmpeg): options, nav, theme, generated files, the site folder
guard, the 404 rewrite and the order of the post-build steps."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, PluginCollection
from mkdocs.structure.files import Files, get_files
from test_pages import FULL, MINIMAL

from clipportal.pipeline import Prepared
from clipportal.site.mkdocs_plugin import (
    ASSETS,
    LINKED_ASSETS,
    ClipportalPlugin,
    _check_site_dir,
    _relative_404,
)
from clipportal.site.offline import SCRIPT as OFFLINE_SCRIPT

MKDOCS_YML = ("site_name: テスト\ntheme:\n  name: material\n  language: ja\n"
              "plugins:\n  - clipportal:\n      topics: {goal-setting: 目標設定, testimonials: "
              "職員の声}\n")


def project(root: Path, extra: str = "", docs: tuple[str, ...] = ()) -> Path:
    (root / "docs").mkdir(parents=True)
    for name in docs:
        (root / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "docs" / name).write_text(f"# {name}\n", encoding="utf-8")
    (root / "mkdocs.yml").write_text(MKDOCS_YML + extra, encoding="utf-8")
    return root


def configured(root: Path) -> tuple[MkDocsConfig, ClipportalPlugin]:
    """mkdocs.yml read by MkDocs and passed through the startup and config events."""
    config = load_config(config_file=str(root / "mkdocs.yml"))
    config.plugins.on_startup(command="build", dirty=False)
    config = config.plugins.on_config(config)
    plugin = config.plugins["clipportal"]
    assert isinstance(plugin, ClipportalPlugin)
    return config, plugin


def generated_files(root: Path) -> tuple[MkDocsConfig, Files]:
    config, plugin = configured(root)
    plugin.prepared = Prepared((FULL, MINIMAL), (), 0, 2)  # as the CLI hands it over
    return config, config.plugins.on_files(get_files(config), config=config)


def test_options_reach_the_settings_and_a_bad_one_is_a_plugin_error(tmp_path: Path) -> None:
    _, plugin = configured(project(tmp_path / "ok"))
    assert plugin.settings is not None
    assert list(plugin.settings.topics) == ["goal-setting", "testimonials"]
    bad = project(tmp_path / "bad", "      topics: {a: 同じ, b: 同じ}\n")
    with pytest.raises(PluginError, match="topics"):
        configured(bad)


def test_nav_is_home_topics_docs_pages_and_search_without_clips(tmp_path: Path) -> None:
    config, _ = configured(project(tmp_path, docs=("index.md", "guide.md", "help/faq.md")))
    assert config.nav == ["index.md", {"トピック": [{"目標設定": "topics/goal-setting.md"},
                                                   {"職員の声": "topics/testimonials.md"}]},
                          "guide.md", "help/faq.md", {"保存済み": "offline.md"},
                          {"検索": "search.md"}]
    assert config.not_in_nav is not None and config.not_in_nav.match_file("clips/x.md")


def test_a_hand_written_nav_is_kept(tmp_path: Path) -> None:
    config, _ = configured(project(tmp_path, "nav:\n  - index.md\n", docs=("index.md",)))
    assert config.nav == ["index.md"]


def test_theme_makes_no_third_party_requests_and_loads_our_overrides_and_assets(
        tmp_path: Path) -> None:
    config, plugin = configured(project(tmp_path))
    assert config.theme["font"] is False and config.extra["generator"] is False
    overrides = str(Path(sys.modules[ClipportalPlugin.__module__].__file__ or "").parent
                    / "overrides")
    assert config.theme.dirs[0] == overrides
    plugin.on_config(config)  # `mkdocs serve` runs it again on every rebuild
    assert config.theme.dirs.count(overrides) == 1
    linked = [str(x) for x in [*config.extra_css, *config.extra_javascript]]
    # offline viewing (on by default) adds its own script, deferred, to every page
    assert sorted(linked) == sorted([*LINKED_ASSETS, OFFLINE_SCRIPT])


def test_a_custom_dir_stays_first_and_an_own_generator_setting_is_kept(tmp_path: Path) -> None:
    root = project(tmp_path, "extra:\n  generator: true\n")
    (root / "mkdocs.yml").write_text((root / "mkdocs.yml").read_text(encoding="utf-8").replace(
        "  language: ja\n", "  language: ja\n  custom_dir: mine\n"), encoding="utf-8")
    (root / "mine").mkdir()
    config, _ = configured(root)
    assert config.theme.dirs[0] == str(root / "mine")
    assert config.theme.dirs[1].endswith("overrides") and config.extra["generator"] is True


def test_generated_pages_media_tracks_and_assets(tmp_path: Path) -> None:
    _, files = generated_files(project(tmp_path))
    uris = {f.src_uri for f in files}
    assert {"index.md", "search.md", "topics/goal-setting.md", "topics/testimonials.md",
            "clips/goal-setting-basics.md", "clips/goal-realistic-target.md", *ASSETS} <= uris
    for item in (FULL, MINIMAL):
        media = {f"{item.media_dir}/{name}" for name in item.media.file_names()}
        assert media <= uris and {t.path for t in item.tracks} <= uris
    home = files.get_file_from_path("index.md")
    assert home is not None and "<!-- clipportal:home -->" in home.content_string
    clip_page = files.get_file_from_path("clips/goal-setting-basics.md")
    assert clip_page is not None and "目標設定の基本" in clip_page.content_string


def test_an_own_home_page_is_kept(tmp_path: Path) -> None:
    _, files = generated_files(project(tmp_path, docs=("index.md",)))
    home = files.get_file_from_path("index.md")
    assert home is not None and home.generated_by is None


@pytest.mark.parametrize("site_dir", ["build/site", "public"])
def test_a_folder_of_its_own_inside_the_project_is_a_site_folder(tmp_path: Path,
                                                                  site_dir: str) -> None:
    _check_site_dir(tmp_path / site_dir, tmp_path)


@pytest.mark.parametrize("site_dir", [".", "docs", "videos", "captions", "..", "/tmp",
                                      ".git", "src"])
def test_the_project_its_sources_and_outside_are_refused(tmp_path: Path, site_dir: str) -> None:
    with pytest.raises(PluginError, match="folder of its own inside the project"):
        _check_site_dir(tmp_path / site_dir, tmp_path)


MATERIAL_404 = ('<a href="/">home</a><link href="/assets/x.css"><script src="/js/a.js">'
                '</script><form action="/search/"></form><a href="//cdn.example/x">cdn</a>'
                '<a href="https://example.jp/">out</a><a href=".">up</a>'
                '<script id="__config">{"base": "/"}</script>'
                '<script>__md_scope=new URL("/",location)</script>')


def test_the_404_page_gets_relative_urls(tmp_path: Path) -> None:
    page = tmp_path / "404.html"
    page.write_text(MATERIAL_404, encoding="utf-8")
    _relative_404(page)
    assert page.read_text(encoding="utf-8") == (
        '<a href="">home</a><link href="assets/x.css"><script src="js/a.js">'
        '</script><form action="search/"></form><a href="//cdn.example/x">cdn</a>'
        '<a href="https://example.jp/">out</a><a href="./">up</a>'
        '<script id="__config">{"base": "."}</script>'
        '<script>__md_scope=new URL(".",location)</script>')
    _relative_404(tmp_path / "missing.html")  # a theme without a 404 page: nothing to do


class _LateWriter(BasePlugin):  # type: ignore[type-arg,no-untyped-call]
    """Another plugin a portal might add, writing the 404 page in its own post-build step."""

    def on_post_build(self, config: MkDocsConfig) -> None:
        (Path(config.site_dir) / "404.html").write_text(MATERIAL_404, encoding="utf-8")


def test_post_build_steps_run_after_every_other_plugin(tmp_path: Path) -> None:
    config, _ = configured(project(tmp_path))
    ordered = PluginCollection()
    ordered["clipportal"] = config.plugins["clipportal"]  # registered first, still runs last
    ordered["late-writer"] = _LateWriter()
    site = Path(config.site_dir)
    site.mkdir(parents=True)
    (site / "index.html").write_text("<html lang=ja><body><main>ホーム</main></body></html>",
                                     encoding="utf-8")
    ordered.on_post_build(config=config)
    assert 'href="/"' not in (site / "404.html").read_text(encoding="utf-8")
    assert (site / "pagefind").is_dir()


def test_importing_the_plugin_leaves_logging_alone() -> None:
    """No import-time side effect: `--verbose` debug lines must not vanish once MkDocs loads
    the plugin."""
    script = ("import logging, clipportal.site.mkdocs_plugin\n"
              "print(logging.getLogger('clipportal').level)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    assert int(result.stdout) == logging.NOTSET

