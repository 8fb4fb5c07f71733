#!/usr/bin/env python
"""Benchmark clipportal's media stage on generated sources, printing every figure in one run.

    .venv/bin/python scripts/bench_media.py            # --quick: 8 s sources, ~2-3 minutes
    .venv/bin/python scripts/bench_media.py --full     # 60 s sources (the issue's targets)
    .venv/bin/python scripts/bench_media.py --sigal    # also time sigal in a temporary venv

Sources: a camera-like 1080p clip (moving detail + sensor noise), slides (static text that
changes every 6 s) and a portrait phone clip (1080×1920 via display rotation). Figures:
  1. clipportal's media stage (hash, probe, loudness, the ffmpeg pass, verification) against
     the same ffmpeg command run directly: the overhead ratio;
  2. decode-once (one pass, `split`) against separate runs per rendition;
  3. a no-op rebuild (a new process: nothing cached in memory) against the first build;
  4. MB per minute per rendition, with SSIM against the source (scaled to the rendition's
     size: encoding loss; and the rendition scaled up to the source's size: what a viewer
     sees full screen), and VMAF with --vmaf (needs an ffmpeg with libvmaf);
  5. clip-level parallelism: the three clips with 1 and with 2 jobs (x264 threads auto);
  6. HLS: writing the ladder as single-file fMP4 with byte-range playlists in the same pass
     (what clipportal does), against remuxing the MP4s into separate segments or into
     single-file fMP4: storage and time;
  7. with --sigal, sigal's wall time for its one rendition and whether it re-encodes an
     edited source.
Timings are wall-clock on whatever else the machine is doing; the load average is printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from clipportal.media import ffmpeg_runner as tool
from clipportal.media.cache import MediaCache, file_sha256
from clipportal.media.hls import read_playlist
from clipportal.media.jobs import (
    EncodeSettings,
    MediaJob,
    Plan,
    build_command,
    plan_job,
    run_job,
)
from clipportal.media.manifest import Manifest, Rendition
from clipportal.media.probe import MediaFacts, measure_loudness, probe
from clipportal.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import media_sources

Job = tuple[str, Path]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--quick", action="store_true", help="8 s sources (the default)")
    length.add_argument("--full", action="store_true", help="60 s sources")
    parser.add_argument("--seconds", type=float, help="source length (overrides both)")
    parser.add_argument("--preset", default=Settings().preset, help="x264 preset")
    parser.add_argument("--repeat", type=int, help="runs per timing, best taken (default 2 "
                        "for short sources, 1 for 60 s ones)")
    parser.add_argument("--vmaf", action="store_true", help="also VMAF (slow; needs libvmaf)")
    parser.add_argument("--sigal", action="store_true", help="compare with sigal")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    return parser.parse_args(argv)


@contextmanager
def timer(into: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    into[name] = into.get(name, 0.0) + time.perf_counter() - start


def forget_tool() -> None:
    """What a new build process knows about ffmpeg: nothing."""
    for function in (tool.ffmpeg_exe, tool.ffmpeg_version, tool.has_filter):
        function.cache_clear()


def make_sources(folder: Path, seconds: float) -> list[Job]:
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    camera = media_sources.make_camera(folder, "camera.mp4", "1920x1080", seconds)
    slides = media_sources.make_slides(folder, "slides.mp4", "1920x1080", seconds)
    stored = media_sources.make_camera(folder, "stored-portrait.mp4", "1920x1080", seconds)
    portrait = media_sources.rotate(stored, folder / "portrait.mp4")
    print(f"generated three {seconds:g} s sources in {time.perf_counter() - started:.1f} s\n")
    return [("camera", camera), ("slides", slides), ("portrait", portrait)]


def job_for(name: str, path: Path, encode: EncodeSettings,
            cache: MediaCache | None = None) -> MediaJob:
    """The job as the pipeline makes it (source hashes memoised in the cache folder)."""
    sha = cache.source_hash(path, path.name) if cache else file_sha256(path)
    return MediaJob(name, path.name, sha, encode)


def media_stage(jobs: list[Job], encode: EncodeSettings, cache: MediaCache,
                workers: int = 1) -> tuple[float, dict[str, Manifest]]:
    """Wall time of the media stage as the pipeline runs it: hash, then run_job in a pool."""
    forget_tool()
    start = time.perf_counter()

    media_jobs = [job_for(name, path, encode, cache) for name, path in jobs]
    cache.save_memo()
    root = jobs[0][1].parent

    def one(job: MediaJob) -> Manifest:
        return run_job(job, root, cache)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        manifests = {job.slug: manifest for job, manifest
                     in zip(media_jobs, pool.map(one, media_jobs), strict=True)}
    return time.perf_counter() - start, manifests


@contextmanager
def counting_ffmpeg(work: Path) -> Iterator[Path]:
    """Route clipportal's ffmpeg through a wrapper that logs each process it starts."""
    log = work / "ffmpeg-processes.log"
    log.write_text("")
    wrapper = work / "ffmpeg-counting"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{tool.ffmpeg_exe()}" "$@"\n')
    wrapper.chmod(0o755)
    before = os.environ.get("CLIPPORTAL_FFMPEG")
    os.environ["CLIPPORTAL_FFMPEG"] = str(wrapper)
    try:
        yield log
    finally:
        if before is None:
            del os.environ["CLIPPORTAL_FFMPEG"]
        else:
            os.environ["CLIPPORTAL_FFMPEG"] = before
        forget_tool()


