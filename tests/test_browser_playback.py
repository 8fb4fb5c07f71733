"""Every demo clip page really plays in Chromium at a phone viewport: frames decoded, captions
loaded, no request off the site."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLUGS = sorted(p.stem for p in (Path(__file__).parent.parent / "videos").glob("*.yml"))

PLAYBACK_STATE = """async (v) => {
  await v.play();
  await new Promise(r => setTimeout(r, 1200));
  const q = v.getVideoPlaybackQuality();
  const tracks = Array.from(v.textTracks).map(t => ({kind: t.kind, lang: t.language,
      mode: t.mode, cues: t.cues ? t.cues.length : -1}));
  return {ready: v.readyState, time: v.currentTime, width: v.videoWidth,
          frames: q.totalVideoFrames, tracks};
}"""


@pytest.mark.parametrize("slug", SLUGS)
def test_clip_plays_with_captions(phone, site_url: str, slug: str) -> None:  # type: ignore[no-untyped-def]
    phone.goto(f"{site_url}clips/{slug}/")
    video = phone.locator(f"video[data-clip='{slug}']")
    assert video.count() == 1
    phone.wait_for_function(
        "() => { const t = Array.from(document.querySelector('video').textTracks)"
        ".find(t => t.kind === 'captions' && t.mode === 'showing');"
        " return t && t.cues && t.cues.length > 0; }", timeout=15000)
    state = video.evaluate(PLAYBACK_STATE)
    assert state["ready"] >= 3 and state["time"] > 0
    assert state["width"] > 0 and state["frames"] > 0, state
    showing = [t for t in state["tracks"] if t["kind"] == "captions" and t["mode"] == "showing"]
    assert showing and showing[0]["lang"] == "ja" and showing[0]["cues"] > 0, state
    assert phone.offsite_requests == []
