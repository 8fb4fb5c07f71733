"""The viewer's site in Chromium at a phone viewport: the clip page player (captions on,
quality, speed, resume, deep links, transcript and chapter seeking, watched badge, next clip),
cards, pages without JavaScript, and hostile clip files that must never run script.

Builds two small portals of its own (generated clips, ultrafast encodes): one with 1280×720
clips so that there are two renditions (360p and 720p), one full of injection payloads."""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PHONE, run_cli

from clipportal.media.ffmpeg_runner import ffmpeg_exe

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CONFIG = """\
site_name: テスト動画ポータル
theme:
  name: material
  language: ja
plugins:
  - clipportal:
      preset: ultrafast
      topics:
        goal-setting: 目標設定
        flow-mapping: 業務フローの可視化
"""
SAVE_DATA = """Object.defineProperty(Navigator.prototype, 'connection', {configurable: true,
  get() { return {saveData: %s, effectiveType: '%s', addEventListener() {}}; }});"""


def make_source(path: Path, seconds: float, size: str = "1280x720") -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=s={size}:r=25:d={seconds:g}",
                    "-f", "lavfi", "-i", f"sine=f=440:d={seconds:g}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-shortest", str(path)], check=True, timeout=120)


def srt(cues: list[tuple[float, float, str]]) -> str:
    def stamp(t: float) -> str:
        ms = round(t * 1000)
        return f"00:{ms // 60000:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"
    return "".join(f"{n}\n{stamp(a)} --> {stamp(b)}\n{text}\n\n"
                   for n, (a, b, text) in enumerate(cues, 1))


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A portal with two 720p clips in one topic (alpha, then beta), built and served."""
    from rangeserver import serve

    root = tmp_path_factory.mktemp("site")
    write(root / "mkdocs.yml", CONFIG)
    (root / "docs").mkdir()
    (root / "videos").mkdir()
    make_source(root / "videos" / "alpha.mp4", 30)
    make_source(root / "videos" / "beta.mp4", 8)
    write(root / "videos" / "alpha.yml", """\
        title: アルファの動画
        topic: goal-setting
        date: 2024-05-01
        description: 目標を決める**手順**を紹介します。
        tags: [目標設定, キャッシュレス]
        speakers: [企画課 職員]
        chapters:
          - {start: "0:00", title: はじめに}
          - {start: "0:10", title: 現状を書き出す}
          - {start: "0:20", title: まとめ}
        """)
    write(root / "videos" / "beta.yml", "title: ベータの動画\ntopic: goal-setting\n"
          "date: 2024-04-01\n")
    write(root / "captions" / "alpha.ja.srt", srt(
        [(0.5 + 3 * i, 2.8 + 3 * i, f"第{i + 1}の字幕です。") for i in range(9)]))
    write(root / "captions" / "alpha.en.srt", srt([(0.5, 2.8, "First caption.")]))
    write(root / "captions" / "beta.ja.srt", srt([(0.5, 2.8, "ベータの字幕です。")]))
    result = run_cli("build", str(root))
    assert result.returncode == 0, result.stdout + result.stderr
    with serve(root / "build" / "site") as url:
        yield url


def video_state(page: Any) -> dict[str, Any]:
    return page.locator("video[data-clip]").evaluate("""v => ({
        src: v.currentSrc, time: v.currentTime, paused: v.paused, ready: v.readyState,
        rate: v.playbackRate, preload: v.preload,
        tracks: Array.from(v.textTracks).map(t => ({kind: t.kind, lang: t.language,
            mode: t.mode, cues: t.cues ? t.cues.length : -1}))})""")


def play_at(page: Any, seconds: float) -> None:
    page.locator("video[data-clip]").evaluate("""async (v, t) => {
        await v.play(); v.currentTime = t;
        await new Promise(r => v.addEventListener('seeked', r, {once: true}));
        await new Promise(r => setTimeout(r, 300)); }""", seconds)


def wait_time(page: Any, low: float, high: float) -> None:
    page.wait_for_function(f"""() => {{ const v = document.querySelector('video[data-clip]');
        return v.readyState >= 1 && v.currentTime >= {low} && v.currentTime <= {high}; }}""",
                           timeout=10000)


def test_player_first_with_captions_on_and_two_renditions(phone: Any, site: str) -> None:
    phone.goto(site + "clips/alpha/")
    sources = phone.locator("video[data-clip=alpha] source")
    assert sources.count() == 2
    assert [sources.nth(i).get_attribute("data-quality") for i in range(2)] == ["360p", "720p"]
    assert all(float(sources.nth(i).get_attribute("data-mb") or 0) > 0 for i in range(2))
    phone.wait_for_function("""() => Array.from(document.querySelector('video').textTracks)
        .some(t => t.language === 'ja' && t.mode === 'showing' && t.cues && t.cues.length)""")
    state = video_state(phone)
    modes = {t["lang"]: t["mode"] for t in state["tracks"] if t["kind"] == "captions"}
    assert modes == {"ja": "showing", "en": "disabled"}
    box = phone.locator("video[data-clip]").bounding_box()
    assert box and box["width"] >= 389 and box["y"] < 70, "full width, right under the header"
    assert phone.locator("[data-cp=captions]").input_value() == "ja"
    assert phone.offsite_requests == []


def test_phone_on_fast_data_gets_720p_and_save_data_gets_360p(phone: Any, site: str) -> None:
    phone.goto(site + "clips/alpha/")
    phone.wait_for_function("document.querySelector('video').currentSrc !== ''")
    assert video_state(phone)["src"].endswith("720p.mp4")
    for save, kind in (("true", "4g"), ("false", "3g"), ("false", "slow-2g")):
        context = phone.context.browser.new_context(**PHONE)
        context.add_init_script(SAVE_DATA % (save, kind))
        page = context.new_page()
        page.goto(site + "clips/alpha/")
        page.wait_for_function("document.querySelector('video').currentSrc !== ''")
        state = video_state(page)
        assert state["src"].endswith("360p.mp4"), (save, kind, state)
        assert state["preload"] == "none", "nothing but the poster before a tap"
        assert page.locator("[data-cp=quality]").input_value() == "360p"
        context.close()


def test_quality_switch_keeps_time_and_playing_and_is_remembered(phone: Any,
                                                                 site: str) -> None:
    phone.goto(site + "clips/alpha/")
    play_at(phone, 12)
    before = video_state(phone)
    assert before["src"].endswith("720p.mp4") and not before["paused"]
    phone.select_option("[data-cp=quality]", "360p")
    phone.wait_for_function("document.querySelector('video').currentSrc.endsWith('360p.mp4')")
    wait_time(phone, 11.5, 20)
    phone.wait_for_function("() => { const v = document.querySelector('video');"
                            " return !v.paused && v.readyState >= 3; }", timeout=10000)
    assert phone.evaluate("localStorage.getItem('clipportal:quality')") == "360p"
    phone.goto(site + "clips/beta/")
    phone.wait_for_function("document.querySelector('video').currentSrc !== ''")
    assert video_state(phone)["src"].endswith("360p.mp4"), "the choice holds on other clips"


def test_speed_menu_sets_and_remembers_rate(phone: Any, site: str) -> None:
    phone.goto(site + "clips/alpha/")
    options = phone.locator("[data-cp=speed] option").all_inner_texts()
    assert options[0] == "0.75×" and options[-1] == "2×"
    phone.select_option("[data-cp=speed]", "1.5")
    assert video_state(phone)["rate"] == 1.5
    phone.reload()
    assert video_state(phone)["rate"] == 1.5


def test_resume_after_reload_and_start_over(phone: Any, site: str) -> None:
    phone.goto(site + "clips/alpha/")
    play_at(phone, 14)
    phone.locator("video[data-clip]").evaluate("v => v.pause()")
    phone.reload()
    wait_time(phone, 13.5, 15.5)
    resume = phone.locator("[data-cp-resume]")
    assert resume.is_visible() and "続きから再生" in resume.inner_text()
    assert phone.locator("[data-cp=resume-at]").inner_text() in {"0:14", "0:15"}
    phone.get_by_role("button", name="最初から").click()
    wait_time(phone, 0, 2)
    assert not resume.is_visible()


@pytest.mark.parametrize(("fragment", "seconds"), [("#t=17", 17), ("#t-21", 21),
                                                   ("#t=0:09", 9)])
def test_time_in_url_opens_at_that_second(phone: Any, site: str, fragment: str,
                                          seconds: float) -> None:
    phone.goto(site + "clips/alpha/" + fragment)
    wait_time(phone, seconds - 0.3, seconds + 0.3)
    assert not phone.locator("[data-cp-resume]").is_visible()


def test_transcript_timestamp_seeks_to_cue_start(phone: Any, site: str) -> None:
    phone.goto(site + "clips/alpha/")
    phone.locator(".cp-transcript summary").click()
    link = phone.locator(".cp-transcript a[data-seek]").nth(1)
    start = float(link.get_attribute("data-seek") or "nan")
    assert start > 15
    link.click()
    wait_time(phone, start - 0.5, start + 0.5)
    assert phone.url.endswith(f"#t={int(start)}")


def test_chapter_link_seeks(phone: Any, site: str) -> None:
    phone.goto(site + "clips/alpha/")
    phone.get_by_role("link", name="0:10 現状を書き出す").click()
    wait_time(phone, 9.5, 10.6)


def test_watched_badge_and_next_clip_after_the_end(phone: Any, site: str) -> None:
    phone.goto(site + "topics/goal-setting/")
    assert not phone.locator("[data-clip-card=alpha] .cp-watched").is_visible()
    phone.goto(site + "clips/alpha/")
    play_at(phone, 27)
    phone.wait_for_function("document.querySelector('video').ended", timeout=15000)
    assert phone.locator("[data-cp-watched]").is_visible()
    upnext = phone.locator("[data-cp-upnext] a")
    assert upnext.is_visible() and upnext.get_attribute("href") == "../beta/"
    phone.goto(site + "topics/goal-setting/")
    assert phone.locator("[data-clip-card=alpha] .cp-watched").is_visible()
    assert not phone.locator("[data-clip-card=beta] .cp-watched").is_visible()
    phone.goto(site)
    assert phone.locator("[data-clip-card=alpha] .cp-watched").is_visible()


def test_without_javascript_video_captions_and_transcript_remain(browser: Any,
                                                                 site: str) -> None:
    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "clips/alpha/")
    video = page.locator("video[data-clip=alpha][controls]")
    assert video.count() == 1
    assert page.locator("video track[kind=captions][srclang=ja][default]").count() == 1
    first = page.locator("video source").first.get_attribute("src") or ""
    assert first.endswith("360p.mp4"), "the small file plays without JavaScript"
    page.locator(".cp-transcript summary").click()
    assert "第1の字幕です。" in page.locator(".cp-transcript").inner_text()
    assert not page.locator("[data-cp-bar]").is_visible(), "no dead controls"
    context.close()


@pytest.mark.parametrize(("scheme", "palette"), [("light", "default"), ("dark", "slate")])
def test_a_portal_without_a_palette_follows_the_phone(browser: Any, site: str, scheme: str,
                                                      palette: str) -> None:
    """CONFIG sets no theme.palette: the plugin's default gives both schemes and a switch."""
    context = browser.new_context(**PHONE, color_scheme=scheme)
    page = context.new_page()
    page.goto(site + "clips/alpha/")
    assert page.locator("body").get_attribute("data-md-color-scheme") == palette
    assert page.locator("label[for^='__palette']:visible").count() == 1
    context.close()