def run_direct(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([tool.ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
                    *args], check=True)
    return time.perf_counter() - start


def plan_for(name: str, path: Path, encode: EncodeSettings) -> tuple[MediaJob, MediaFacts, Plan]:
    job = job_for(name, path, encode)
    facts = probe(path, path.name)
    assert facts.audio is not None
    loudness = measure_loudness(path, path.name, facts.audio.index)
    return job, facts, plan_job(job, facts, loudness, tool.has_filter("zscale"))


def compare_runs(jobs: list[Job], encode: EncodeSettings, work: Path, cache: MediaCache,
                 repeat: int) -> tuple[dict[str, list[float]], dict[str, Manifest]]:
    """Per clip, alternating so that background load hits all alike: clipportal's media
    stage (cold cache), the exact decode-once command run directly, and separate runs (one
    per rendition, the stills with the first, same filters). Best of `repeat` each."""
    times: dict[str, list[float]] = {}
    manifests: dict[str, Manifest] = {}
    for name, path in jobs:
        job, facts, plan = plan_for(name, path, encode)
        out = work / f"direct-{name}"
        out.mkdir(parents=True, exist_ok=True)
        best = [float("inf")] * 3
        for attempt in range(repeat):
            fresh = cache if attempt == 0 else MediaCache(work / f"cache-{name}-{attempt}")
            stage, done = media_stage([(name, path)], encode, fresh)
            manifests.update(done if attempt == 0 else {})
            once = run_direct(build_command(job, facts, plan, path, out))
            separate = sum(run_direct(args) for args in separate_commands(job, facts, plan,
                                                                          path, out))
            best = [min(b, t) for b, t in zip(best, (stage, once, separate), strict=True)]
        times[name] = best
    return times, manifests


def separate_commands(job: MediaJob, facts: MediaFacts, plan: Plan, path: Path,
                      out: Path) -> list[list[str]]:
    commands = []
    for i, rung in enumerate(plan.renditions):
        sizes = [rung[1:]] + (list(plan.poster_sizes) if i == 0 else [])
        alone = dataclasses.replace(plan, renditions=(rung,), work_size=max(sizes))
        commands.append(build_command(job, facts, alone, path, out, stills=i == 0))
    return commands


def ssim(distorted: Path, reference: Path, size: tuple[int, int], work: Path) -> float:
    """Mean SSIM (all planes) of `distorted` against `reference`, both scaled to `size`."""
    stats = work / f"ssim-{distorted.parent.name}-{distorted.stem}-{size[0]}.log"
    graph = (f"[0:v]scale={size[0]}:{size[1]}:flags=bicubic,format=yuv420p,setsar=1[d];"
             f"[1:v]scale={size[0]}:{size[1]}:flags=bicubic,format=yuv420p,setsar=1[r];"
             f"[d][r]ssim=stats_file={stats}")
    run_direct(["-i", str(distorted), "-i", str(reference), "-lavfi", graph, "-f", "null", "-"])
    values = [float(part.split(":")[1]) for line in stats.read_text().splitlines()
              for part in line.split() if part.startswith("All:")]
    return sum(values) / len(values) if values else float("nan")


def vmaf(distorted: Path, reference: Path, size: tuple[int, int], work: Path) -> float:
    log = work / f"vmaf-{distorted.parent.name}-{distorted.stem}.json"
    graph = (f"[0:v]scale={size[0]}:{size[1]}:flags=bicubic,format=yuv420p,setsar=1[d];"
             f"[1:v]scale={size[0]}:{size[1]}:flags=bicubic,format=yuv420p,setsar=1[r];"
             f"[d][r]libvmaf=log_fmt=json:log_path={log}:n_threads=2")
    try:
        run_direct(["-i", str(distorted), "-i", str(reference), "-lavfi", graph, "-f", "null",
                    "-"])
    except subprocess.CalledProcessError:
        return float("nan")
    return float(json.loads(log.read_text())["pooled_metrics"]["vmaf"]["mean"])


def quality_rows(jobs: list[Job], manifests: dict[str, Manifest], cache: MediaCache,
                 work: Path, with_vmaf: bool) -> list[list[str]]:
    rows = []
    for name, path in jobs:
        manifest = manifests[name]
        facts = probe(path, path.name)
        assert facts.video is not None
        source_size = facts.video.display_size
        for item in manifest.renditions:
            file = cache.entry(manifest.key) / item.file
            minutes = manifest.duration / 60
            size = (item.width, item.height)
            row = [name, item.name, f"{item.width}×{item.height}",
                   f"{item.bytes / 1e6 / minutes:.2f}",
                   f"{item.bytes * 8 / manifest.duration / 1000:.0f}",
                   f"{ssim(file, path, size, work):.4f}",
                   f"{ssim(file, path, source_size, work):.4f}"]
            if with_vmaf:
                row.append(f"{vmaf(file, path, source_size, work):.1f}")
            rows.append(row)
    return rows


def hls_rows(jobs: list[Job], encode: EncodeSettings, plain: dict[str, Manifest],
             plain_cache: MediaCache, work: Path) -> list[list[str]]:
    """Storage (relative to the MP4-only ladder) and extra time of three ways to add HLS.
    The in-pass way is timed against a plain build of the same clip run just before it."""
    rows = []
    for name, path in jobs:
        mp4_bytes = sum(r.bytes for r in plain[name].renditions)
        without, _ = media_stage([(name, path)], encode, MediaCache(work / f"cache-mp4-{name}"))
        hls_cache = MediaCache(work / f"cache-hls-{name}")
        seconds, manifests = media_stage([(name, path)], dataclasses.replace(encode, hls=True),
                                         hls_cache)
        folder = hls_cache.entry(manifests[name].key)
        in_pass = sum(f.stat().st_size for f in folder.iterdir()
                      if f.suffix in (".mp4", ".m3u8"))
        rows.append([name, "in the pass: single-file fMP4 = the MP4 (clipportal)",
                     f"{in_pass / mp4_bytes:.3f}", f"{seconds - without:+.2f}"])
        entry = plain_cache.entry(plain[name].key)
        for label, single in (("remux: separate fMP4 segments beside the MP4", False),
                              ("remux: single-file fMP4 replacing the MP4", True)):
            out = work / f"hls-{name}-{'single' if single else 'segments'}"
            out.mkdir(parents=True, exist_ok=True)
            took, stored = remux_hls(entry, plain[name].renditions, out, encode, single)
            total = stored if single else stored + mp4_bytes
            rows.append([name, label, f"{total / mp4_bytes:.3f}", f"{took:+.2f}"])
    return rows


def remux_hls(entry: Path, renditions: tuple[Rendition, ...], out: Path,
              encode: EncodeSettings, single: bool) -> tuple[float, int]:
    took = 0.0
    for item in renditions:
        name = item.name
        segment = str(out / (f"{name}.mp4" if single else f"{name}-%d.m4s"))
        flags = ["-hls_flags", "single_file"] if single else \
            ["-hls_fmp4_init_filename", f"{name}-init.mp4"]
        took += run_direct(["-i", str(entry / item.file), "-c", "copy", "-f", "hls",
                            "-hls_time", f"{encode.gop_seconds:g}", "-hls_playlist_type", "vod",
                            "-hls_segment_type", "fmp4", *flags, "-hls_segment_filename",
                            segment, str(out / f"{name}.m3u8")])
        assert read_playlist(out / f"{name}.m3u8").durations
    return took, sum(f.stat().st_size for f in out.iterdir())


def sigal_rows(jobs: list[Job], work: Path, ladder_times: dict[str, float]) -> list[list[str]]:
    """sigal's video gallery on the same sources (installed into a temporary venv)."""
    venv = work / "sigal-venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "sigal"], check=True,
                       timeout=600, capture_output=True)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        print(f"sigal: skipped (cannot install it: {exc})")
        return []
    version = subprocess.run([str(venv / "bin" / "sigal"), "--version"], capture_output=True,
                             text=True, check=False).stdout.strip()
    print(f"sigal {version}, its default video settings (WebM VP9, 480×360 box)")
    rows = []
    for name, path in jobs:
        album = work / f"sigal-{name}" / "src"
        album.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, album / path.name)
        took = run_sigal(venv, album)
        output = next((album.parent / "out").rglob(f"{path.stem}.webm"), None)
        if output is None:
            rows.append([name, f"{took:.1f}", f"{ladder_times[name]:.1f}", "-", "no output"])
            continue
        before = output.read_bytes()
        media_sources.make_plain(album, path.name, "640x360", 3)  # edit the source
        run_sigal(venv, album)
        after = output.read_bytes() if output.exists() else b""
        rows.append([name, f"{took:.1f}", f"{ladder_times[name]:.1f}",
                     f"{ladder_times[name] / took:.2f}",
                     "yes" if before != after else "NO (stale output kept)"])
    return rows


