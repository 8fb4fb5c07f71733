"""Offline viewing (issue 12) in Chromium with a real service worker on 127.0.0.1: save a clip
from its page and play it with the network cut (from 0 and after a seek to 70 %, frames decoded
and Japanese captions showing), the offline message for unsaved clips, a whole topic, deleting
(storage usage drops), resuming an interrupted download (bytes counted on the server), the
same under a sub-path, search saying it cannot work offline, a rebuild that changes one clip
(「更新あり」), and `offline: false`.

One small portal is built for the whole module (ultrafast encodes); the update test rebuilds
it, so it runs after the tests that need the first build."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import PHONE, run_cli
from rangeserver import RangeHandler, serve
from test_browser_site import CONFIG, make_source, srt, write
from test_browser_viewer import axe_script

from clipportal.site.offline import CHUNK_BYTES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOT_SAVED = "オフラインのため再生できません。電波のある所で開くか、事前に保存してください。"
SEARCH_OFFLINE = ("オフラインのため検索できません"
                  "（保存済みの動画は「保存済み」ページから見られます）")


class Counting(RangeHandler):
    """Counts the body bytes sent per path and the Range asked for; paths ending with an
    entry of `slow` trickle out, and stop mid-file while `lost` is set (the signal is gone:
    Chromium's offline mode fails new requests but lets a running one finish)."""

    sent: ClassVar[dict[str, int]] = {}
    ranges: ClassVar[list[tuple[str, str]]] = []
    slow: ClassVar[set[str]] = set()
    lost: ClassVar[list[bool]] = [False]

    def send_head(self):  # type: ignore[no-untyped-def]
        self.ranges.append((self.path, self.headers.get("Range", "")))
        return super().send_head()

    def copyfile(self, source: Any, outputfile: Any) -> None:
        slow = any(self.path.endswith(s) for s in self.slow)
        try:
            while block := source.read(16384):
                outputfile.write(block)
                self.sent[self.path] = self.sent.get(self.path, 0) + len(block)
                if slow and self.lost[0]:
                    return  # the connection closes before the promised length
                if slow:
                    time.sleep(0.02)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """alpha (30 s, 720p source: two renditions, Japanese captions) and beta (8 s) in one
    topic, gamma (6 s) in another."""
    root = tmp_path_factory.mktemp("offline")
    write(root / "mkdocs.yml", CONFIG)
    (root / "docs").mkdir()
    (root / "videos").mkdir()
    make_source(root / "videos" / "alpha.mp4", 30)
    make_source(root / "videos" / "beta.mp4", 8, "640x360")
    make_source(root / "videos" / "gamma.mp4", 6, "640x360")
    write(root / "videos" / "alpha.yml", "title: アルファの動画\ntopic: goal-setting\n"
          "chapters:\n  - {start: '0:00', title: はじめに}\n  - {start: '0:15', title: まとめ}\n")
    write(root / "videos" / "beta.yml", "title: ベータの動画\ntopic: goal-setting\n")
    write(root / "videos" / "gamma.yml", "title: ガンマの動画\ntopic: flow-mapping\n")
    write(root / "captions" / "alpha.ja.srt", srt(
        [(0.2 + 3 * i, 2.9 + 3 * i, f"第{i + 1}の字幕です。") for i in range(10)]))
    write(root / "captions" / "beta.ja.srt", srt([(0.2, 7.5, "ベータの字幕です。")]))
    result = run_cli("build", str(root))
    assert result.returncode == 0, result.stdout + result.stderr
    (root / "serve").mkdir()
    os.symlink(root / "build" / "site", root / "serve" / "portal")
    return root


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[str]:
    """The site at the server's root."""
    with serve(project / "build" / "site", base=Counting) as url:
        yield url


@pytest.fixture(scope="module")
def sub_server(project: Path) -> Iterator[str]:
    """The same site under /portal/."""
    with serve(project / "serve", base=Counting) as url:
        yield url + "portal/"


@pytest.fixture()
def context(browser: Any) -> Iterator[Any]:
    """A fresh phone with its own storage and service worker (no request routing: it would
    turn the HTTP cache off and hide nothing here)."""
    context = browser.new_context(**PHONE)
    yield context
    context.close()


def open_page(context: Any, url: str) -> Any:
    """Open `url` on a phone that has saved nothing yet: no service worker until it does."""
    page = context.new_page()
    page.goto(url)
    page.wait_for_load_state("load")
    assert page.evaluate("navigator.serviceWorker.getRegistration()") is None
    return page


def controlled(page: Any) -> None:
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("!!navigator.serviceWorker.controller")


def state(page: Any, selector: str = "[data-offline-save]") -> str:
    return str(page.locator(selector).get_attribute("data-offline-state"))


def wait_state(page: Any, wanted: str, selector: str = "[data-offline-save]",
               timeout: float = 60000) -> None:
    page.wait_for_function(f"""() => document.querySelector('{selector}')
        .getAttribute('data-offline-state') === '{wanted}'""", timeout=timeout)


def save_clip(page: Any) -> None:
    assert state(page) == "none"
    page.locator("[data-offline-save]").click()
    wait_state(page, "saved")
    controlled(page)


def play_from(page: Any, fraction: float) -> dict[str, Any]:
    """Play from `fraction` of the length; the player's state after frames were decoded."""
    return dict(page.locator("video[data-clip]").evaluate("""async (v, f) => {
        v.muted = true;
        await v.play();
        if (f > 0) {
            v.currentTime = v.duration * f;
            await new Promise(r => v.addEventListener('seeked', r, {once: true}));
        }
        const before = v.getVideoPlaybackQuality().totalVideoFrames;
        const t0 = v.currentTime;
        await new Promise(r => { const tick = () => v.currentTime > t0 + 0.5 ? r() :
            setTimeout(tick, 50); tick(); });
        const ja = Array.from(v.textTracks).find(t => t.language === 'ja');
        return {time: v.currentTime, duration: v.duration, width: v.videoWidth,
                frames: v.getVideoPlaybackQuality().totalVideoFrames, before,
                src: v.currentSrc, error: v.error && v.error.code,
                captions: ja ? ja.mode : 'none',
                cue: ja && ja.activeCues && ja.activeCues.length ? ja.activeCues[0].text : ''};
    }""", fraction))


def assert_plays(page: Any, captions: bool = True) -> str:
    start = play_from(page, 0)
    assert start["width"] > 0 and start["frames"] > 0 and not start["error"], start
    seek = play_from(page, 0.7)
    assert seek["time"] >= seek["duration"] * 0.7 - 1, seek
    assert seek["frames"] > seek["before"], seek
    if captions:
        assert seek["captions"] == "showing" and "字幕" in seek["cue"], seek
    return str(seek["src"])


def usage(page: Any) -> int:
    return int(page.evaluate("navigator.storage.estimate().then(e => e.usage)"))


def test_saved_clip_plays_offline_and_unsaved_ones_say_why(context: Any, server: str) -> None:
    page = open_page(context, server + "clips/alpha/")
    button = page.locator("[data-offline-save]")
    assert button.count() == 1 and "標準画質" in button.inner_text()
    assert " MB" in button.inner_text()
    save_clip(page)
    page.goto(server + "clips/beta/")  # read online: the worker keeps a copy of the page only
    context.set_offline(True)
    page.goto(server + "clips/alpha/")
    page.reload()
    assert page.locator("h1.cp-title").inner_text() == "アルファの動画"
    assert state(page) == "saved"
    src = assert_plays(page)
    assert "360p" in src and page.locator("[data-cp=quality]").input_value() == "360p"
    page.goto(server + "clips/beta/")
    page.locator("[data-offline-message]").wait_for()
    assert page.locator("[data-offline-message]").inner_text() == NOT_SAVED
    page.goto(server + "clips/gamma/")  # never opened: the worker's own answer
    assert page.locator("[data-offline-message]").inner_text() == NOT_SAVED
    assert_styled_fallback(page, server)


def assert_styled_fallback(page: Any, server: str) -> None:
    """The portal's page, styled from the stored app shell (the theme's header, clipportal's
    message box), with a working link to the saved clips and no serious axe finding."""
    looks = page.evaluate("""() => ({
        header: getComputedStyle(document.querySelector('.md-header')).backgroundColor,
        border: getComputedStyle(document.querySelector('[data-offline-message]'))
            .borderLeftWidth,
        saved: document.querySelector('a.cp-button--primary').href})""")
    assert looks == {"header": looks["header"], "border": "4px",
                     "saved": server + "offline/"}, looks
    assert looks["header"] not in ("", "rgba(0, 0, 0, 0)"), looks
    # the link drawn as a button: its words in the button's colour, not the theme's link
    # colour, which is the button's background (the words were invisible)
    colours = page.locator("a.cp-button--primary").evaluate(
        "a => [getComputedStyle(a).color, getComputedStyle(a).backgroundColor]")
    assert colours[0] != colours[1], colours
    assert axe_problems(page) == []
    page.locator("a.cp-button--primary").click()
    page.wait_for_url(server + "offline/")
    page.locator("[data-offline-item]").first.wait_for()


def axe_problems(page: Any) -> list[str]:
    page.add_script_tag(path=str(axe_script()))
    return list(page.evaluate("""async () => (await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}}))
        .violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"""))


def test_topic_saved_plays_offline_and_deleting_frees_space(context: Any, server: str) -> None:
    page = open_page(context, server + "topics/goal-setting/")
    topic = "[data-offline-save-topic]"
    assert page.locator(topic).count() == 1 and "2本" in page.locator(topic).inner_text()
    page.locator(topic).click()
    wait_state(page, "saved", topic)
    controlled(page)
    assert page.locator(".cp-saved:visible").count() == 2
    context.set_offline(True)
    for slug in ("alpha", "beta"):
        page.goto(server + f"clips/{slug}/")
        assert_plays(page)
    page.goto(server + "offline/")
    page.locator("[data-offline-item]").first.wait_for()
    assert page.locator("[data-offline-item]").count() == 2
    size = page.evaluate("""() => caches.open('cp-clips').then(c => c.match(
        new URL('__cp/clip/alpha', document.baseURI.replace(/offline\\/.*$/, '')))).then(
        r => r.json()).then(r => r.size)""")
    before = usage(page)
    page.locator("[data-offline-item=alpha] button").click()
    page.wait_for_function("document.querySelectorAll('[data-offline-item]').length === 1")
    freed = before - usage(page)
    assert freed >= 0.8 * size, (before, freed, size)


def test_interrupted_download_resumes_where_it_stopped(context: Any, server: str) -> None:
    page = open_page(context, server + "clips/alpha/")
    video = page.evaluate("""() => fetch('../../offline/clips.json')
        .then(r => r.json()).then(j => j.clips.alpha.video)""")
    path = "/" + video
    Counting.slow.add(video)
    Counting.sent.pop(path, None)
    try:
        page.locator("[data-offline-save]").click()
        page.wait_for_function("""() => +document.querySelector('[data-offline-progress]')
            .value >= 60""", timeout=60000)
        Counting.lost[0] = True
        context.set_offline(True)
        wait_state(page, "error")
        cut = Counting.sent.get(path, 0)
        Counting.lost[0] = False
        context.set_offline(False)  # back online: it carries on by itself, or on a tap
        page.evaluate("""() => { const b = document.querySelector('[data-offline-save]');
            if (b.dataset.offlineState === 'error') b.click(); }""")
        wait_state(page, "saved")
    finally:
        Counting.slow.discard(video)
        Counting.lost[0] = False
    asked = [r for p, r in Counting.ranges if p == path]
    size = int(page.evaluate("""u => caches.open('cp-files').then(c => c.match(
        new URL(u, location.href).href + '?cp=meta')).then(r => r.json()).then(m => m.size)""",
                             "../../" + video))
    resumed_at = int(asked[-1].removeprefix("bytes=").split("-")[0])
    assert resumed_at >= CHUNK_BYTES and resumed_at <= cut, (asked, cut)
    assert Counting.sent[path] <= size + CHUNK_BYTES + 256 * 1024, (Counting.sent[path], size)


def test_the_same_under_a_sub_path(context: Any, sub_server: str) -> None:
    page = open_page(context, sub_server + "clips/beta/")
    save_clip(page)
    scope = page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.scope)")
    assert scope == sub_server
    context.set_offline(True)
    page.reload()
    assert_plays(page)
    page.goto(sub_server + "offline/")
    link = page.locator("[data-offline-item] a")
    link.wait_for()
    assert link.get_attribute("href") == sub_server + "clips/beta/"


