"""`media_url`: media published apart from the pages. Every video, poster, still and track URL
is absolute under it, everything else stays relative (★ DESIGN.md §2)."""

from __future__ import annotations

import re

import pytest
from test_pages import FULL, MEDIA_SETTINGS, MEDIA_URL, TOPIC

from clipportal.errors import CatalogError
from clipportal.settings import settings_from_mapping
from clipportal.site.pages import PagePaths, render_clip_page, render_topic_page

URL_ATTRS = re.compile(r'\b(?:src|href|poster|srcset|data-storyboard|data-poster)="([^"]*)"')
MEDIA_FILE = re.compile(r"\.(?:mp4|webp|jpg|vtt|m3u8)(?:\s|$)")
OUTSIDE_LINKS = {"https://example.jp/guide"}  # written by the editor in the description


def _urls(html: str) -> list[str]:
    """Every URL the page names, srcset lists split into their URLs."""
    found = []
    for value in URL_ATTRS.findall(html):
        found += [part.split()[0] for part in value.split(",") if part.strip()]
    return found


def _pages() -> dict[str, str]:
    paths = PagePaths(media_url=MEDIA_URL)
    return {"clip": render_clip_page(FULL, MEDIA_SETTINGS, TOPIC, paths),
            "topic": render_topic_page("goal-setting", "目標設定", TOPIC, paths)}


@pytest.mark.parametrize("name", ["clip", "topic"])
def test_media_urls_are_absolute_under_media_url_and_the_rest_relative(name: str) -> None:
    urls = _urls(_pages()[name])
    media = [u for u in urls if MEDIA_FILE.search(u + " ")]
    others = [u for u in urls if u not in media and u not in OUTSIDE_LINKS]
    assert len(media) >= (10 if name == "clip" else 4), media
    slugs = {item.clip.slug for item in TOPIC}
    assert all(u.startswith(MEDIA_URL) and u[len(MEDIA_URL):].split("/")[0] in slugs
               for u in media), media
    assert others and not [u for u in others if re.match(r"[a-z]+:|/", u)], others
    assert "media/" not in " ".join(others)


def test_without_media_url_media_stays_relative() -> None:
    html = render_clip_page(FULL, settings_from_mapping({}), TOPIC, PagePaths())
    media = [u for u in _urls(html) if MEDIA_FILE.search(u + " ")]
    # the search poster (data-poster) is site-relative: the search page adds its root
    assert media and all(u.startswith(("../../media/", "media/")) for u in media), media


def test_media_url_is_read_with_a_trailing_slash_and_keeps_offline_saving() -> None:
    settings = settings_from_mapping({"media_url": "https://cdn.example.jp/p"})
    assert settings.media_url == "https://cdn.example.jp/p/" and settings.offline is True
    assert settings_from_mapping({}).media_url == ""


@pytest.mark.parametrize("value", ["media.example.jp/portal/", "ftp://x/", "https://a b/"])
def test_a_media_url_that_is_not_a_web_address_is_refused(value: str) -> None:
    with pytest.raises(CatalogError, match="media_url"):
        settings_from_mapping({"media_url": value})