def test_pages_use_relative_urls_and_stay_on_site(phone: Any, site: str) -> None:
    for path in ("", "topics/goal-setting/", "clips/alpha/", "search/?q=アルファ"):
        phone.goto(site + path)
        refs = phone.eval_on_selector_all(
            "[href], [src], [srcset], [poster]",
            "els => els.flatMap(e => ['href', 'src', 'srcset', 'poster']"
            ".map(a => e.getAttribute(a)).filter(Boolean))")
        absolute = [r for r in refs if r.startswith(("/", "http:", "https:"))
                    and not r.startswith("/" * 2 + "127.0.0.1")]
        assert absolute == [], (path, absolute)
    assert phone.offsite_requests == []


# ---------------------------------------------------------------------------------------------
# Hostile clip files: nothing from a clip file or caption may run as script.

PAYLOADS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>',
    "</title><script>alert(1)</script>", "javascript:alert(1)",
]
HOSTILE = " ".join(PAYLOADS)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from rangeserver import serve

    root = tmp_path_factory.mktemp("hostile")
    hostile_topic = "目標設定 <img src=x onerror=alert(1)></title><script>alert(1)</script>"
    write(root / "mkdocs.yml", CONFIG.replace("目標設定", f"'{hostile_topic}'"))
    (root / "docs").mkdir()
    (root / "videos").mkdir()
    make_source(root / "videos" / "evil.mp4", 3, "320x180")
    quoted = HOSTILE.replace("'", "''")
    write(root / "videos" / "evil.yml", f"""\
        title: 'XSSテスト {quoted}'
        topic: goal-setting
        description: |
          <script>alert(1)</script><img src=x onerror=alert(1)>
          [リンク](javascript:alert(1)) <a href="javascript:alert(1)">生のリンク</a>
          "><svg onload=alert(1)> </title><script>alert(1)</script>
        tags: ['{quoted}', '"><svg onload=alert(1)>']
        speakers: ['{quoted}']
        chapters:
          - {{start: "0:00", title: '{quoted}'}}
          - {{start: "0:01", title: '<img src=x onerror=alert(1)>'}}
        """)
    write(root / "captions" / "evil.ja.srt", srt(
        [(0.2, 1.0, "<script>alert(1)</script>"), (1.1, 1.9, "<img src=x onerror=alert(1)>"),
         (2.0, 2.8, '"><svg onload=alert(1)> javascript:alert(1)')]))
    result = run_cli("build", str(root))
    assert result.returncode == 0, result.stdout + result.stderr
    with serve(root / "build" / "site") as url:
        yield url