def run_sigal(venv: Path, album: Path) -> float:
    config = album.parent / "sigal.conf.py"
    config.write_text(f"source = {str(album)!r}\ndestination = {str(album.parent / 'out')!r}\n"
                      f"video_converter = {tool.ffmpeg_exe()!r}\n", encoding="utf-8")
    start = time.perf_counter()
    subprocess.run([str(venv / "bin" / "sigal"), "build", "-c", str(config)], check=True,
                   capture_output=True)
    return time.perf_counter() - start


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    print(title)
    for row in [header, *rows]:
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    print()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    seconds = args.seconds or (60.0 if args.full else 8.0)
    work = args.keep or Path(tempfile.mkdtemp(prefix="clipportal-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    encode = dataclasses.replace(EncodeSettings.from_settings(Settings()), preset=args.preset)
    print(f"ffmpeg: {tool.ffmpeg_version()}\ncores: {os.cpu_count()}, load average "
          f"{os.getloadavg()[0]:.2f}; preset {encode.preset}, GOP {encode.gop_seconds:g} s, "
          f"ladder {', '.join(f'{r.name} crf {r.crf}' for r in encode.ladder)}\n")
    try:
        report(args, seconds, work, encode)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def report(args: argparse.Namespace, seconds: float, work: Path,
           encode: EncodeSettings) -> None:
    jobs = make_sources(work / "sources", seconds)
    with counting_ffmpeg(work) as calls:
        measure(args, jobs, work, encode, calls, args.repeat or (1 if seconds >= 30 else 2))


def measure(args: argparse.Namespace, jobs: list[Job], work: Path, encode: EncodeSettings,
            calls: Path, repeat: int) -> None:
    cache = MediaCache(work / "cache")
    compare, manifests = compare_runs(jobs, encode, work, cache, repeat)
    first_times = {name: times[0] for name, times in compare.items()}
    first_total = sum(first_times.values())
    table(f"1-2. media stage vs the same ffmpeg command; decode-once vs separate runs "
          f"(s, best of {repeat})",
          ["clip", "clipportal", "direct", "overhead", "separate runs", "once/separate"],
          [[n, f"{c:.2f}", f"{d:.2f}", f"{c / d:.3f}", f"{s:.2f}", f"{d / s:.3f}"]
           for n, (c, d, s) in compare.items()])
    before = len(calls.read_text().splitlines())
    # as a new process: a fresh cache object, nothing remembered in memory
    noop, again = media_stage(jobs, encode, MediaCache(cache.root), workers=2)
    processes = len(calls.read_text().splitlines()) - before
    cached = sum(1 for m in again.values() if m.from_cache)
    print(f"3. no-op rebuild of all three clips: {noop * 1000:.0f} ms vs first build "
          f"{first_total:.1f} s ({noop / first_total:.2%}); {cached}/3 clips from cache, "
          f"{processes} ffmpeg processes\n")
    header = ["clip", "rung", "size", "MB/min", "kbit/s", "SSIM@rung", "SSIM@source"]
    table("4. size and quality per rendition", header + (["VMAF@source"] if args.vmaf else []),
          quality_rows(jobs, manifests, cache, work, args.vmaf))
    serial, _ = media_stage(jobs, encode, MediaCache(work / "cache-1job"), workers=1)
    parallel, _ = media_stage(jobs, encode, MediaCache(work / "cache-2jobs"), workers=2)
    print(f"5. three clips, clip-level jobs: 1 job {serial:.1f} s, 2 jobs {parallel:.1f} s "
          f"(ratio {parallel / serial:.3f})\n")
    table("6. HLS over the ladder: storage relative to the MP4-only ladder, extra seconds",
          ["clip", "how", "storage", "extra s"],
          hls_rows(jobs, encode, manifests, cache, work))
    if args.sigal:
        rows = sigal_rows(jobs, work, first_times)
        if rows:
            table("7. sigal (one small WebM) vs clipportal (the whole ladder), wall seconds",
                  ["clip", "sigal s", "clipportal s", "ratio", "edited source re-encoded"],
                  rows)


if __name__ == "__main__":
    raise SystemExit(main())

