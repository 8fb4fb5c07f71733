"""Golden-output tests for the generated Markdown pages (pelican-style): sample clips, no
ffmpeg, the output compared with the committed files in tests/golden/.

Regenerate the expected files after an intended change, then review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_pages.py
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from pathlib import Path
from typing import Any

import pytest

from clipportal.captions.parse import Cue
from clipportal.captions.tracks import TrackFile
from clipportal.catalog.clips import Chapter, Clip
from clipportal.media.manifest import Manifest
from clipportal.pipeline import PreparedClip
from clipportal.settings import Settings, settings_from_mapping
from clipportal.site.pages import (
    PagePaths,
    join_spoken,
    render_clip_page,
    render_home_section,
    render_search_page,
    render_topic_page,
    seek_targets,
    transcript_groups,
)
from clipportal.site.search import search_terms

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
SETTINGS = Settings()
MEDIA_URL = "https://media.example.jp/portal/"
MEDIA_SETTINGS = settings_from_mapping({"media_url": MEDIA_URL})
XSS = '<script>alert(1)</script><img src=x onerror=alert(1)>"><svg onload=alert(1)>'


def manifest(slug: str, renditions: int = 2, chapters: int = 0) -> Manifest:
    """A cache manifest as the media step writes it (read back the way the cache does)."""
    ladder = [{"name": "360p", "label": "標準", "file": "360p.mp4", "width": 640,
               "height": 360, "bytes": 1_234_567},
              {"name": "720p", "label": "高画質", "file": "720p.mp4", "width": 1280,
               "height": 720, "bytes": 3_456_789}][:renditions]
    widths = (320, 640, 1280)[:renditions + 1]
    return Manifest.from_json({
        "key": "0123456789abcdef", "slug": slug, "duration": 155.4, "has_audio": True,
        "poster_time": 1.0, "fps": 30.0,
        "renditions": ladder,
        "posters": [{"width": w, "height": w * 9 // 16, "jpg": f"poster-{w}.jpg",
                     "webp": f"poster-{w}.webp"} for w in widths],
        "storyboard": {"file": "storyboard.jpg", "tiles": 156, "interval": 1.0, "columns": 10,
                       "width": 160, "height": 90},
        "chapters": [{"time": 1.0 + 60 * i, "width": 320, "height": 180,
                      "jpg": f"chapter-{i + 1}.jpg", "webp": f"chapter-{i + 1}.webp"}
                     for i in range(chapters)],
    })


def clip(slug: str, title: str, topic: str, **fields: Any) -> Clip:
    base: dict[str, Any] = {
        "description": "", "date": None, "speakers": (), "tags": (), "poster": None,
        "chapters": (), "video": Path(f"videos/{slug}.mp4"),
        "video_source": f"videos/{slug}.mp4", "meta_source": f"videos/{slug}.yml",
    }
    return Clip(slug=slug, title=title, topic=topic, **{**base, **fields})


def prepared(item: Clip, media: Manifest, cues: tuple[Cue, ...] = ()) -> PreparedClip:
    media_dir = f"media/{item.slug}/0123456789"
    tracks = [TrackFile("captions", "ja", "日本語", f"media/{item.slug}/ja.abcd1234.vtt", "",
                        True)] if cues else []
    if item.chapters:
        tracks.append(TrackFile("chapters", "ja", "チャプター",
                                f"media/{item.slug}/chapters.abcd1234.vtt", ""))
    tracks.append(TrackFile("metadata", "", "storyboard", f"{media_dir}/storyboard.vtt", ""))
    return PreparedClip(item, media, media_dir, Path("/nonexistent"), tuple(tracks), cues)


CUES = (
    Cue(0.2, 3.5, "今日は<b>目標設定</b>の基本です。", 2),
    Cue(4.0, 7.0, "例えば保育園の入園申込み。", 6),
    Cue(21.2, 24.0, "キャッシュレス決済も&lt;検討&gt;します。", 10),
    Cue(21.9, 23.0, "（重なる字幕）", 14),
    Cue(155.0, 155.3, "住民票の写しの交付申請。", 18),
)
FULL = prepared(clip(
    "goal-setting-basics", "目標設定の基本", "goal-setting",
    description="業務改革（**BPR**）は目標から。\n\n"
                "[手引き](https://example.jp/guide) と [危険](javascript:alert(1))。\n\n"
                "<script>alert(1)</script><b onclick=alert(1)>太字</b>",
    date=dt.date(2022, 4, 12), speakers=("企画課 研修担当",), tags=("BPR", "目標設定"),
    chapters=(Chapter(0.0, "はじめに"), Chapter(60.0, "現状を書き出す"),
              Chapter(120.0, "理想の姿"))), manifest("goal-setting-basics", 2, 3), CUES)
MINIMAL = prepared(clip("goal-realistic-target", "現実的な目標", "goal-setting"),
                   manifest("goal-realistic-target", 1))
HOSTILE = prepared(clip(
    "hostile", XSS, "goal-setting", description=XSS + "\n\n[x](javascript:alert(1))",
    speakers=(XSS,), tags=(XSS, "</title><script>alert(1)</script>"),
    chapters=(Chapter(0.0, XSS),)), manifest("hostile", 1, 1),
    (Cue(1.0, 2.0, "&lt;script&gt;alert(1)&lt;/script&gt;", 2),))
TOPIC = [FULL, MINIMAL, HOSTILE]


def pages() -> dict[str, str]:
    """Every page type, with directory URLs and (one clip) without them."""
    paths = PagePaths()
    flat = PagePaths(use_directory_urls=False)
    media = PagePaths(media_url=MEDIA_URL)
    return {
        "clip-full.md": render_clip_page(FULL, SETTINGS, TOPIC, paths),
        "clip-minimal.md": render_clip_page(MINIMAL, SETTINGS, TOPIC, paths),
        "clip-hostile.md": render_clip_page(HOSTILE, SETTINGS, TOPIC, paths),
        "clip-full-flat-urls.md": render_clip_page(FULL, SETTINGS, TOPIC, flat),
        "clip-full-media-url.md": render_clip_page(FULL, MEDIA_SETTINGS, TOPIC, media),
        "topic.md": render_topic_page("goal-setting", "目標設定", TOPIC, paths),
        "topic-empty.md": render_topic_page("testimonials", "職員の声", [], paths),
        "home.md": render_home_section(SETTINGS, TOPIC, paths),
        "search.md": render_search_page(SETTINGS, paths),
        "search-flat-urls.md": render_search_page(SETTINGS, flat),
    }


@pytest.mark.parametrize("name", sorted(pages()))
def test_page_matches_golden(name: str) -> None:
    actual = pages()[name]
    expected_file = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        expected_file.write_text(actual, encoding="utf-8")
    assert expected_file.is_file(), f"no {expected_file}; run UPDATE_GOLDEN=1 pytest {__file__}"
    expected = expected_file.read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                        f"golden/{name}", "rendered"))
    assert actual == expected, ("rendered page differs from the golden file (regenerate with "
                                "UPDATE_GOLDEN=1 if intended):\n" + diff)


def test_no_golden_file_is_stale() -> None:
    assert sorted(p.name for p in GOLDEN.glob("*.md")) == sorted(pages())


def test_hostile_text_is_escaped_everywhere() -> None:
    for name, text in pages().items():
        body = text.split("---\n", 2)[2] if text.startswith("---\n") else text
        body = body.replace('<script type="module" src="../assets/clipportal-search.js">', "")
        body = body.replace('<script type="module" src="assets/clipportal-search.js">', "")
        assert "<script" not in body, name
        assert "<svg" not in body and "<img src=x" not in body, name
        assert "onerror=" not in body.replace("onerror=alert(1)&gt;", ""), name
        assert "javascript:" not in body.replace("javascript:alert(1)&#34;", ""), name
    front = pages()["clip-hostile.md"].split("---\n", 2)[1]
    assert "<" not in front and "&lt;script&gt;" in front


def test_clip_page_contract_markers() -> None:
    text = pages()["clip-full.md"]
    assert text.count("<video ") == 1 and 'data-clip="goal-setting-basics"' in text
    sources = re.findall(r'<source src="([^"]+)" type="video/mp4"[^>]*data-mb="([\d.]+)"', text)
    assert [s[1] for s in sources] == ["1.2", "3.5"], "smallest first, size in MB"
    assert all(not s[0].startswith(("/", "http")) for s in sources), "relative URLs"
    assert re.search(r'<track kind="captions" srclang="ja" label="日本語" src="[^"]+" default>',
                     text)


def test_transcript_groups_have_unique_ids_and_start_times() -> None:
    groups = transcript_groups((Cue(155.0, 156.0, "a", 1), Cue(155.5, 156.0, "b", 2),
                                Cue(176.0, 177.0, "c", 3)))
    assert [g["id"] for g in groups] == ["t-155", "t-176"]
    same = transcript_groups((Cue(155.0, 156.0, "a", 1), Cue(175.2, 176.0, "b", 2)))
    assert [g["id"] for g in same] == ["t-155", "t-175"]


@pytest.mark.parametrize(("texts", "joined"), [
    (["今日は目標設定の基本です。", "例えば保育園の入園申込み。"],
     "今日は目標設定の基本です。例えば保育園の入園申込み。"),
    # a cue's line break comes as a space
    (["業務改革は 目標を決める", "ことから"], "業務改革は目標を決めることから"),
    (["First caption.", "Second one."], "First caption. Second one."),
    (["RPAを導入した", " 税務課 "], "RPAを導入した税務課"),
    (["BPR研修の", "BPR"], "BPR研修の BPR"),
])
def test_transcript_text_is_joined_without_spaces_in_japanese(texts: list[str],
                                                              joined: str) -> None:
    assert join_spoken(texts) == joined


def test_every_chapter_and_transcript_time_has_one_anchor_at_the_player() -> None:
    text = pages()["clip-full.md"]
    player = text.split('<div class="cp-player">', 1)[1].split("<video ", 1)[0]
    anchors = re.findall(r'<span class="cp-at" id="t=(\d+)"></span>', player)
    links = set(re.findall(r'href="#t=(\d+)"', text))
    assert sorted(anchors, key=int) == sorted(links, key=int) == ["0", "21", "60", "120", "155"]
    assert seek_targets([{"seconds": 7}], [{"seconds": 7}, {"seconds": 3}]) == [3, 7]


@pytest.mark.parametrize(("text", "wanted"), [
    ("キャッシュレス決済", {"キャッシュレス", "レス", "決済"}),  # ICU cuts キャッシュ|レス
    ("要介護認定", {"要介護認定", "介護認定", "認定"}),  # ICU cuts 要|介護|認定
    ("所要時間", {"所要時間", "時間"}),  # a kanji-only tag, read as Chinese by Pagefind
    ("ＢＰＲとｷｬｯｼｭﾚｽ", {"bpr", "キャッシュレス"}),  # NFKC, as the search page folds queries
    ("ファイルサーバー", {"ファイルサーバー", "ファイルサーバ"}),  # long vowel
    ("入園申込み", {"申込み", "申し込み", "申込"}),  # okurigana
])
def test_search_terms(text: str, wanted: set[str]) -> None:
    terms = search_terms([text]).split()
    assert wanted <= set(terms)
    assert len(terms) == len(set(terms))
    assert not any(t[0] in "ーャュョッ" for t in terms)
