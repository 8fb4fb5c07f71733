"""`media_url` in a real browser: the pages on one origin, the media on a second one that
sends CORS headers. The clip plays and its Japanese captions show from the media origin, and
a clip saved from there plays offline from the service worker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import PHONE, run_cli
from rangeserver import RangeHandler, serve
from test_browser_offline import assert_plays, open_page, save_clip, wait_state
from test_browser_playback import PLAYBACK_STATE
from test_browser_site import CONFIG, make_source, srt, write
from test_cli import portal
from test_pipeline import SIMPLE

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class CorsHandler(RangeHandler):
    """A media host set up as the README says: any origin may read the files."""

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()


def _media_portal(root: Path, media_url: str) -> Path:
    portal(root, {"flow": SIMPLE})
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  - clipportal\n", f"  - clipportal:\n      media_url: {media_url}\n"),
        encoding="utf-8")
    return root


def test_clip_plays_with_captions_from_a_second_origin(phone, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    media = tmp_path / "portal" / "build" / "media"
    media.mkdir(parents=True)
    with serve(media, base=CorsHandler) as media_url:
        root = _media_portal(tmp_path / "portal", media_url)
        built = run_cli("build", str(root))
        assert built.returncode == 0, built.stderr
        site = root / "build" / "site"
        assert not (site / "media").exists() and list(media.glob("flow/*/*.mp4"))
        with serve(site) as site_url:
            requested: list[str] = []
            phone.on("request", lambda request: requested.append(request.url))
            phone.goto(f"{site_url}clips/flow/")
            phone.wait_for_function(
                "() => { const t = Array.from(document.querySelector('video').textTracks)"
                ".find(t => t.kind === 'captions' && t.mode === 'showing');"
                " return t && t.cues && t.cues.length > 0; }", timeout=15000)
            state = phone.locator("video[data-clip='flow']").evaluate(PLAYBACK_STATE)
            cue = phone.evaluate("() => Array.from(document.querySelector('video').textTracks)"
                                 ".find(t => t.kind === 'captions').cues[0].text")
    assert state["ready"] >= 3 and state["frames"] > 0 and state["width"] > 0, state
    assert cue == "業務フローを書き出します"
    assert [u for u in requested if u.endswith(".vtt")], requested
    media_requests = [u for u in requested if u.endswith((".mp4", ".vtt", ".webp", ".jpg"))]
    assert media_requests and all(u.startswith(media_url) for u in media_requests), requested
    assert phone.offsite_requests == []


class CountingCors(CorsHandler):
    """The media host, recording every request that reaches it (method, path, Range),
    preflights included."""

    seen: ClassVar[list[tuple[str, str, str]]] = []

    def parse_request(self) -> bool:
        ok = super().parse_request()
        if ok:
            self.seen.append((self.command, self.path, self.headers.get("Range", "")))
        return ok


def _offline_portal(root: Path, media_url: str) -> Path:
    """alpha (8 s, captions all along) and beta (4 s) in one topic, media at `media_url`."""
    write(root / "mkdocs.yml", CONFIG + f"      media_url: {media_url}\n")
    for folder in ("docs", "videos"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    make_source(root / "videos" / "alpha.mp4", 8, "640x360")
    make_source(root / "videos" / "beta.mp4", 4, "320x180")
    write(root / "videos" / "alpha.yml", "title: アルファの動画\ntopic: goal-setting\n")
    write(root / "videos" / "beta.yml", "title: ベータの動画\ntopic: goal-setting\n")
    write(root / "captions" / "alpha.ja.srt", srt(
        [(0.1 + i, 0.9 + i, f"第{i + 1}の字幕です。") for i in range(8)]))
    write(root / "captions" / "beta.ja.srt", srt(
        [(0.1 + i, 0.9 + i, f"ベータの字幕{i + 1}") for i in range(4)]))
    return root


def test_a_clip_saved_from_a_second_origin_plays_offline(browser: Any, tmp_path: Path) -> None:
    """With `media_url`, the save buttons are there, the clip is saved from the media host
    with CORS under its absolute URLs, and offline the worker answers the player (from 0 and
    after a seek to 70 %, frames decoded, Japanese captions showing) without one request to
    the media host. A clip not saved still plays online through the worker, with captions."""
    media = tmp_path / "portal" / "build" / "media"
    media.mkdir(parents=True)
    with serve(media, base=CountingCors) as media_url:
        root = _offline_portal(tmp_path / "portal", media_url)
        built = run_cli("build", str(root))
        assert built.returncode == 0, built.stdout + built.stderr
        site = root / "build" / "site"
        catalogue = json.loads((site / "offline" / "clips.json").read_text(encoding="utf-8"))
        alpha = catalogue["clips"]["alpha"]
        assert alpha["video"].startswith(media_url) and alpha["files"][-1][0] == "clips/alpha/"
        assert all(f.startswith(media_url) and n > 0 for f, n in alpha["files"][:-1]), alpha
        context = browser.new_context(**PHONE)
        try:
            with serve(site) as site_url:
                page = open_page(context, site_url + "topics/goal-setting/")
                assert page.locator("[data-offline-save-topic]").count() == 1
                assert page.locator("[data-offline-card-save]").count() == 2
                page.goto(site_url + "clips/alpha/")
                CountingCors.seen.clear()
                save_clip(page)
                saved = [media_url[:-1] + p for m, p, _ in CountingCors.seen if m == "GET"]
                assert sorted(saved) == sorted(f for f, _ in alpha["files"][:-1]), saved
                resume = page.evaluate("""u => fetch(u, {mode: 'cors', cache: 'no-store',
                    headers: {Range: 'bytes=1000-'}}).then(r => r.status)""", alpha["video"])
                assert resume == 206  # a resumed download's request, as offline.js sends it
                assert [m for m, _, _ in CountingCors.seen if m != "GET"] == []  # no preflight
                stored = page.evaluate("u => caches.open('cp-files').then(c => c.match("
                                       "u + '?cp=meta')).then(r => r && r.json())",
                                       alpha["video"])
                assert stored and stored["done"] and stored["size"] > 0, stored
                page.goto(site_url + "clips/beta/")  # online, not saved: through the worker
                assert_plays(page)
                assert any(p.endswith(".vtt") for _, p, _ in CountingCors.seen if "beta" in p)

                answers: list[tuple[str, bool]] = []
                failed: list[str] = []
                page.on("response", lambda r: answers.append(
                    (r.url, r.from_service_worker)) if r.url.startswith(media_url) else None)
                page.on("requestfailed", lambda r: failed.append(r.url)
                        if r.url.startswith(media_url) else None)
                CountingCors.seen.clear()
                context.set_offline(True)
                page.goto(site_url + "clips/alpha/")
                page.reload()
                wait_state(page, "saved")
                src = assert_plays(page)
                assert src == alpha["video"]
                assert CountingCors.seen == [] and failed == [], (CountingCors.seen, failed)
                assert [u for u, _ in answers if u.endswith(".vtt")], answers
                assert answers and all(sw for _, sw in answers), answers

                page.goto(site_url + "offline/")  # deleting removes the stored media files
                page.locator("[data-offline-item=alpha] button").click()
                page.wait_for_function("!document.querySelector('[data-offline-item]')")
                gone = page.evaluate("u => caches.open('cp-files').then(c => c.keys()).then("
                                     "k => k.filter(r => r.url.startsWith(u)).length)", media_url)
                assert gone == 0
        finally:
            context.close()