def search_status(page: Any) -> str:
    page.wait_for_function("""() => ['done', 'error'].includes(
        document.querySelector('[data-cp-search]').getAttribute('data-state'))""")
    return str(page.locator("[data-cp-status]").inner_text())


def test_search_says_plainly_that_it_cannot_work_offline(context: Any, server: str) -> None:
    page = open_page(context, server + "clips/alpha/")
    save_clip(page)
    page.goto(server + "search/?q=アルファ")  # online: the index is read and kept
    assert search_status(page).endswith("1 件")
    context.set_offline(True)
    page.locator("#cp-q").fill("ベータ")  # beta's result fragment was never fetched
    page.locator("#cp-q").press("Enter")
    assert search_status(page) == SEARCH_OFFLINE
    page.goto(server + "search/?q=ガンマ")  # a fresh page: the worker's copy of the search page
    assert search_status(page) == SEARCH_OFFLINE
    page.locator("[data-cp-status] a").click()
    page.wait_for_url(server + "offline/")
    page.locator("[data-offline-item=alpha]").wait_for()


def test_a_card_saves_its_clip_and_it_plays_offline(context: Any, server: str) -> None:
    """「端末に保存」 on a topic page's card, used from the keyboard: a real button beside the
    card's link, named with the size, showing its progress and then 保存済み."""
    page = open_page(context, server + "topics/goal-setting/")
    card = page.locator("[data-clip-card=beta]")
    button = card.get_by_role("button", name=re.compile(r"^端末に保存（\d+\.\d MB）$"))
    assert button.count() == 1 and card.locator("a [data-offline-card-save]").count() == 0
    assert button.evaluate("b => document.getElementById(b.getAttribute('aria-describedby'))"
                           ".textContent") == "ベータの動画"
    seen: list[str] = []
    page.expose_function("cpSeen", lambda text: seen.append(text))
    button.evaluate("""b => new MutationObserver(() => window.cpSeen(b.textContent))
        .observe(b, {childList: true, characterData: true, subtree: true})""")
    button.focus()
    page.keyboard.press("Enter")
    card_save = "[data-clip-card=beta] [data-offline-card-save]"
    wait_state(page, "saved", card_save)
    controlled(page)
    assert card.locator("[data-offline-card-save]").inner_text() == "保存済み"
    assert any(re.fullmatch(r"保存中 \d+%（押すと中止）", t) for t in seen), seen
    assert card.locator(".cp-saved").is_visible()
    assert state(page, "[data-clip-card=alpha] [data-offline-card-save]") == "none"
    assert state(page, "[data-offline-save-topic]") == "none"  # one of two clips saved
    assert axe_problems(page) == []
    context.set_offline(True)
    page.goto(server + "clips/beta/")
    assert page.locator("[data-offline-save]").count() == 1 and state(page) == "saved"
    assert_plays(page)


