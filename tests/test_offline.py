"""site/offline.py without a browser: what a saved clip consists of, its version, the topic button,
the web app manifest and icons, the head links, and the `offline` settings."""

from __future__ import annotations

import dataclasses
import struct
import zlib
from pathlib import Path

import pytest
from test_pages import FULL, MEDIA_SETTINGS, MEDIA_URL, MINIMAL, SETTINGS, TOPIC

from clipportal.errors import CatalogError
from clipportal.settings import settings_from_mapping
from clipportal.site.offline import (
    card_size,
    clip_context,
    clip_files,
    clip_version,
    clips_json,
    head_links,
    pick_rendition,
    png_icon,
    theme_colour,
    topic_context,
    web_manifest,
    worker_script,
)
from clipportal.site.pages import (
    PagePaths,
    render_clip_page,
    render_home_section,
    render_search_page,
    render_topic_page,
    render_unsaved_page,
)

NOT_SAVED = "オフラインのため再生できません。電波のある所で開くか、事前に保存してください。"
CARD_BUTTON = ('<button type="button" class="cp-button cp-card-save" data-offline-card-save>'
               "端末に保存（1.2 MB）</button>")


def test_the_smallest_rendition_is_saved_unless_the_setting_names_another() -> None:
    assert pick_rendition(FULL, SETTINGS).name == "360p"
    named = dataclasses.replace(SETTINGS, offline_rendition="720p")
    assert pick_rendition(FULL, named).name == "720p"
    files = [f.path for f in clip_files(FULL, named)]
    assert files[0].endswith("/720p.mp4") and not any(f.endswith("360p.mp4") for f in files)


def test_a_saved_clip_is_its_rendition_posters_stills_storyboard_and_tracks() -> None:
    paths = [f.path for f in clip_files(FULL, SETTINGS)]
    assert paths[0] == "media/goal-setting-basics/0123456789/360p.mp4"
    assert sum(p.endswith(".webp") for p in paths) == 3 + 3  # posters, chapter stills
    assert any(p.endswith("storyboard.jpg") for p in paths)
    assert {t.path for t in FULL.tracks} <= set(paths)


def test_the_version_follows_the_media_paths() -> None:
    files = clip_files(FULL, SETTINGS)
    moved = [dataclasses.replace(f, path=f.path.replace("0123456789", "9876543210"))
             for f in files]
    assert clip_version(files) == clip_version(list(reversed(files)))
    assert clip_version(files) != clip_version(moved)


def test_with_media_url_clips_json_names_the_media_where_it_is_published(
        tmp_path: Path) -> None:
    """The phone saves (and the worker answers) the media under its absolute URLs; the page
    stays site-relative, and the version is the same as without media_url."""
    urls = {FULL.clip.slug: "clips/goal-setting-basics/"}
    entry = clips_json([FULL], MEDIA_SETTINGS, tmp_path, urls)["clips"][FULL.clip.slug]
    plain = clips_json([FULL], SETTINGS, tmp_path, urls)["clips"][FULL.clip.slug]
    assert entry["video"] == MEDIA_URL + "goal-setting-basics/0123456789/360p.mp4"
    assert [f for f, _ in entry["files"][:-1]] == [
        MEDIA_URL + f.removeprefix("media/") for f, _ in plain["files"][:-1]]
    assert entry["files"][-1] == plain["files"][-1] and entry["page"] == plain["page"]
    assert entry["version"] == plain["version"]
    assert MEDIA_SETTINGS.offline and clip_context(FULL, MEDIA_SETTINGS) is not None


def test_the_worker_knows_where_the_media_is_published() -> None:
    assert 'var CP_MEDIA = "";' in worker_script("v1", [], [""])
    script = worker_script("v1", [], [""], "", MEDIA_URL)
    assert f'var CP_MEDIA = "{MEDIA_URL}";' in script
    assert "CP_MEDIA" in script.split("*/", 2)[-1]


def test_the_clip_button_shows_the_size_before_saving() -> None:
    context = clip_context(FULL, SETTINGS)
    assert context is not None and context["label"].startswith("標準画質 1.2 MB")
    html = render_clip_page(FULL, SETTINGS, TOPIC, PagePaths())
    assert html.count("data-offline-save=") == 1 and 'data-offline-state="none"' in html
    assert clip_context(FULL, dataclasses.replace(SETTINGS, offline=False)) is None
    off = render_clip_page(FULL, dataclasses.replace(SETTINGS, offline=False), TOPIC,
                           PagePaths())
    assert "data-offline" not in off


def test_one_topic_button_with_count_and_size() -> None:
    html = render_topic_page("goal-setting", "目標設定", TOPIC, PagePaths(),
                             topic_context(TOPIC, SETTINGS))
    assert html.count("data-offline-save-topic=") == 1
    assert "まとめて保存（3本・" in html and 'data-offline-state="none"' in html
    assert f'data-offline-clips="{FULL.clip.slug} {MINIMAL.clip.slug} hostile"' in html


