"""The demo portal as built by `clipportal build`: the ★ page contracts hold on every page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_captions import strict_errors

from clipportal.media.output_checks import moov_before_mdat
from clipportal.media.probe import probe

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent
SLUGS = sorted(p.stem for p in (REPO / "videos").glob("*.yml"))
TOPICS = ["goal-setting", "flow-mapping", "tool-selection", "testimonials"]


class _Players(HTMLParser):
    """Collects <video> elements with their <source> and <track> children, and every URL."""

    def __init__(self) -> None:
        super().__init__()
        self.videos: list[dict[str, object]] = []
        self.urls: list[str] = []
        self._in_video = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.urls += [v for k, v in attrs if k in {"href", "src", "poster"} and v]
        if tag == "video":
            self.videos.append({"attrs": found, "sources": [], "tracks": []})
            self._in_video = True
        elif tag in {"source", "track"} and self._in_video:
            self.videos[-1][f"{tag}s"].append(found)  # type: ignore[union-attr]

    def handle_endtag(self, tag: str) -> None:
        if tag == "video":
            self._in_video = False


def players(page: Path) -> _Players:
    parser = _Players()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_home_topics_and_clip_pages_exist(demo_site: Path) -> None:
    assert (demo_site / "index.html").is_file()
    assert all((demo_site / "topics" / t / "index.html").is_file() for t in TOPICS)
    assert all((demo_site / "clips" / s / "index.html").is_file() for s in SLUGS)
    assert len(SLUGS) == 8
    home = (demo_site / "index.html").read_text(encoding="utf-8")
    assert all(f"clips/{s}/" in home or s for s in SLUGS)
    for topic in TOPICS:
        text = (demo_site / "topics" / topic / "index.html").read_text(encoding="utf-8")
        assert text.count("data-clip-card=") == 2


@pytest.mark.parametrize("slug", SLUGS)
def test_clip_page_has_one_player_with_phone_ready_media(demo_site: Path, slug: str) -> None:
    page = demo_site / "clips" / slug / "index.html"
    parsed = players(page)
    assert len(parsed.videos) == 1
    video = parsed.videos[0]
    assert video["attrs"]["data-clip"] == slug  # type: ignore[index]
    sources = video["sources"]
    assert sources and all(s["type"].startswith("video/mp4") for s in sources)  # type: ignore[union-attr]
    for source in sources:  # type: ignore[union-attr]
        path = (page.parent / source["src"]).resolve()
        facts = probe(path, source["src"])
        assert facts.video and facts.video.codec == "h264"
        assert facts.audio and facts.audio.codec == "aac" and facts.audio.channels == 2
        assert moov_before_mdat(path)
    captions = [t for t in video["tracks"] if t.get("kind") == "captions"]  # type: ignore[union-attr]
    defaults = [t for t in captions if "default" in t]
    assert len(defaults) == 1 and defaults[0]["srclang"] == "ja" and defaults[0]["label"]
    vtt = (page.parent / defaults[0]["src"]).resolve()
    assert strict_errors([vtt])[str(vtt)]["errors"] == []


def test_every_url_is_relative(demo_site: Path) -> None:
    absolute = re.compile(r"^(?:[a-z]+:|//|/)", re.I)
    for page in demo_site.rglob("*.html"):
        bad = [u for u in players(page).urls
               if absolute.match(u) and not u.startswith(("mailto:", "#", "javascript:void"))]
        assert bad == [], f"{page}: {bad[:5]}"
