"""From a validated catalog to everything the pages need: media jobs (in a pool, cached),
caption tracks and warnings. Every clip is processed even when another fails; failures are
collected and raised together at the end."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from clipportal.captions.memo import MEMO_FILE, CaptionMemo
from clipportal.captions.parse import Cue
from clipportal.captions.tracks import TrackFile, caption_tracks, chapter_tracks, storyboard_track
from clipportal.catalog.clips import Catalog, Clip
from clipportal.errors import ClipportalError, Problem
from clipportal.media.cache import MediaCache
from clipportal.media.executors import run_on
from clipportal.media.ffmpeg_runner import ffmpeg_version
from clipportal.media.jobs import EncodeSettings, Limits, MediaJob, cached_result, run_job
from clipportal.media.manifest import Manifest
from clipportal.media.remote import fetch_manifests
from clipportal.settings import Settings

log = logging.getLogger(__name__)
MEDIA_PREFIX = "media/"
"""Where media files sit in the site (and, below it, in build/media/ for `media_url`)."""


@dataclass(frozen=True)
class PreparedClip:
    clip: Clip
    media: Manifest
    media_dir: str
    """Site-relative folder the media files are published in."""
    cache_dir: Path
    tracks: tuple[TrackFile, ...]
    transcript: tuple[Cue, ...]

    @property
    def duration(self) -> float:
        return self.media.duration


@dataclass(frozen=True)
class Prepared:
    clips: tuple[PreparedClip, ...]
    problems: tuple[Problem, ...]
    """Problems found on the way: only warnings once `prepare` has returned."""
    encoded: int
    cached: int


class Reporter(Protocol):
    def start(self, total: int) -> None: ...
    def clip_started(self, slug: str, duration: float | None) -> None: ...
    def clip_progress(self, slug: str, seconds: float) -> None: ...
    def clip_done(self, slug: str, manifest: Manifest | None) -> None: ...
    def clip_timed(self, slug: str, seconds: float) -> None: ...
    def finish(self) -> None: ...


class LogReporter:
    """Progress through logging (the MkDocs plugin and non-interactive runs)."""

    def start(self, total: int) -> None:
        log.info("clipportal: preparing %d clips", total)

    def clip_started(self, slug: str, duration: float | None) -> None:
        log.debug("clipportal: encoding %s", slug)

    def clip_progress(self, slug: str, seconds: float) -> None:
        pass

    def clip_done(self, slug: str, manifest: Manifest | None) -> None:
        if manifest is not None and not manifest.from_cache:
            log.info("clipportal: encoded %s", slug)

    def clip_timed(self, slug: str, seconds: float) -> None:
        pass

    def finish(self) -> None:
        pass


def default_jobs() -> int:
    """One x264 encode already uses every core of a small machine; run clips side by side only
    where there are cores to spare."""
    return max(1, (os.cpu_count() or 2) // 4)


SCHEDULER_ENV = "CLIPPORTAL_SCHEDULER"


def scheduler_address(given: str | None, settings: Settings) -> str | None:
    """--scheduler, else $CLIPPORTAL_SCHEDULER, else `scheduler:` in mkdocs.yml, else None
    (the local pool)."""
    return given or os.environ.get(SCHEDULER_ENV) or settings.scheduler


def prepare_on(address: str | None, root: Path, settings: Settings, catalog: Catalog,
               jobs: int | None = None, reporter: Reporter | None = None) -> Prepared:
    """`prepare` in the local pool, or with the media jobs on the Dask scheduler at
    `address` (SchedulerError when it cannot be used)."""
    if not address:
        return prepare(root, settings, catalog, jobs, reporter)
    from clipportal.media.executors import dask_executor  # needs the optional extra

    with dask_executor(address, root) as executor:
        return prepare(root, settings, catalog, jobs, reporter, executor)


def prepare(root: Path, settings: Settings, catalog: Catalog, jobs: int | None = None,
            reporter: Reporter | None = None, executor: Executor | None = None) -> Prepared:
    """Encode (or fetch from cache) every clip and read its captions."""
    reporter = reporter or LogReporter()
    cache = MediaCache(root / "build" / "cache")
    if executor is None:  # a cluster's cache may be shared with other builds: see run_on
        cache.clean_staging()
    media_jobs = _media_jobs(root, settings, catalog.clips, cache)
    cache.save_memo()
    online = _published(settings, media_jobs, cache)
    to_run = [job for job in media_jobs if job.slug not in online]
    reporter.start(len(to_run))
    results = {**online, **_run_all(to_run, root, cache, jobs, reporter, executor)}
    reporter.finish()
    memo = CaptionMemo(root / MEMO_FILE)
    prepared = _assemble(catalog, settings, cache, results, memo)
    memo.save()
    return prepared


def _published(settings: Settings, jobs: Sequence[MediaJob],
               cache: MediaCache) -> dict[str, Outcome]:
    """With `media_url`, the clips missing from the local cache whose entry is published
    already (slug → its manifest): nothing to encode or download for them."""
    if not settings.media_url:
        return {}
    version = ffmpeg_version(cache.root)
    keys = {job.slug: job.key(version) for job in jobs}
    wanted = [(slug, key) for slug, key in keys.items() if cache.lookup(key) is None]
    return dict(fetch_manifests(settings.media_url, wanted)) if wanted else {}


def media_jobs(root: Path, settings: Settings, catalog: Catalog) -> list[MediaJob]:
    """The catalog's media jobs (for sharding and `encode --list-missing`)."""
    cache = MediaCache(root / "build" / "cache")
    jobs = _media_jobs(root, settings, catalog.clips, cache)
    cache.save_memo()
    return jobs