@pytest.mark.parametrize("path", [
    "", "topics/goal-setting/", "clips/evil/", "clips/evil/#t=1",
    "search/?q=XSS%E3%83%86%E3%82%B9%E3%83%88", "search/?q=alert", "search/?q=script",
    "search/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "search/?q=onerror",
])
def test_hostile_clip_file_runs_no_script(phone: Any, hostile_site: str, path: str) -> None:
    dialogs: list[str] = []
    phone.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    phone.goto(hostile_site + path)
    if path.startswith("search/"):
        phone.wait_for_selector("[data-cp-search][data-state=done]", timeout=15000)
    if "clips/" in path:
        phone.locator(".cp-transcript summary").click()
        phone.locator("video[data-clip]").evaluate(
            "async v => { await v.play(); await new Promise(r => setTimeout(r, 1500)); }")
    phone.wait_for_timeout(300)
    assert dialogs == []
    injected = phone.evaluate("""() => ({
        svg: document.querySelectorAll('svg[onload]').length,
        onerror: document.querySelectorAll('[onerror]').length,
        xImg: document.querySelectorAll('img[src="x"]').length,
        scripts: Array.from(document.scripts).filter(s => /alert/.test(s.textContent)).length,
        jsLinks: Array.from(document.querySelectorAll('[href]'))
            .filter(a => /^\\s*javascript:/i.test(a.getAttribute('href'))).length,
        title: document.title})""")
    assert injected["svg"] == injected["onerror"] == injected["xImg"] == 0, injected
    assert injected["scripts"] == injected["jsLinks"] == 0, injected
    if "clips/" in path:
        assert "<script>" in injected["title"], "the payload shows as text in <title>"
        assert "<script>alert(1)</script>" in phone.locator("h1").inner_text()
    if "XSS" in path:
        hits = phone.locator("[data-search-results] > li")
        assert hits.count() == 1 and "<img src=x" in hits.first.inner_text()


