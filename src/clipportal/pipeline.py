"""From a validated catalog to everything the pages need: media jobs (in a pool, cached),
caption tracks and warnings. Every clip is processed even when another fails; failures are
collected and raised together at the end."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from clipportal.cache import MediaCache
from clipportal.captionmemo import MEMO_FILE, CaptionMemo
from clipportal.captions import (
    CaptionTrack,
    Cue,
    chapters_webvtt,
    check_track,
    language_label,
    read_captions,
    write_webvtt,
)
from clipportal.catalog import CaptionSource, Catalog, Clip, missing_site_captions
from clipportal.errors import ClipportalError, Problem
from clipportal.media import EncodeSettings, Limits, MediaJob, run_job
from clipportal.settings import Settings

log = logging.getLogger(__name__)
CJK_LANGUAGES = {"ja", "zh", "ko"}


@dataclass(frozen=True)
class TrackFile:
    kind: str
    """captions, chapters or metadata (storyboard thumbnails)."""
    lang: str
    label: str
    path: str
    """Site-relative path."""
    content: str
    default: bool = False


@dataclass(frozen=True)
class PreparedClip:
    clip: Clip
    media: dict[str, Any]
    """The cache manifest (renditions, posters, storyboard, duration)."""
    media_dir: str
    """Site-relative folder the media files are published in."""
    cache_dir: Path
    tracks: tuple[TrackFile, ...]
    transcript: tuple[Cue, ...]

    @property
    def duration(self) -> float:
        return float(self.media["duration"])


@dataclass(frozen=True)
class Prepared:
    clips: tuple[PreparedClip, ...]
    warnings: tuple[Problem, ...]
    encoded: int
    cached: int


class Reporter(Protocol):
    def start(self, total: int) -> None: ...
    def clip_started(self, slug: str, duration: float | None) -> None: ...
    def clip_progress(self, slug: str, seconds: float) -> None: ...
    def clip_done(self, slug: str, manifest: dict[str, Any] | None) -> None: ...
    def finish(self) -> None: ...


class LogReporter:
    """Progress through logging (the MkDocs plugin and non-interactive runs)."""

    def start(self, total: int) -> None:
        log.info("clipportal: preparing %d clips", total)

    def clip_started(self, slug: str, duration: float | None) -> None:
        log.debug("clipportal: encoding %s", slug)

    def clip_progress(self, slug: str, seconds: float) -> None:
        pass

    def clip_done(self, slug: str, manifest: dict[str, Any] | None) -> None:
        if manifest is not None and not manifest.get("from_cache"):
            log.info("clipportal: encoded %s", slug)

    def finish(self) -> None:
        pass


def default_jobs() -> int:
    """One x264 encode already uses every core of a small machine; run clips side by side only
    where there are cores to spare."""
    return max(1, (os.cpu_count() or 2) // 4)


def prepare(root: Path, settings: Settings, catalog: Catalog, jobs: int | None = None,
            reporter: Reporter | None = None, executor: Executor | None = None) -> Prepared:
    """Encode (or fetch from cache) every clip and read its captions."""
    reporter = reporter or LogReporter()
    cache = MediaCache(root / "build" / "cache")
    cache.clean_staging()
    media_jobs = _media_jobs(root, settings, catalog.clips, cache)
    cache.save_memo()
    reporter.start(len(media_jobs))
    results = _run_all(media_jobs, root, cache, jobs, reporter, executor)
    reporter.finish()
    memo = CaptionMemo(root / MEMO_FILE)
    prepared = _assemble(catalog, settings, cache, results, memo)
    memo.save()
    return prepared


def _media_jobs(root: Path, settings: Settings, clips: Sequence[Clip],
                cache: MediaCache) -> list[MediaJob]:
    encode = EncodeSettings.from_settings(settings)
    limits = Limits.from_settings(settings)
    return [MediaJob(c.slug, c.video_source, cache.source_hash(root / c.video_source,
                                                               c.video_source),
                     encode, c.poster, limits, tuple(ch.start for ch in c.chapters))
            for c in clips]


Outcome = dict[str, Any] | ClipportalError


def _run_all(media_jobs: list[MediaJob], root: Path, cache: MediaCache, jobs: int | None,
             reporter: Reporter, executor: Executor | None) -> dict[str, Outcome]:
    own = executor is None
    pool = executor or ThreadPoolExecutor(max_workers=jobs or default_jobs())
    try:
        futures = {job.slug: pool.submit(_run_one, job, root, cache, reporter)
                   for job in media_jobs}
        return {slug: _outcome(future, reporter, slug) for slug, future in futures.items()}
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)


def _run_one(job: MediaJob, root: Path, cache: MediaCache,
             reporter: Reporter) -> dict[str, Any]:
    def progress(seconds: float) -> None:
        reporter.clip_progress(job.slug, seconds)

    def started(duration: float) -> None:
        reporter.clip_started(job.slug, duration)

    return run_job(job, root, cache, progress, started)


def _outcome(future: Future[dict[str, Any]], reporter: Reporter, slug: str) -> Outcome:
    try:
        manifest = future.result()
    except ClipportalError as exc:
        reporter.clip_done(slug, None)
        return exc
    reporter.clip_done(slug, manifest)
    return manifest


def _assemble(catalog: Catalog, settings: Settings, cache: MediaCache,
              results: dict[str, Outcome], memo: CaptionMemo | None = None) -> Prepared:
    problems = list(catalog.warnings)
    prepared = []
    for clip in catalog.clips:
        outcome = results[clip.slug]
        if isinstance(outcome, ClipportalError):
            problems.extend(outcome.problems)
            continue
        item = _prepare_clip(clip, outcome, settings, cache, problems, memo)
        if item is not None:
            prepared.append(item)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ClipportalError(problems)
    encoded = sum(1 for r in results.values() if isinstance(r, dict) and not r["from_cache"])
    return Prepared(tuple(prepared), tuple(problems), encoded, len(results) - encoded)


def _prepare_clip(clip: Clip, manifest: dict[str, Any], settings: Settings, cache: MediaCache,
                  problems: list[Problem], memo: CaptionMemo | None = None
                  ) -> PreparedClip | None:
    for note in manifest.get("warnings", []):
        problems.append(_media_warning(clip, str(note)))
    key = str(manifest["key"])
    media_dir = f"media/{clip.slug}/{key[:10]}"
    duration = float(manifest["duration"])
    tracks, transcript = _caption_tracks(clip, duration, settings, media_dir, problems, memo)
    if tracks is None:
        return None
    tracks += _chapter_tracks(clip, duration, media_dir, problems)
    tracks.append(_storyboard_track(manifest, media_dir, memo))
    return PreparedClip(clip, manifest, media_dir, cache.entry(key), tuple(tracks), transcript)


def _media_warning(clip: Clip, note: str) -> Problem:
    """A poster time is the editor's line in the clip file; anything else is about the video."""
    if note.startswith("poster time"):
        return Problem(clip.meta_source, note, "set poster: to a time inside the clip",
                       clip.poster_line or None, "warning")
    return Problem(clip.video_source, note, severity="warning")