def test_on_mobile_data_a_save_asks_first_with_the_size(browser: Any, server: str) -> None:
    """navigator.connection says cellular: the clip page's button and a card's both ask with
    the size; declined, nothing is downloaded (requests counted); accepted, it saves."""
    context = browser.new_context(**PHONE)
    context.add_init_script("""Object.defineProperty(Navigator.prototype, 'connection', {
        configurable: true, get: () => ({type: 'cellular', effectiveType: '4g', saveData: false,
        addEventListener() {}, removeEventListener() {}})})""")
    try:
        page = open_page(context, server + "clips/beta/")
        asked: list[str] = []
        answer = [False]

        def on_dialog(dialog: Any) -> None:
            asked.append(f"{dialog.type}: {dialog.message}")
            if answer[0]:
                dialog.accept()
            else:
                dialog.dismiss()

        page.on("dialog", on_dialog)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url) if r.resource_type in (
            "fetch", "xhr") or r.url.endswith("sw.js") else None)
        label = page.locator("[data-offline-save]").get_attribute("data-offline-label")
        page.locator("[data-offline-save]").click()
        card = page.locator("[data-clip-card=alpha] [data-offline-card-save]")
        size = re.search(r"（(.+)）", card.inner_text())
        assert size is not None
        card.click()
        page.wait_for_timeout(1000)
        assert asked == [f"confirm: モバイル回線か節約モードです。{label} をダウンロードしますか？",
                         "confirm: モバイル回線か節約モードです。「アルファの動画」"
                         f"（{size[1]}）をダウンロードしますか？"], asked
        assert requests == [], requests
        assert page.evaluate("caches.open('cp-files').then(c => c.keys()).then(k => k.length)") == 0
        assert state(page) == "none" and card.get_attribute("data-offline-state") == "none"
        assert page.evaluate("navigator.serviceWorker.getRegistration()") is None
        answer[0] = True
        card.click()
        wait_state(page, "saved", "[data-clip-card=alpha] [data-offline-card-save]")
        assert len(asked) == 3 and any("/alpha/" in r for r in requests), requests
    finally:
        context.close()


