"""`media_url` in a real browser: the pages on one origin, the media on a second one that
sends CORS headers. The clip plays and its Japanese captions show from the media origin."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli
from rangeserver import RangeHandler, serve
from test_browser_playback import PLAYBACK_STATE
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
