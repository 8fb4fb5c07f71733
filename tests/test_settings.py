"""Settings from mkdocs.yml: defaults, MkDocs' own YAML tags tolerated, every bad option named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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


# One value of each option as an editor would write it, and what Settings then holds.
WRITTEN: dict[str, tuple[object, object]] = {
    "topics": ({"other": "その他"}, {"other": "その他"}),
    "ladder": ([{"height": 480}], "480p"),
    "preset": ("slow", "slow"),
    "gop_seconds": (2, 2),
    "audio_kbps": (128, 128),
    "loudness_lufs": (False, None),
    "poster_widths": ([640, 320], (320, 640)),
    "hls": (True, True),
    "max_duration_s": (60, 60),
    "max_source_mb": (10.5, 10.5),
    "max_source_height": (1080, 1080),
    "max_cps": (4, 4),
    "jobs": (3, 3),
    "offline": (False, False),
    "offline_rendition": ("720p", "720p"),
    "media_url": ("https://media.example.jp/p", "https://media.example.jp/p/"),
    "scheduler": ("tcp://127.0.0.1:8786", "tcp://127.0.0.1:8786"),
}


def test_mkdocs_and_the_settings_loader_read_the_same_options() -> None:
    """The plugin's MkDocs schema is made from the Settings declarations: the same names,
    and every value the loader takes gets through MkDocs unchanged."""
    from clipportal.settings import OPTIONS
    from clipportal.site.mkdocs_plugin import ClipportalPlugin

    assert [name for name, _ in ClipportalPlugin.config_class._schema] == list(OPTIONS)
    assert set(WRITTEN) == set(OPTIONS)
    plugin = ClipportalPlugin()
    errors, warnings = plugin.load_config({k: given for k, (given, _) in WRITTEN.items()})
    assert (errors, warnings) == ([], [])
    settings = settings_from_mapping(dict(plugin.config.items()))
    for name, (_, expected) in WRITTEN.items():
        held = getattr(settings, name)
        assert (held[0].name if name == "ladder" else held) == expected, name
    errors, _ = ClipportalPlugin().load_config({"hls": "yes"})
    assert [name for name, _ in errors] == ["hls"]


def test_every_option_has_a_row_in_the_readme_with_its_default() -> None:
    from clipportal.settings import OPTIONS, Settings

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    after = readme.split("| option | default | meaning |\n| --- | --- | --- |\n", 1)[1]
    rows = [line.split(" | ") for line in after.split("\n\n", 1)[0].splitlines()]
    table = {cells[0].strip("| `"): cells[1] for cells in rows}
    assert list(table) == list(OPTIONS)
    defaults = Settings()
    for name, cell in table.items():
        if cell.startswith("`") and cell.count("`") == 2:  # a value, not words
            written = yaml.safe_load(cell.strip("`"))
            held = getattr(defaults, name)
            assert (tuple(written) if isinstance(written, list) else written) == held, name


def test_an_unknown_option_names_every_allowed_one() -> None:
    from clipportal.settings import OPTIONS

    with pytest.raises(CatalogError) as info:
        settings_from_mapping({"schedular": "x", "jobs": 0})
    text = str(info.value)
    assert f"allowed options: {', '.join(sorted(OPTIONS))}" in text
    assert "'jobs' must be at least 1" in text


def test_the_media_parts_of_the_settings_take_their_defaults_from_settings() -> None:
    from dataclasses import fields

    from clipportal.media.jobs import EncodeSettings, Limits
    from clipportal.settings import OPTIONS, Settings

    for part in (EncodeSettings, Limits):
        assert {f.name for f in fields(part)} <= set(OPTIONS), part
    assert Limits() == Limits.from_settings(Settings())
    assert EncodeSettings.from_settings(Settings()).hls == Settings().hls
    small = Limits.from_settings(settings_from_mapping({"max_source_height": 720}))
    assert small == Limits(max_source_height=720)
