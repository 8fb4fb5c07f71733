"""Settings from mkdocs.yml: defaults, MkDocs' own YAML tags tolerated, every bad option named."""

from __future__ import annotations

from pathlib import Path

import pytest

from clipportal.errors import CatalogError
from clipportal.settings import DEFAULT_TOPICS, load_settings, settings_from_mapping

CONFIG = """site_name: テスト
theme:
  name: material
  language: ja
markdown_extensions:
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
plugins:
  - search: {}
  - clipportal:
      topics:
        flow-mapping: 業務フローの可視化
        other: その他
      ladder:
        - {height: 720, crf: 25, maxrate_kbps: 3000, label: 高画質}
        - {height: 360}
      loudness_lufs: false
"""


def test_defaults_without_configuration(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.topics == DEFAULT_TOPICS and settings.language == "ja"
    assert [r.height for r in settings.ladder] == [360, 720]


def test_options_from_mkdocs_yml_with_python_tags(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text(CONFIG, encoding="utf-8")
    settings = load_settings(tmp_path)
    assert list(settings.topics) == ["flow-mapping", "other"]
    assert [(r.height, r.label) for r in settings.ladder] == [(360, "360p"), (720, "高画質")]
    assert settings.loudness_lufs is None


def test_every_bad_option_is_reported() -> None:
    with pytest.raises(CatalogError) as info:
        settings_from_mapping({"topcs": {}, "preset": "warp", "ladder": [{"height": 361}],
                               "hls": "yes", "poster_widths": [0]})
    text = str(info.value)
    for expected in ("unknown clipportal option 'topcs'", "unknown x264 preset 'warp'",
                     "even numbers", "'hls' has the wrong type", "poster_widths"):
        assert expected in text


def test_the_plugin_and_the_cli_agree_on_the_site_folder(tmp_path: Path) -> None:
    from clipportal.settings import effective_site_dir, read_site_dir

    root = tmp_path.resolve()
    assert read_site_dir(root) == root / "build" / "site"  # no mkdocs.yml
    for given, expected in (("site", "build/site"), ("./site", "build/site"),
                            ("out/html", "out/html")):
        (root / "mkdocs.yml").write_text(f"site_name: x\nsite_dir: {given}\n", encoding="utf-8")
        assert read_site_dir(root) == root / expected
        assert effective_site_dir(root, Path(given)) == root / expected


@pytest.mark.parametrize(("text", "line", "words"), [
    ("site_name: x\nplugins:\n  - clipportal：\n      topics: {}\n", 3, "full-width colon"),
    ("site_name： x\nplugins:\n  - clipportal\n", 1, "full-width colon"),
    ("site_name: x\nplugins: [clipportal\n", 2, "never closed"),
    ("site_name: x\n\ttheme: material\n", 2, "tab"),
])
def test_a_broken_mkdocs_yml_is_named_in_plain_words_with_its_line(
        tmp_path: Path, text: str, line: int, words: str) -> None:
    (tmp_path / "mkdocs.yml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_settings(tmp_path)
    (problem,) = info.value.problems
    assert (problem.path, problem.line) == ("mkdocs.yml", line) and words in problem.format()
    assert "Error" not in problem.format() and "<" not in problem.format()


def test_a_mkdocs_yml_that_is_not_utf8_says_so(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_bytes("site_name: テスト\n".encode("cp932"))
    with pytest.raises(CatalogError) as info:
        load_settings(tmp_path)
    (problem,) = info.value.problems
    assert problem.message == "the site configuration is not UTF-8 text" and problem.line == 1


def test_two_topics_with_one_name_are_refused() -> None:
    """Clip files may name their topic in Japanese, so each name must lead to one topic."""
    with pytest.raises(CatalogError, match="two clipportal topics are named '職員の声'"):
        settings_from_mapping({"topics": {"a": "職員の声", "b": "職員の声 "}})


def test_clipportal_options_that_are_not_a_mapping_are_explained(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("plugins:\n  - clipportal:\n      topics：\n",
                                         encoding="utf-8")
    with pytest.raises(CatalogError, match="not written as `name: value` lines"):
        load_settings(tmp_path)
