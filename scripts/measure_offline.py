#!/usr/bin/env python3
"""Measure offline viewing (issue 12) on the demo portal, in Chromium at a phone viewport
with a real service worker, served with gzip as static hosts do:

- the bytes sent by the server to save one clip and one topic, against the sum of the
  files' sizes in offline/clips.json (overhead ratio; target <= 1.02)
- the time from play() to the first decoded frame, offline (saved clip, network cut)
  against online (the same clip, not saved), from the same local server

    .venv/bin/python scripts/measure_offline.py                # build the demo in a temp dir
    .venv/bin/python scripts/measure_offline.py --site build/site

Exit status 1 when the overhead ratio is above 1.02.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "scripts"))
from browserenv import CHROMIUM, CHROMIUM_ARGS, PHONE  # noqa: E402
from measure_pages import SENT, demo_site, serve  # noqa: E402

MAX_RATIO = 1.02
RUNS = 3
MEDIA = (".mp4", ".webp", ".jpg")
"""Sent as they are; pages and tracks are gzipped by the server, so they cost less than
their size and the overall ratio can be below 1."""
FIRST_FRAME = """async v => { v.muted = true; const t0 = performance.now(); await v.play();
    await new Promise(r => { const tick = () => v.getVideoPlaybackQuality().totalVideoFrames > 0
        ? r() : requestAnimationFrame(tick); tick(); });
    return performance.now() - t0; }"""


def controlled_page(context: Any, url: str) -> Any:
    """A fresh phone: no service worker until it saves something."""
    page = context.new_page()
    page.goto(url, wait_until="load")
    return page


def save_and_count(browser: Any, url: str, selector: str) -> dict[str, int]:
    """Bytes the server sends per path while the button at `selector` saves (fresh phone)."""
    context = browser.new_context(**PHONE)
    page = controlled_page(context, url)
    SENT.clear()
    page.locator(selector).click()
    page.wait_for_function(f"""() => document.querySelector('{selector}')
        .getAttribute('data-offline-state') === 'saved'""", timeout=300000)
    sent = dict(SENT)
    context.close()
    return sent


def first_frame_ms(browser: Any, url: str, offline: bool) -> float:
    """Median time from play() to the first decoded frame over RUNS fresh loads."""
    context = browser.new_context(**PHONE)
    page = controlled_page(context, url)
    if offline:
        page.locator("[data-offline-save]").click()
        page.wait_for_function("""() => document.querySelector('[data-offline-save]')
            .getAttribute('data-offline-state') === 'saved'""", timeout=300000)
        context.set_offline(True)
    times = []
    for _ in range(RUNS):
        page.reload()
        page.wait_for_function("document.readyState === 'complete'")
        times.append(float(page.locator("video[data-clip]").evaluate(FIRST_FRAME)))
    context.close()
    return statistics.median(times)


def files_size(catalogue: dict[str, Any], slugs: Sequence[str], media: bool = False) -> int:
    return sum(f[1] for s in slugs for f in catalogue["clips"][s]["files"]
               if not media or f[0].endswith(MEDIA))


def clip_paths(catalogue: dict[str, Any], slugs: Sequence[str]) -> set[str]:
    return {"/" + f[0] for s in slugs for f in catalogue["clips"][s]["files"]}


def sent_size(sent: dict[str, int], paths: set[str], media: bool = False) -> int:
    return sum(v for k, v in sent.items() if k in paths and (not media or k.endswith(MEDIA)))


def measure(site: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    catalogue = json.loads((site / "offline" / "clips.json").read_text(encoding="utf-8"))
    topic = next(t for t, slugs in catalogue["topics"].items() if len(slugs) > 1)
    slugs = catalogue["topics"][topic]
    clip_url = catalogue["clips"][slugs[0]]["page"]
    report: dict[str, Any] = {"clip": slugs[0], "topic": topic}
    with serve(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        report["clip_sent"] = save_and_count(browser, base + clip_url, "[data-offline-save]")
        report["topic_sent"] = save_and_count(browser, base + f"topics/{topic}/",
                                              "[data-offline-save-topic]")
        report["online_ms"] = first_frame_ms(browser, base + clip_url, offline=False)
        report["offline_ms"] = first_frame_ms(browser, base + clip_url, offline=True)
        browser.close()
    for kind, chosen in (("clip", slugs[:1]), ("topic", slugs)):
        sent, paths = report.pop(f"{kind}_sent"), clip_paths(catalogue, chosen)
        report[f"{kind}_sent"] = sent_size(sent, paths)
        report[f"{kind}_media_sent"] = sent_size(sent, paths, media=True)
        report[f"{kind}_shell"] = sum(sent.values()) - report[f"{kind}_sent"]
        report[f"{kind}_files"] = files_size(catalogue, chosen)
        report[f"{kind}_media_files"] = files_size(catalogue, chosen, media=True)
    report["topic_clips"] = len(slugs)
    return report


def print_report(r: dict[str, Any]) -> list[str]:
    misses = []
    for kind in ("clip", "topic"):
        ratio = r[f"{kind}_sent"] / r[f"{kind}_files"]
        media = r[f"{kind}_media_sent"] / r[f"{kind}_media_files"]
        what = f"{kind} {r[kind]}" + (f" ({r['topic_clips']} clips)" if kind == "topic" else "")
        print(f"save {what}: {r[f'{kind}_sent'] / 1e6:.3f} MB sent for "
              f"{r[f'{kind}_files'] / 1e6:.3f} MB of files, overhead ratio {ratio:.3f} "
              f"(video and pictures alone: {media:.3f}); the first save also fetches "
              f"the worker and app shell: {r[f'{kind}_shell'] / 1000:.0f} KB")
        if max(ratio, media) > MAX_RATIO:
            misses.append(f"{kind} overhead ratio {ratio:.3f} > {MAX_RATIO}")
    print(f"first frame after play(): offline {r['offline_ms']:.0f} ms, "
          f"online {r['online_ms']:.0f} ms (median of {RUNS}, same local server)")
    return misses


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build the demo)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="clipportal-offline-") as tmp:
        site = args.site.resolve() if args.site else demo_site(Path(tmp))
        report = measure(site)
    misses = print_report(report)
    for miss in misses:
        print(f"MISSED: {miss}")
    return 1 if misses else 0


if __name__ == "__main__":
    raise SystemExit(main())
