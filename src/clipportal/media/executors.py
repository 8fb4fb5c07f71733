"""Where the media jobs run: the local pool (the default), or a Dask cluster behind the
`concurrent.futures.Executor` interface (`clipportal[dask]`, `--scheduler ADDRESS`).

Only the media jobs leave this machine. A worker runs the same pure function the local pool
runs (`media.jobs.run_job`) on the same project folder, so that folder and its build/cache must be
on storage every worker mounts at the same path; `dask_executor` checks that before the first
job is sent, and that every worker has the same ffmpeg (its version is part of each key)."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Executor, Future, as_completed
from pathlib import Path
from typing import Any, Protocol

from clipportal.errors import ClipportalError, Problem
from clipportal.media.cache import MediaCache
from clipportal.media.ffmpeg_runner import ffmpeg_version
from clipportal.media.jobs import MediaJob, run_job
from clipportal.media.manifest import Manifest

CONNECT_TIMEOUT_S = 10
"""How long to try reaching the scheduler: long enough for a busy one, short enough that a
wrong address fails before anyone wonders whether the build hangs."""
WORKER_WAIT_S = 60
"""How long to wait for a first worker to join the scheduler."""
_HINT = ("put the project folder on storage every worker mounts at the same path "
         "(NFS/SMB), see the README's section on distributed encoding")


class SchedulerError(ClipportalError):
    """The Dask scheduler cannot be used (not installed, unreachable, no workers, no shared
    storage): a usage problem, exit 2."""


class DoneReporter(Protocol):
    def clip_done(self, slug: str, manifest: Manifest | None) -> None: ...
    def clip_timed(self, slug: str, seconds: float) -> None: ...


@contextlib.contextmanager
def dask_executor(address: str, root: Path) -> Iterator[Executor]:
    """An executor on the Dask cluster at `address`, checked to see the project."""
    client = _connect(address)
    try:
        _wait_for_workers(client, address)
        check_workers(client, root)
        yield client.get_executor(pure=False)
    finally:
        client.close()


def _connect(address: str) -> Any:
    try:
        from distributed import Client
    except ImportError:
        raise SchedulerError(Problem(
            "--scheduler", "Dask is not installed, so the media jobs cannot go to a scheduler",
            "pip install 'clipportal[dask]', or build without --scheduler")) from None
    try:
        connect: Any = Client  # untyped library
        return connect(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise SchedulerError(Problem(
            "--scheduler", f"cannot reach the Dask scheduler at {address} "
            f"(within {CONNECT_TIMEOUT_S} s)",
            "start it with `dask scheduler`, or check the address and port")) from exc


def _wait_for_workers(client: Any, address: str) -> None:
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_S)
    except (TimeoutError, OSError) as exc:
        raise SchedulerError(Problem(
            "--scheduler", f"no Dask worker joined the scheduler at {address} "
            f"within {WORKER_WAIT_S} s", f"start one with `dask worker {address} --nthreads 1`"
        )) from exc


def check_workers(client: Any, root: Path) -> None:
    """Every worker sees the project's clips and this build's cache folder (a marker file
    written here must show up there) and can write to it, with this machine's ffmpeg."""
    cache = root / "build" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    marker = cache / f".worker-check-{uuid.uuid4().hex[:8]}"
    marker.write_text("clipportal", encoding="utf-8")
    sample = _sample_clip(root)
    try:
        answers = client.run(worker_problem, str(root), sample, marker.name)
    finally:
        marker.unlink(missing_ok=True)
    problems = _worker_problems(answers, ffmpeg_version(cache), sample)
    if problems:
        raise SchedulerError(problems)


def _sample_clip(root: Path) -> str:
    videos = sorted(p for p in (root / "videos").glob("*") if p.suffix not in {".yml", ".yaml"})
    return videos[0].relative_to(root).as_posix() if videos else ""


def worker_problem(root: str, sample: str, marker: str) -> tuple[str, str]:
    """Runs on each worker: ("", its ffmpeg version) when it can do this build's jobs, else
    (what is wrong, "")."""
    project = Path(root)
    cache = project / "build" / "cache"
    if sample and not (project / sample).is_file():
        return f"{sample}: this Dask worker cannot see the file", ""
    if not (cache / marker).is_file():
        return "build/cache: this Dask worker sees another folder at this path", ""
    probe = cache / f".worker-write-{uuid.uuid4().hex[:8]}"
    try:
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError:
        return "build/cache: this Dask worker cannot write to it", ""
    return "", ffmpeg_version(cache)


def _worker_problems(answers: dict[str, tuple[str, str]], local_ffmpeg: str,
                     sample: str) -> list[Problem]:
    problems = []
    for worker, (problem, version) in sorted(answers.items()):
        if problem:
            path, message = problem.split(": ", 1)
            problems.append(Problem(path, f"{message} ({worker})", _HINT))
        elif version != local_ffmpeg:
            problems.append(Problem("ffmpeg", f"the Dask worker {worker} has '{version}', "
                                    f"this machine '{local_ffmpeg}'",
                                    "install the same ffmpeg (or the same clipportal release, "
                                    "which pins it) on every machine"))
    return problems


def run_remote(job: MediaJob, root: str) -> tuple[Manifest, float]:
    """A media job on a worker: the pure job function with no progress callbacks (those hold
    this machine's terminal), plus how long it took there."""
    started = time.monotonic()
    project = Path(root)
    manifest = run_job(job, project, MediaCache(project / "build" / "cache"))
    return manifest, time.monotonic() - started


Outcome = Manifest | ClipportalError


def run_on(executor: Executor, media_jobs: list[MediaJob], root: Path, cache: MediaCache,
           reporter: DoneReporter) -> dict[str, Outcome]:
    """Send every job not already in the cache, collect them as they finish (progress per
    clip done). A job whose worker dies is rescheduled by Dask itself; the dead worker's
    staging folder is never an entry, and is removed once the entry exists."""
    version = ffmpeg_version(cache.root)
    keys = {job.slug: job.key(version) for job in media_jobs}
    outcomes: dict[str, Outcome] = {}
    futures: dict[Future[tuple[Manifest, float]], MediaJob] = {}
    for job in media_jobs:
        found = cache.lookup(keys[job.slug])
        if found is None:
            futures[executor.submit(run_remote, job, str(root))] = job
        else:
            manifest = found.with_key(keys[job.slug], from_cache=True)
            outcomes[job.slug] = manifest
            reporter.clip_done(job.slug, manifest)
    for future in as_completed(futures):
        outcomes[futures[future].slug] = _collect(future, futures[future], reporter)
    cache.clean_leftovers(keys.values())
    return {job.slug: outcomes[job.slug] for job in media_jobs}


def _collect(future: Future[tuple[Manifest, float]], job: MediaJob,
             reporter: DoneReporter) -> Outcome:
    try:
        manifest, seconds = future.result()
    except ClipportalError as exc:
        reporter.clip_done(job.slug, None)
        return exc
    except Exception as exc:  # Dask gave up on the job (e.g. it killed worker after worker)
        reporter.clip_done(job.slug, None)
        return ClipportalError(Problem(
            job.source, f"the Dask cluster could not run this clip's job ({type(exc).__name__})",
            "see the Dask workers' logs, then build again"))
    if not manifest.from_cache:
        reporter.clip_timed(job.slug, seconds)
    reporter.clip_done(job.slug, manifest)
    return manifest