# ---------------------------------------------------------------------------------------------
# hls: true — the adaptive playlist is the 自動 choice where the browser plays HLS itself.

@pytest.fixture(scope="module")
def hls_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from rangeserver import serve

    root = tmp_path_factory.mktemp("hls")
    write(root / "mkdocs.yml", CONFIG.replace("      preset: ultrafast\n",
                                              "      preset: ultrafast\n      hls: true\n"))
    (root / "docs").mkdir()
    (root / "videos").mkdir()
    make_source(root / "videos" / "wave.mp4", 9)
    write(root / "videos" / "wave.yml", "title: 自動画質の動画\ntopic: goal-setting\n")
    write(root / "captions" / "wave.ja.srt", srt([(0.5, 2.5, "自動の字幕です。")]))
    result = run_cli("build", str(root))
    assert result.returncode == 0, result.stdout + result.stderr
    with serve(root / "build" / "site") as url:
        yield url


def test_hls_is_the_automatic_choice_and_plays(phone: Any, hls_site: str) -> None:
    phone.goto(hls_site + "clips/wave/")
    assert phone.locator("[data-cp=quality]").input_value() == "auto"
    state = phone.locator("video[data-clip]").evaluate("""async v => {
        await v.play(); await new Promise(r => setTimeout(r, 1500));
        return {src: v.currentSrc, width: v.videoWidth,
                frames: v.getVideoPlaybackQuality().totalVideoFrames, time: v.currentTime}; }""")
    assert state["src"].endswith("master.m3u8") and state["width"] > 0 and state["frames"] > 0
    phone.locator("[data-cp=quality]").select_option("360p")
    assert video_state(phone)["src"].endswith("360p.mp4")
    assert phone.offsite_requests == []


def test_hls_portal_still_saves_data_with_the_small_file(browser: Any, hls_site: str) -> None:
    from browserenv import PHONE

    context = browser.new_context(**PHONE)
    context.add_init_script(SAVE_DATA % ("true", "4g"))
    page = context.new_page()
    page.goto(hls_site + "clips/wave/")
    assert page.locator("[data-cp=quality]").input_value() == "360p"
    context.close()