def _caption_tracks(clip: Clip, duration: float, settings: Settings, media_dir: str,
                    problems: list[Problem], memo: CaptionMemo | None = None
                    ) -> tuple[list[TrackFile] | None, tuple[Cue, ...]]:
    tracks: list[TrackFile] = []
    transcript: tuple[Cue, ...] = ()
    failed = False
    for source in clip.captions:
        try:
            track, found, content = _checked_track(source, clip.slug, duration, settings, memo)
        except ClipportalError as exc:
            problems.extend(exc.problems)
            failed = True
            continue
        problems.extend(found)
        is_site = source.lang == settings.language
        transcript = track.cues if is_site else transcript
        tracks.append(_caption_file(track, content, media_dir, is_site))
    missing = missing_site_captions(clip, settings.language)
    problems.extend([missing] if missing else [])
    return (None if failed else tracks), transcript


def _checked_track(source: CaptionSource, slug: str, duration: float, settings: Settings,
                   memo: CaptionMemo | None) -> tuple[CaptionTrack, list[Problem], str]:
    """A caption file read, cleaned and checked against the clip, with its WebVTT text (from
    the memo when the file and everything else it depends on are unchanged)."""
    limit = reading_speed_limit(source.lang, settings)

    def read() -> tuple[CaptionTrack, list[Problem], str]:
        track, warnings = read_captions(source.path, source.source, slug, source.lang)
        track, more = check_track(track, duration, limit)
        return track, warnings + more, write_webvtt(track.cues)

    try:
        data = source.path.read_bytes() if memo is not None else b""
    except OSError:
        return read()  # reports the reason as read_captions words it
    if memo is None:
        return read()
    return memo.track(data, (slug, source.lang, source.source, duration, limit), read)