def _media_jobs(root: Path, settings: Settings, clips: Sequence[Clip],
                cache: MediaCache) -> list[MediaJob]:
    encode = EncodeSettings.from_settings(settings)
    limits = Limits.from_settings(settings)
    return [MediaJob(c.slug, c.video_source, cache.source_hash(root / c.video_source,
                                                               c.video_source),
                     encode, c.poster, limits, tuple(ch.start for ch in c.chapters))
            for c in clips]


Outcome = Manifest | ClipportalError


def _run_all(media_jobs: list[MediaJob], root: Path, cache: MediaCache, jobs: int | None,
             reporter: Reporter, executor: Executor | None) -> dict[str, Outcome]:
    if executor is not None:  # e.g. Dask: pure jobs, progress per clip done
        return run_on(executor, media_jobs, root, cache, reporter)
    # clips found in the cache are answered here: handing a thousand lookups to the pool's
    # threads cost more than the lookups themselves
    done: dict[str, Outcome] = {}
    missing = []
    for job in media_jobs:
        found = cached_result(job, cache)
        if found is None:
            missing.append(job)
        else:
            reporter.clip_done(job.slug, found)
            done[job.slug] = found
    if not missing:
        return done
    pool = ThreadPoolExecutor(max_workers=jobs or default_jobs())
    try:
        futures = {job.slug: pool.submit(_run_one, job, root, cache, reporter)
                   for job in missing}
        return {**done, **{slug: _outcome(future, reporter, slug)
                           for slug, future in futures.items()}}
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_one(job: MediaJob, root: Path, cache: MediaCache,
             reporter: Reporter) -> Manifest:
    def progress(seconds: float) -> None:
        reporter.clip_progress(job.slug, seconds)

    def started(duration: float) -> None:
        reporter.clip_started(job.slug, duration)

    return run_job(job, root, cache, progress, started)


def _outcome(future: Future[Manifest], reporter: Reporter, slug: str) -> Outcome:
    try:
        manifest = future.result()
    except ClipportalError as exc:
        reporter.clip_done(slug, None)
        return exc
    reporter.clip_done(slug, manifest)
    return manifest


def _assemble(catalog: Catalog, settings: Settings, cache: MediaCache,
              results: dict[str, Outcome], memo: CaptionMemo | None = None) -> Prepared:
    problems = list(catalog.problems)
    prepared = []
    for clip in catalog.clips:
        outcome = results[clip.slug]
        if isinstance(outcome, ClipportalError):
            problems.extend(outcome.problems)
            continue
        item, found = _prepare_clip(clip, outcome, settings, cache, memo)
        problems += found
        if item is not None:
            prepared.append(item)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ClipportalError(problems)
    encoded = sum(1 for r in results.values() if isinstance(r, Manifest) and not r.from_cache)
    return Prepared(tuple(prepared), tuple(problems), encoded, len(results) - encoded)


def _prepare_clip(clip: Clip, manifest: Manifest, settings: Settings, cache: MediaCache,
                  memo: CaptionMemo | None = None) -> tuple[PreparedClip | None, list[Problem]]:
    """The clip ready for its page (None when its captions fail), and the problems found.
    With a memo, caption files whose bytes are unchanged are not read again."""
    media_dir = f"{MEDIA_PREFIX}{clip.slug}/{manifest.key[:10]}"
    captions = caption_tracks(clip, manifest.duration, settings, media_dir, memo)
    problems = [*(_media_warning(clip, note) for note in manifest.warnings), *captions.problems]
    if captions.failed:
        return None, problems
    chapters, chapter_problems = chapter_tracks(clip, manifest.duration, media_dir)
    tracks = (*captions.tracks, *chapters, storyboard_track(manifest, media_dir, memo))
    return PreparedClip(clip, manifest, media_dir, cache.entry(manifest.key), tracks,
                        captions.transcript), problems + chapter_problems


def _media_warning(clip: Clip, note: str) -> Problem:
    """A poster time is the editor's line in the clip file; anything else is about the video."""
    if note.startswith("poster time"):
        return Problem(clip.meta_source, note, "set poster: to a time inside the clip",
                       clip.poster_line or None, "warning")
    return Problem(clip.video_source, note, severity="warning")
