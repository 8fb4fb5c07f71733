#!/usr/bin/env python
"""What the media jobs cost on Dask, measured, and what a 500-clip first build would take.

    .venv/bin/python scripts/bench_distributed.py          # needs clipportal[dask]; ~5 min

Prints, in one run, on this machine:
  1. the per-job overhead of the Dask executor (a LocalCluster, worker processes) against
     the local thread pool, on the same jobs: the demo's media jobs with their entries already
     in the cache (so the job itself is a key and a lookup), and an empty function;
  2. the wall time of encoding the demo (8 clips, an empty cache each time) with the local
     pool, and on 1 and on 2 single-threaded Dask workers;
  3. the encode time per second of video of a camera-like 1080p source (the ladder's real
     work, which the demo's 360p slides understate), through the same pure job function;
  4. from those, the first build of 500 × 3-minute clips on 1, 4, 16 and 64 workers like this
     machine, and on N CI runners (with the assumptions printed beside the figures).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from distributed import Client, LocalCluster

from clipportal.catalog.clips import load_catalog
from clipportal.media.cache import MediaCache, file_sha256
from clipportal.media.executors import run_remote
from clipportal.media.jobs import EncodeSettings, MediaJob
from clipportal.pipeline import default_jobs, media_jobs, prepare
from clipportal.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
import media_sources  # noqa: E402

CLIPS, CLIP_SECONDS = 500, 180.0
WORKERS = (1, 4, 16, 64)
RUNNERS = (4, 8, 16, 20)
RUNNER_SETUP_S = 180.0
"""Assumed per CI runner: start, LFS checkout, pip install, cache restore, artifact upload."""
SITE_STEP_S = 15.0
"""The local part of a build (catalog, pages, MkDocs, Pagefind) at this size: DESIGN.md §4
measured 15 s for a first site build of 1,000 cached clips."""
GITHUB_LIMIT_S = 6 * 3600


def copy_demo(target: Path) -> Path:
    for name in ("videos", "captions", "docs"):
        shutil.copytree(REPO / name, target / name)
    shutil.copy2(REPO / "mkdocs.yml", target / "mkdocs.yml")
    return target


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def run_jobs(executor: Executor, jobs: list[MediaJob], root: Path) -> None:
    for future in [executor.submit(run_remote, job, str(root)) for job in jobs]:
        future.result()


def nothing(index: int) -> int:
    return index


def run_empty(executor: Executor, count: int) -> None:
    for future in [executor.submit(nothing, i) for i in range(count)]:
        future.result()


def overheads(root: Path, client: Client, repeat: int) -> tuple[float, float, int]:
    """Seconds per job more on Dask than in the local pool: cached media jobs, empty jobs."""
    jobs = media_jobs(root, load_settings(root), load_catalog(root, load_settings(root)))
    jobs = jobs * repeat
    dask = client.get_executor(pure=False)
    with ThreadPoolExecutor(default_jobs()) as pool:
        run_jobs(pool, jobs, root)  # warm both (imports, the ffmpeg-version memo)
        run_jobs(dask, jobs[:4], root)
        local_media = timed(lambda: run_jobs(pool, jobs, root))
        dask_media = timed(lambda: run_jobs(dask, jobs, root))
        local_empty = timed(lambda: run_empty(pool, len(jobs)))
        dask_empty = timed(lambda: run_empty(dask, len(jobs)))
    return ((dask_media - local_media) / len(jobs), (dask_empty - local_empty) / len(jobs),
            len(jobs))


def demo_wall(work: Path, executor: Executor | None) -> tuple[float, float, Path]:
    """Wall time of the demo's media stage from an empty cache, seconds of video encoded, and
    the project (its cache now full)."""
    root = copy_demo(Path(tempfile.mkdtemp(dir=work)))
    settings = load_settings(root)
    catalog = load_catalog(root, settings)
    started = time.perf_counter()
    prepared = prepare(root, settings, catalog, executor=executor)
    wall = time.perf_counter() - started
    assert prepared.encoded == len(catalog.clips), "the cache was not empty"
    return wall, sum(item.duration for item in prepared.clips), root


def camera_rate(work: Path, seconds: float) -> float:
    """Encode seconds per second of a camera-like 1080p source, the whole default ladder."""
    folder = work / "camera"
    (folder / "videos").mkdir(parents=True)
    source = media_sources.make_camera(folder / "videos", "camera.mp4", "1920x1080", seconds)
    job = MediaJob("camera", "videos/camera.mp4", file_sha256(source),
                   EncodeSettings.from_settings(Settings()))
    took = timed(lambda: run_remote(job, str(folder)))
    assert MediaCache(folder / "build" / "cache").lookup(job.key()) is not None
    return took / seconds


def first_build(workers: int, per_clip: float, per_job: float) -> float:
    """Identical jobs, many more than workers: the slowest worker runs ceil(C/W) of them."""
    return math.ceil(CLIPS / workers) * (per_clip + per_job) + SITE_STEP_S


def hours(seconds: float) -> str:
    return f"{seconds / 3600:5.2f} h" if seconds >= 3600 else f"{seconds / 60:5.1f} min"


def cluster_walls(work: Path) -> dict[int, float]:
    walls = {}
    for count in (1, 2):
        with LocalCluster(n_workers=count, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            walls[count], _, _ = demo_wall(work, client.get_executor(pure=False))
    return walls


def report(args: argparse.Namespace, work: Path) -> None:
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    local_wall, video, root = demo_wall(work, None)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        per_media, per_empty, count = overheads(root, client, args.repeat)
    print(f"\n1. Dask overhead per job against the local pool ({count} jobs each):")
    print(f"   cached media job (key + lookup on the worker): {per_media * 1000:+.1f} ms")
    print(f"   empty function:                                {per_empty * 1000:+.1f} ms")
    walls = cluster_walls(work)
    print(f"\n2. the demo's media stage, empty cache ({video:.0f} s of video in 8 clips):")
    print(f"   local pool ({default_jobs()} job(s) at once): {local_wall:6.1f} s")
    for count, wall in walls.items():
        print(f"   Dask, {count} single-threaded worker(s): {wall:6.1f} s "
              f"({local_wall / wall:.2f}× the local pool)")
    rate = camera_rate(work, args.camera_seconds)
    per_clip = rate * CLIP_SECONDS
    print(f"\n3. camera-like 1080p source, default ladder: {rate:.2f} s of encoding per s "
          f"of video ({1 / rate:.1f}× realtime); a 3-minute clip: {per_clip / 60:.1f} min")
    print(f"\n4. projected first build of {CLIPS} × 3-minute clips:")
    per_job = max(per_media, 0.0)
    for count in WORKERS:
        print(f"   {count:3d} worker(s) like this machine: "
              f"{hours(first_build(count, per_clip, per_job))}")
    for count in RUNNERS:
        shard = first_build(count, per_clip, per_job) - SITE_STEP_S + RUNNER_SETUP_S
        fits = "fits" if shard < GITHUB_LIMIT_S else "over"
        print(f"   {count:3d} CI runners: longest shard {hours(shard)} ({fits} GitHub's "
              f"6 h job limit), then the deploy job builds the site")
    print(f"\n   assumptions: workers and runners have {os.cpu_count()} cores like this one "
          f"and encode one clip at a time; every clip lasts {CLIP_SECONDS:.0f} s and costs "
          f"what the 1080p camera source costs per second; jobs are spread evenly (the "
          f"slowest worker gets ceil({CLIPS}/W) clips); per runner {RUNNER_SETUP_S:.0f} s "
          f"of setup; the site step {SITE_STEP_S:.0f} s; the cache on shared storage "
          "adds no time (measure your NFS).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="the cached jobs × this")
    parser.add_argument("--camera-seconds", type=float, default=20.0)
    parser.add_argument("--workdir", type=Path, help="keep the generated projects here")
    args = parser.parse_args()
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        report(args, args.workdir)
        return
    with tempfile.TemporaryDirectory() as work:
        report(args, Path(work))


if __name__ == "__main__":
    main()