def _caption_file(track: CaptionTrack, content: str, media_dir: str,
                  default: bool) -> TrackFile:
    return TrackFile("captions", track.lang, language_label(track.lang),
                     _content_path(media_dir, track.lang, content), content, default)


def _content_path(media_dir: str, stem: str, content: str) -> str:
    """Track files live beside the media but are named by their own content, so a corrected
    caption file gets a new URL even when the video (and its folder) is unchanged."""
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:8]
    return f"{media_dir.rsplit('/', 1)[0]}/{stem}.{digest}.vtt"


def reading_speed_limit(lang: str, settings: Settings) -> float:
    """The configured limit is for Japanese-style scripts, where a character carries more; other
    languages are read at about 20 characters per second (common subtitling guidance)."""
    return settings.max_cps if lang.split("-")[0] in CJK_LANGUAGES else 20.0


def _chapter_tracks(clip: Clip, duration: float, media_dir: str,
                    problems: list[Problem]) -> list[TrackFile]:
    inside = [c for c in clip.chapters if c.start < duration]
    if len(inside) < len(clip.chapters):
        problems.append(Problem(clip.meta_source, "a chapter starts after the end of the clip "
                                f"({duration:.1f} s); it is left out",
                                "check the chapter times", 1, "warning"))
    if not inside:
        return []
    ends = [c.start for c in inside[1:]] + [duration]
    triples = [(c.start, end, c.title) for c, end in zip(inside, ends, strict=True)]
    content = chapters_webvtt(triples)
    return [TrackFile("chapters", "ja", "チャプター",
                      _content_path(media_dir, "chapters", content), content)]


def _storyboard_track(manifest: dict[str, Any], media_dir: str,
                      memo: CaptionMemo | None = None) -> TrackFile:
    def make() -> str:
        return _storyboard_vtt(manifest)

    parts = ("storyboard", manifest["key"], manifest["storyboard"], manifest["duration"])
    content = memo.text(parts, make) if memo is not None else make()
    return TrackFile("metadata", "", "storyboard", f"{media_dir}/storyboard.vtt", content)


def _storyboard_vtt(manifest: dict[str, Any]) -> str:
    board = manifest["storyboard"]
    lines = ["WEBVTT", ""]
    for i in range(int(board["tiles"])):
        start = i * float(board["interval"])
        end = min(float(manifest["duration"]), start + float(board["interval"]))
        x = (i % int(board["columns"])) * int(board["width"])
        y = (i // int(board["columns"])) * int(board["height"])
        lines += [f"{_vtt_time(start)} --> {_vtt_time(max(end, start + 0.001))}",
                  f"{board['file']}#xywh={x},{y},{board['width']},{board['height']}", ""]
    return "\n".join(lines)


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