def test_a_changed_clip_is_marked_and_the_old_one_plays_until_updated(
        context: Any, server: str, project: Path) -> None:
    page = open_page(context, server + "clips/alpha/")
    save_clip(page)
    old = page.locator("[data-offline-save]").get_attribute("data-offline-version")
    make_source(project / "videos" / "alpha.mp4", 24)  # the editor trims the clip to 24 s
    write(project / "captions" / "alpha.ja.srt", srt(  # and its captions with it
        [(0.2 + 3 * i, 2.9 + 3 * i, f"第{i + 1}の字幕です。") for i in range(8)]))
    result = run_cli("build", str(project))
    assert result.returncode == 0, result.stdout + result.stderr
    page.reload()
    assert page.locator("[data-offline-save]").get_attribute("data-offline-version") != old
    page.locator("[data-offline-update-box]").wait_for()
    assert "更新あり" in page.locator("[data-offline-update-box]").inner_text()
    context.set_offline(True)
    page.reload()
    old_src = assert_plays(page)
    assert page.locator("video[data-clip]").evaluate("v => Math.round(v.duration)") == 30
    context.set_offline(False)
    page.reload()
    page.locator("[data-offline-update]").click()
    page.wait_for_function("""() => document.querySelector('[data-offline-update-box]').hidden
        && document.querySelector('[data-offline-save]').dataset.offlineState === 'saved'""",
                           timeout=60000)
    context.set_offline(True)
    page.reload()
    new_src = assert_plays(page)
    assert new_src != old_src
    assert page.locator("video[data-clip]").evaluate("v => Math.round(v.duration)") == 24
    gone = page.evaluate("u => caches.open('cp-files').then(c => c.match(u + '?cp=meta'))",
                         old_src)
    assert gone is None


def test_offline_false_builds_without_any_of_it(project: Path) -> None:
    config = project / "mkdocs.yml"
    config.write_text(CONFIG + "      offline: false\n", encoding="utf-8")
    result = run_cli("build", str(project))
    assert result.returncode == 0, result.stdout + result.stderr
    site = project / "build" / "site"
    assert not (site / "sw.js").exists() and not (site / "manifest.webmanifest").exists()
    assert not (site / "offline").exists()
    for page in ("clips/alpha/index.html", "topics/goal-setting/index.html", "index.html"):
        html = (site / page).read_text(encoding="utf-8")
        assert "data-offline" not in html and "offline.js" not in html, page
        assert "manifest" not in html, page
