"""The demo portal as a viewer on a train sees it, in Chromium at a phone viewport (issue 10):
captions readable without fiddling (and a remembered 字幕サイズ), a tap anywhere on the poster
plays, Japanese search excerpts, no empty footer band, light and dark schemes that follow the
phone and pass axe, and chapter and transcript links that work without JavaScript."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserenv import PHONE
from conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLIP = "clips/goal-setting-basics/"
"""Four chapters (0:00, 0:07, 0:14, 0:21) and Japanese captions from 0:00.5."""
PAGES = {"home": "", "topic": "topics/goal-setting/", "clip": CLIP,
         "search": "search/?q=" + urllib.parse.quote("業務フロー")}
CJK = "\u3001-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60"
AXE_PATHS = [REPO / "node_modules" / "axe-core" / "axe.min.js",
             REPO / "build" / "tools" / "node_modules" / "axe-core" / "axe.min.js"]


@pytest.fixture()
def clip_page(phone: Any, site_url: str) -> Any:
    phone.goto(site_url + CLIP)
    return phone


# ---------------------------------------------------------------------------------------------
# Captions: the cue box lives in the video's user-agent shadow DOM, out of reach of page
# scripts, so it is read through the DevTools protocol (which can pierce it): the computed
# font size of the rendered cue element and the height of its box.

def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for key in ("children", "shadowRoots", "contentDocument"):
        value = node.get(key) or []
        for child in [value] if isinstance(value, dict) else value:
            yield from _nodes(child)


def rendered_cue(page: Any) -> dict[str, float]:
    """The caption cue on screen now: its font size and box height in CSS px."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
        cues = [n for n in _nodes(root)
                if n.get("attributes", [])[:2] == ["pseudo", "cue"]]
        assert cues, "no caption cue is rendered"
        style = cdp.send("CSS.getComputedStyleForNode", {"nodeId": cues[0]["nodeId"]})
        size = next(p["value"] for p in style["computedStyle"] if p["name"] == "font-size")
        box = cdp.send("DOM.getBoxModel", {"nodeId": cues[0]["nodeId"]})["model"]
        return {"font_px": float(size.removesuffix("px")), "height_px": float(box["height"])}
    finally:
        cdp.detach()


def show_first_cue(page: Any) -> None:
    """Pause on the first Japanese cue, and wait until the browser has drawn it."""
    page.locator("video[data-clip]").evaluate("""async v => {
        const track = Array.from(v.textTracks).find(t => t.language === 'ja'
            && t.mode === 'showing' && t.cues && t.cues.length);
        v.muted = true; await v.play(); v.pause();
        v.currentTime = track.cues[0].startTime + 0.4;
        await new Promise(r => v.addEventListener('seeked', r, {once: true}));
        while (!track.activeCues.length) await new Promise(r => setTimeout(r, 50));
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); }""")


def wait_for_captions(page: Any) -> None:
    page.wait_for_function("""() => Array.from(document.querySelector('video').textTracks)
        .some(t => t.language === 'ja' && t.mode === 'showing' && t.cues && t.cues.length)""",
                           timeout=15000)


def test_captions_are_readable_by_default_and_the_size_is_remembered(clip_page: Any) -> None:
    wait_for_captions(clip_page)
    show_first_cue(clip_page)
    default = rendered_cue(clip_page)
    # Chromium's own default is 5 % of the video's height: 11 px on a 390 px wide phone.
    assert default["font_px"] >= 16 and default["height_px"] >= 20, default
    menu = clip_page.get_by_label("字幕サイズ")
    assert menu.input_value() == "m"
    assert menu.locator("option").all_inner_texts() == ["小", "標準", "大", "特大"]
    menu.select_option(label="大")
    clip_page.wait_for_timeout(100)  # let the new style reach the cue's next rendering
    large = rendered_cue(clip_page)
    assert large["font_px"] >= default["font_px"] * 1.15, (default, large)
    clip_page.reload()
    wait_for_captions(clip_page)
    assert clip_page.get_by_label("字幕サイズ").input_value() == "l", "remembered"
    show_first_cue(clip_page)
    assert rendered_cue(clip_page)["font_px"] == large["font_px"]


# ---------------------------------------------------------------------------------------------
# Playback from a tap on the poster.

PLAYING = """() => { const v = document.querySelector('video[data-clip]');
    return !v.paused && v.currentTime > 0.3 && v.videoWidth > 0
        && v.getVideoPlaybackQuality().totalVideoFrames > 0; }"""


def test_a_tap_anywhere_on_the_poster_plays(clip_page: Any) -> None:
    button = clip_page.get_by_role("button", name="動画を再生")
    assert button.is_visible()
    video = clip_page.locator("video[data-clip]").bounding_box()
    assert video
    # upper left, away from both the big button's icon and the native controls at the bottom
    clip_page.touchscreen.tap(video["x"] + video["width"] * 0.15,
                              video["y"] + video["height"] * 0.2)
    clip_page.wait_for_function(PLAYING, timeout=10000)
    assert not button.is_visible()
    assert clip_page.offsite_requests == []


def test_the_big_play_button_works_from_the_keyboard(clip_page: Any) -> None:
    button = clip_page.get_by_role("button", name="動画を再生")
    button.focus()
    clip_page.keyboard.press("Enter")
    clip_page.wait_for_function(PLAYING, timeout=10000)
    assert not button.is_visible()
    assert clip_page.evaluate("document.activeElement.tagName") == "VIDEO", "focus stays put"


# ---------------------------------------------------------------------------------------------
# Search excerpts.