def test_every_card_has_its_own_save_button_with_the_size_outside_the_link() -> None:
    """Not the ★ [data-offline-save]: a clip page keeps exactly one, with a card below it."""
    assert card_size(FULL, SETTINGS) == "1.2 MB"
    clip = render_clip_page(FULL, SETTINGS, TOPIC, PagePaths())
    assert clip.count("data-offline-save=") == 1 and clip.count("data-offline-card-save") == 1
    assert "</a>\n" + CARD_BUTTON + "\n</li>" in clip
    topic = render_topic_page("goal-setting", "目標設定", TOPIC, PagePaths(),
                              topic_context(TOPIC, SETTINGS))
    assert topic.count("data-offline-card-save") == len(TOPIC)
    assert topic.count('class="cp-card cp-card--save"') == len(TOPIC)
    home = render_home_section(SETTINGS, TOPIC, PagePaths())
    assert home.count(CARD_BUTTON) >= 1


def test_no_card_buttons_without_offline_viewing() -> None:
    off = dataclasses.replace(SETTINGS, offline=False)
    assert card_size(FULL, off) is None
    pages = [render_clip_page(FULL, off, TOPIC, PagePaths()),
             render_topic_page("goal-setting", "目標設定", TOPIC, PagePaths(),
                               topic_context(TOPIC, off)),
             render_home_section(off, TOPIC, PagePaths())]
    assert not any("data-offline" in p or "cp-card--save" in p for p in pages)


@pytest.mark.parametrize(("flat", "saved"), [(False, "../"), (True, "../offline.html")])
def test_the_unsaved_page_says_why_and_links_to_the_saved_clips(flat: bool, saved: str) -> None:
    """As deep as a clip page, so its links hold when the worker shows it in one's place."""
    html = render_unsaved_page(PagePaths(use_directory_urls=not flat))
    assert f">{NOT_SAVED}</p>" in html and 'role="alert"' in html
    assert f'href="{saved}"' in html


def test_the_worker_knows_the_unsaved_page() -> None:
    script = worker_script("v1", ["assets/a.css"], ["", "offline/unsaved/"], "offline/unsaved/")
    assert 'var CP_UNSAVED = "offline/unsaved/";' in script
    assert "CP_UNSAVED" in script.split("*/", 2)[-1]


def test_the_search_page_names_the_saved_page_only_with_offline_viewing() -> None:
    """Its script links there when a search fails offline (tests/test_browser_offline.py)."""
    assert 'data-offline-page="../offline/"' in render_search_page(SETTINGS, PagePaths())
    off = dataclasses.replace(SETTINGS, offline=False)
    assert "data-offline-page" not in render_search_page(off, PagePaths())


@pytest.mark.parametrize(("url", "prefix"), [("", ""), ("clips/a/", "../../"),
                                             ("clips/a.html", "../"), ("offline/", "../")])
def test_the_manifest_link_is_relative_to_the_page(url: str, prefix: str) -> None:
    html = head_links("<html><head><title>x</title></head></html>", url, "#4051b5")
    assert f'<link rel="manifest" href="{prefix}manifest.webmanifest">' in html
    assert '<meta name="theme-color" content="#4051b5">' in html


def test_the_web_app_manifest_works_under_any_sub_path() -> None:
    manifest = web_manifest("BPR研修 動画ポータル", theme_colour({"primary": "teal"}), "ja")
    assert manifest["start_url"] == "./" and manifest["scope"] == "./"
    assert manifest["short_name"] == "BPR研修 動画ポータル"
    assert web_manifest("とても長い名前の業務改革研修動画ポータル", "#000000", "ja")[
        "short_name"] == "動画ポータル"
    assert manifest["theme_color"] == "#009485"
    assert all(not i["src"].startswith("/") for i in manifest["icons"])


def test_icons_are_valid_pngs_in_the_theme_colour() -> None:
    data = png_icon(192, "#4051b5")
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) < 2000
    width, height = struct.unpack(">II", data[16:24])
    assert data[37:41] == b"PLTE" and data[41:47] == bytes([0x40, 0x51, 0xB5, 255, 255, 255])
    idat_length = struct.unpack(">I", data[51:55])[0]
    assert data[55:59] == b"IDAT"
    raw = zlib.decompress(data[59:59 + idat_length])
    assert (width, height) == (192, 192) and len(raw) == 192 * (1 + 192)
    row = raw[96 * (1 + 192) + 1:97 * (1 + 192)]
    assert row[0] == 0 and row[96] == 1  # theme colour at the edge, white in the middle


def test_offline_settings_are_checked() -> None:
    assert settings_from_mapping({"offline": False}).offline is False
    assert settings_from_mapping({"offline_rendition": "720p"}).offline_rendition == "720p"
    with pytest.raises(CatalogError, match="offline"):
        settings_from_mapping({"offline": "yes"})
