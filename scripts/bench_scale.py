#!/usr/bin/env python3
"""How clipportal scales: generated portals of 100, 300 and 1,000 clips with Japanese titles,
descriptions, tags and captions (30–60 cues each), all sharing one tiny source video so that
every clip's media is one cache entry encoded once (the media key is the source's bytes, the
settings, the poster time and the chapter times, which are equal for every clip here).

    .venv/bin/python scripts/bench_scale.py                  # 100, 300 and 1,000 clips
    .venv/bin/python scripts/bench_scale.py --sizes 100,300  # a quicker run
    .venv/bin/python scripts/bench_scale.py --no-browser     # build times only

For each size it prints, in seconds of wall time for `clipportal build` (a fresh process, as an
editor runs it): the first site build (media already cached), a no-op rebuild, a rebuild after
one clip's title was edited, after one cue of its captions was edited, and after one clip was
added. Then the bytes a phone (Chromium) transfers, counted by the server (gzip on, as static
hosts do; `Cache-Control: max-age=600` so the HTTP cache is on, as on a real host): the home
page and the largest topic page before the user scrolls (HTML, CSS, scripts, images), and the
search bundle for a first query (search/?q=…) and for a later query typed on the same page.
Each benchmark query is a clip's title and must find that clip in the top 3.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "scripts"))
import measure_search as vocab  # noqa: E402
from browserenv import CHROMIUM, CHROMIUM_ARGS, PHONE  # noqa: E402
from rangeserver import RangeHandler, serve  # noqa: E402

SOURCE_SECONDS = 150
CHAPTERS = ((0, "はじめに"), (50, "現状と課題"), (100, "取り組みと効果"))
"""Equal times in every clip (they are part of the media key); the titles vary."""
QUERY_COUNT = 5


@dataclass
class BenchClip:
    slug: str
    topic: str
    title: str
    description: str
    tags: list[str]
    speakers: list[str]
    date: str
    cues: list[tuple[float, float, str]] = field(default_factory=list)


def generate_clips(count: int, seed: int = 14) -> list[BenchClip]:
    rng = random.Random(seed)
    titles: set[str] = set()
    return [_clip(i, rng, titles) for i in range(count)]


def _clip(i: int, rng: random.Random, titles: set[str]) -> BenchClip:
    service, dept = rng.choice(vocab.SERVICES)
    tool = rng.choice(vocab.TOOLS)
    effect = rng.choice(vocab.EFFECTS).format(n=rng.choice((10, 15, 20, 25, 30)))
    # topics are uneven, as in a real library: one of them holds a quarter of the clips
    topic = vocab.TOPICS[0] if i % 4 == 0 else rng.choice(vocab.TOPICS[1:])
    title = _unique(vocab._title(rng, topic, service, tool, dept, effect), titles)
    case = vocab.RARE_CASES[i % len(vocab.RARE_CASES)]
    sentences = vocab._sentences(rng, service, tool, dept, effect, case)
    clip = BenchClip(
        slug=f"clip-{i:04d}", topic=topic, title=title,
        description=f"{dept}の{service}について、{tool}を使った改善の進め方を紹介します。"
                    f"\n\n{effect}。",
        tags=[tool, service.split("の")[0], vocab.TOPIC_NAMES[topic]],
        speakers=[f"{dept} 職員"],
        date=f"20{22 + i % 4}-{1 + i % 12:02d}-{1 + i % 28:02d}")
    clip.cues = _cues(sentences, rng.randrange(30, 61), rng)
    return clip


def _unique(title: str, seen: set[str]) -> str:
    n, candidate = 1, title
    while candidate in seen:
        n += 1
        candidate = f"{title}（その{n}）"
    seen.add(candidate)
    return candidate


def _cues(sentences: list[str], count: int, rng: random.Random) -> list[tuple[float, float, str]]:
    step = (SOURCE_SECONDS - 1) / count
    chosen = [rng.choice(sentences) for _ in range(count)]
    chosen[: min(len(sentences), 7)] = sentences[:7]  # the clip's own sentences come first
    return [(0.5 + k * step, 0.5 + k * step + step * 0.9, text)
            for k, text in enumerate(chosen)]


# ---------------------------------------------------------------------------------------------
# Writing portals.

def write_clip(root: Path, clip: BenchClip, source: Path) -> None:
    import yaml

    data = {"title": clip.title, "topic": clip.topic, "description": clip.description,
            "date": clip.date, "speakers": clip.speakers, "tags": clip.tags,
            "chapters": [{"start": f"{t // 60}:{t % 60:02d}", "title": name}
                         for t, name in CHAPTERS]}
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    text = text.replace(f"date: '{clip.date}'", f"date: {clip.date}")
    (root / "videos" / f"{clip.slug}.yml").write_text(text, encoding="utf-8")
    video = root / "videos" / f"{clip.slug}.mp4"
    if not video.exists():
        os.link(source, video)  # one source's bytes under every clip's name: one cache entry
    srt = "".join(f"{n}\n{vocab._srt_time(a)} --> {vocab._srt_time(b)}\n{text}\n\n"
                  for n, (a, b, text) in enumerate(clip.cues, 1))
    (root / "captions" / f"{clip.slug}.ja.srt").write_text(srt, encoding="utf-8")


def write_portal(root: Path, clips: Sequence[BenchClip], source: Path, cache: Path) -> None:
    for folder in ("videos", "captions", "docs", "build"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    # dense narration: reading-speed warnings would only bury the figures
    config = config.replace("  - clipportal:\n", "  - clipportal:\n      max_cps: 30\n", 1)
    (root / "mkdocs.yml").write_text(config, encoding="utf-8")
    for clip in clips:
        write_clip(root, clip, source)
    if cache.is_dir():
        shutil.copytree(cache, root / "build" / "cache", copy_function=os.link,
                        dirs_exist_ok=True)


def make_source(path: Path) -> Path:
    if not path.exists():
        from clipportal.media.ffmpeg_runner import ffmpeg_exe

        subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                        "-f", "lavfi", "-i", f"testsrc2=s=320x180:r=10:d={SOURCE_SECONDS}",
                        "-f", "lavfi", "-i", f"sine=f=440:d={SOURCE_SECONDS}",
                        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                        "-c:a", "aac", "-shortest", str(path)], check=True)
    return path


def warm_cache(work: Path, source: Path) -> Path:
    """Encode the shared source once (a one-clip portal) and return its media cache."""
    root = work / "warm"
    if not (root / "build" / "cache").is_dir():
        write_portal(root, generate_clips(1), source, work / "none")
        build(root, work / "warm.log")
    return root / "build" / "cache"


# ---------------------------------------------------------------------------------------------
# Builds.

def build(root: Path, log: Path) -> float:
    """Wall time of `clipportal build` in a fresh process (its CPU time in CPU_TIMES)."""
    exe = Path(sys.executable).with_name("clipportal")
    before = _children_cpu()
    started = time.monotonic()
    with log.open("a", encoding="utf-8") as out:
        code = subprocess.run([str(exe), "build", str(root)], stdout=out, stderr=out,
                              check=False).returncode
    took = time.monotonic() - started
    if code != 0:
        raise SystemExit(f"build of {root} failed ({code}); see {log}")
    LAST_CPU[0] = _children_cpu() - before
    return took


LAST_CPU = [0.0]


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def edit_title(root: Path, clip: BenchClip) -> None:
    path = root / "videos" / f"{clip.slug}.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(clip.title, clip.title + "（改訂版）", 1), encoding="utf-8")


def edit_caption(root: Path, clip: BenchClip) -> None:
    path = root / "captions" / f"{clip.slug}.ja.srt"
    text = path.read_text(encoding="utf-8")
    first = clip.cues[0][2]
    path.write_text(text.replace(first, first.rstrip("。") + "と説明しました。", 1),
                    encoding="utf-8")


@dataclass
class Row:
    size: int
    times: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    found: list[bool] = field(default_factory=list)


STEPS = ("first", "no-op", "title", "caption", "added")


def bench_builds(root: Path, clips: list[BenchClip], source: Path, log: Path, row: Row) -> None:
    """Wall and CPU seconds (user + system of the build and Pagefind: on a machine shared with
    other work, CPU time is the steadier figure) of each step."""
    middle = clips[len(clips) // 2]
    extra = generate_clips(len(clips) + 1, seed=99)[-1]
    extra.slug = f"clip-{len(clips):04d}"
    edits = {"first": lambda: None, "no-op": lambda: None,
             "title": lambda: edit_title(root, middle),
             "caption": lambda: edit_caption(root, middle),
             "added": lambda: write_clip(root, extra, source)}
    for step, edit in edits.items():
        edit()
        row.times[step] = build(root, log)
        row.cpu[step] = LAST_CPU[0]


def serve_update(root: Path, clip: BenchClip, log: Path) -> float:
    """Seconds from saving a clip file to `clipportal serve` answering with the updated page
    (the browser's live reload follows at once)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/clips/{clip.slug}/"
    exe = Path(sys.executable).with_name("clipportal")
    with log.open("a", encoding="utf-8") as out:
        server = subprocess.Popen([str(exe), "serve", str(root), "--addr", f"127.0.0.1:{port}"],
                                  stdout=out, stderr=out)
    try:
        _wait_for(url, "", timeout=1200)
        time.sleep(3)  # let the watcher settle after the first build
        edit_title(root, clip)
        started = time.monotonic()
        _wait_for(url, "（改訂版）（改訂版）", timeout=600)
        return time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for(url: str, text: str, timeout: float) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                if text in response.read().decode("utf-8"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not show {text!r} within {timeout:.0f} s")


# ---------------------------------------------------------------------------------------------
# Bytes, counted by the server.

class CountingHandler(RangeHandler):
    counts: ClassVar[list[tuple[str, int]]] = []
    lock = threading.Lock()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "public, max-age=600")
        super().end_headers()

    def copyfile(self, source: Any, outputfile: Any) -> None:  # type: ignore[override]
        data = source.read()
        outputfile.write(data)
        with self.lock:
            self.counts.append((self.path, len(data)))


def _bytes_since(mark: int, only: str = "") -> int:
    return sum(n for path, n in CountingHandler.counts[mark:] if only in path)


def page_bytes(browser: Any, url: str) -> int:
    """Everything a phone transfers to show `url` before the user scrolls."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    mark = len(CountingHandler.counts)
    page.goto(url, wait_until="networkidle")
    page.wait_for_timeout(500)
    total = _bytes_since(mark)
    context.close()
    return total


def search_bytes(browser: Any, base: str, queries: Sequence[BenchClip]
                 ) -> tuple[int, int, list[bool]]:
    """Search-bundle bytes for a first query and for the mean later one, and whether each
    query (a clip's title) finds its clip in the top 3."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    mark = len(CountingHandler.counts)
    found = [queries[0].slug in _top3(page, base, queries[0].title, first=True)]
    first = _bytes_since(mark, "/pagefind/")
    mark = len(CountingHandler.counts)
    for clip in queries[1:]:
        found.append(clip.slug in _top3(page, base, clip.title, first=False))
    later = _bytes_since(mark, "/pagefind/") // max(1, len(queries) - 1)
    context.close()
    return first, later, found


def _top3(page: Any, base: str, text: str, first: bool) -> list[str]:
    if first:
        page.goto(f"{base}search/?q={urllib.parse.quote(text)}")
    else:
        page.evaluate("""(q) => { const i = document.querySelector('#cp-q'); i.value = q;
            document.querySelector('[data-cp-search]').removeAttribute('data-state');
            i.form.requestSubmit(); }""", text)
    page.wait_for_selector("[data-cp-search][data-state=done]", timeout=30000)
    hrefs = page.eval_on_selector_all("[data-search-results] > li > a",
                                      "els => els.map(e => e.getAttribute('href'))")
    return [h.split("clips/")[1].split("/")[0] for h in hrefs if "clips/" in h][:3]


def largest_topic(site: Path) -> str:
    pages = sorted((site / "topics").glob("*/index.html"), key=lambda p: p.stat().st_size)
    return pages[-1].parent.relative_to(site).as_posix() + "/"


def bench_bytes(root: Path, clips: list[BenchClip]) -> tuple[dict[str, int], list[bool]]:
    from playwright.sync_api import sync_playwright

    site = root / "build" / "site"
    picks = [clips[i * len(clips) // QUERY_COUNT] for i in range(QUERY_COUNT)]
    with serve(site, use_gzip=True, base=CountingHandler) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            sizes = {"home": page_bytes(browser, base),
                     "topic": page_bytes(browser, base + largest_topic(site))}
            sizes["search-first"], sizes["search-later"], found = search_bytes(
                browser, base, picks)
        finally:
            browser.close()
    return sizes, found


# ---------------------------------------------------------------------------------------------

def run(sizes: Sequence[int], work: Path, browser: bool, serve: bool) -> list[Row]:
    source = make_source(work / "shared-source.mp4")
    cache = warm_cache(work, source)
    rows = []
    for size in sizes:
        root = work / f"portal-{size}"
        shutil.rmtree(root, ignore_errors=True)
        clips = generate_clips(size)
        write_portal(root, clips, source, cache)
        row = Row(size)
        bench_builds(root, clips, source, work / f"build-{size}.log", row)
        if browser:
            row.sizes, row.found = bench_bytes(root, clips)
        if serve and size == max(sizes):
            row.times["serve"] = serve_update(root, clips[len(clips) // 2],
                                              work / f"serve-{size}.log")
        rows.append(row)
        print_row(row, file=sys.stderr)
    return rows


def print_row(row: Row, file: Any = sys.stdout) -> None:
    times = " ".join(f"{k}={v:.2f}s(cpu {row.cpu.get(k, 0):.2f}s)"
                     for k, v in row.times.items())
    sizes = " ".join(f"{k}={v / 1000:.1f}KB" for k, v in row.sizes.items())
    print(f"[{row.size} clips] {times} {sizes} found={row.found}", file=file, flush=True)


def print_table(rows: Sequence[Row]) -> None:
    print("| clips | first build | no-op | title edited | caption edited | clip added "
          "| first build per clip | home | largest topic | search 1st | search later "
          "| queries in top 3 |")
    print("|---:" * 12 + "|")
    for r in rows:
        t, c, s = r.times, r.cpu, r.sizes
        kb = [f"{s[k] / 1000:.0f} KB" if k in s else "–"
              for k in ("home", "topic", "search-first", "search-later")]
        found = f"{sum(r.found)}/{len(r.found)}" if r.found else "–"
        steps = [f"{t[k]:.1f} s (cpu {c[k]:.1f})" for k in STEPS]
        per_clip = f"{1000 * t['first'] / r.size:.1f} ms (cpu {1000 * c['first'] / r.size:.1f})"
        print(f"| {r.size} | " + " | ".join(steps) + f" | {per_clip} | " + " | ".join(kb)
              + f" | {found} |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,300,1000",
                        help="comma-separated clip counts (default 100,300,1000)")
    parser.add_argument("--workdir", type=Path, help="keep the generated portals here")
    parser.add_argument("--no-browser", action="store_true", help="build times only")
    parser.add_argument("--no-serve", action="store_true",
                        help="skip timing `clipportal serve` after a save (largest size)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    with _workdir(args.workdir) as work:
        rows = run(sizes, work, not args.no_browser, not args.no_serve)
    print_table(rows)
    for row in rows:
        if "serve" in row.times:
            print(f"\nclipportal serve, {row.size} clips: page updated "
                  f"{row.times['serve']:.1f} s after saving a clip file")
    return 0


@contextlib.contextmanager
def _workdir(given: Path | None) -> Iterator[Path]:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as temp:
        yield Path(temp)


if __name__ == "__main__":
    sys.exit(main())