@pytest.mark.parametrize("query", ["業務フロー", "キャッシュレス", "所要時間"])
def test_search_excerpts_read_as_japanese(phone: Any, site_url: str, query: str) -> None:
    phone.goto(f"{site_url}search/?q={urllib.parse.quote(query)}")
    phone.wait_for_selector("[data-cp-search][data-state=done]", timeout=15000)
    texts = phone.locator("[data-search-results] .cp-hit-excerpt").all_inner_texts()
    assert texts
    for text in texts:
        assert not re.search(f"[{CJK}]\\. ?", text), text
        assert not re.search(f"[。、][ \u3000]+[{CJK}]", text), text


# ---------------------------------------------------------------------------------------------
# The end of every page.

BOTTOM_BLOCKS = """() => {
  const end = document.documentElement.scrollHeight, out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.height < 8 || r.width < innerWidth / 2 || r.bottom + scrollY < end - 2
        || !el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
    const c = getComputedStyle(el).backgroundColor.match(/[\\d.]+/g).map(Number);
    if (c.length === 4 && c[3] === 0) continue;
    out.push({tag: el.tagName, cls: String(el.className), text: el.innerText.trim(),
              luminance: (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255});
  }
  return out; }"""


@pytest.mark.parametrize("name", [*PAGES, "about"])
def test_no_page_ends_in_an_empty_dark_band(phone: Any, site_url: str, name: str) -> None:
    phone.goto(site_url + PAGES.get(name, "about/"))
    blocks = phone.evaluate(BOTTOM_BLOCKS)
    empty_dark = [b for b in blocks if b["luminance"] < 0.3 and not b["text"]]
    assert empty_dark == [], empty_dark
    footers = phone.locator(".md-footer")
    assert footers.count() == 0 or footers.inner_text().strip()


# ---------------------------------------------------------------------------------------------
# Light and dark, as the phone is set; axe in both.

def axe_script() -> Path:
    found = [p for p in AXE_PATHS if p.is_file()]
    if not found:
        pytest.fail("axe-core is not installed: run `npm ci` in the repository root")
    return found[0]


@pytest.mark.parametrize(("scheme", "palette"), [("light", "default"), ("dark", "slate")])
def test_scheme_follows_the_phone_and_axe_passes(browser: Any, site_url: str, scheme: str,
                                                 palette: str) -> None:
    context = browser.new_context(**PHONE, color_scheme=scheme)
    page = context.new_page()
    problems: dict[str, list[str]] = {}
    for name, path in PAGES.items():
        page.goto(site_url + path)
        if name == "search":
            page.wait_for_selector("[data-cp-search][data-state=done]", timeout=15000)
        assert page.locator("body").get_attribute("data-md-color-scheme") == palette, name
        toggle = page.locator("label[for^='__palette']:visible")
        assert toggle.count() == 1 and toggle.get_attribute("title"), "a switch in the header"
        page.add_script_tag(path=str(axe_script()))
        found = page.evaluate("""async () => (await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}}))
            .violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))""")
        if found:
            problems[name] = found
    context.close()
    assert problems == {}


def test_the_scheme_follows_a_change_on_the_phone_and_the_switch_is_remembered(
        phone: Any, site_url: str) -> None:
    phone.goto(site_url)
    body = phone.locator("body")
    assert body.get_attribute("data-md-color-scheme") == "default"
    phone.emulate_media(color_scheme="dark")  # the phone turns dark at dusk
    phone.wait_for_function("document.body.dataset.mdColorScheme === 'slate'")
    phone.emulate_media(color_scheme="light")
    phone.wait_for_function("document.body.dataset.mdColorScheme === 'default'")
    for _ in range(2):  # automatic (light here) → light → dark
        phone.locator("label[for^='__palette']:visible").click()
    assert body.get_attribute("data-md-color-scheme") == "slate"
    phone.goto(site_url + CLIP)
    assert body.get_attribute("data-md-color-scheme") == "slate"
    phone.locator("input[name=__palette]:checked").focus()
    phone.keyboard.press("Enter")  # dark → automatic (light here), from the keyboard
    assert body.get_attribute("data-md-color-scheme") == "default"
    assert phone.evaluate("document.activeElement.checked"), "focus follows the switch"


# ---------------------------------------------------------------------------------------------
# Chapter and transcript links are `#t=SECONDS`: they bring the player into view with or
# without JavaScript, and with it they also seek.

PLAYER_IN_VIEW = """() => {
    const r = document.querySelector('.cp-player').getBoundingClientRect();
    const header = document.querySelector('.md-header').getBoundingClientRect();
    return r.top >= header.bottom - 1 && r.bottom <= innerHeight; }"""


def click_from_the_bottom(page: Any, link: Any) -> None:
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    assert not page.evaluate(PLAYER_IN_VIEW)
    link.click()


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_chapter_and_transcript_links_bring_the_player_into_view(browser: Any, site_url: str,
                                                                 javascript: bool) -> None:
    context = browser.new_context(**PHONE, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(site_url + CLIP)
    chapter = page.locator(".cp-chapters a").nth(1)
    assert chapter.get_attribute("href") == "#t=7"
    click_from_the_bottom(page, chapter)
    page.wait_for_url("**#t=7")
    page.wait_for_function(PLAYER_IN_VIEW)
    if javascript:
        page.wait_for_function("Math.abs(document.querySelector('video').currentTime - 7) < 1")
    page.locator(".cp-transcript summary").click()
    stamp = page.locator(".cp-transcript a[data-seek]").nth(1)
    target = stamp.get_attribute("href") or ""
    assert re.fullmatch(r"#t=\d+", target), target
    click_from_the_bottom(page, stamp)
    page.wait_for_url("**" + target)
    page.wait_for_function(PLAYER_IN_VIEW)
    context.close()
