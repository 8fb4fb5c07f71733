"""The text tracks of one clip page: its caption tracks (read, checked, written as strict
WebVTT), its chapter track and its storyboard (seek-preview) track, each as a site file."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

from clipportal.captions.memo import CaptionMemo
from clipportal.captions.parse import CaptionTrack, Cue, check_track, language_label, read_captions
from clipportal.captions.webvtt import chapters_webvtt, storyboard_webvtt, write_webvtt
from clipportal.catalog.clips import CaptionSource, Clip, missing_site_captions
from clipportal.errors import ClipportalError, Problem
from clipportal.media.manifest import Manifest, inside_clip
from clipportal.settings import Settings

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
class CaptionResult:
    """A clip's caption tracks and its site-language transcript, or `failed` when a caption
    file could not be read at all (its problems are in `problems`)."""

    tracks: tuple[TrackFile, ...]
    transcript: tuple[Cue, ...]
    problems: tuple[Problem, ...]
    failed: bool


def caption_tracks(clip: Clip, duration: float | None, settings: Settings, media_dir: str,
                   memo: CaptionMemo | None = None) -> CaptionResult:
    """Read and check every caption file of `clip` (duration None: no media yet, as in
    `clipportal check`), through `memo` when given. Problems are returned, never raised, so one
    clip's bad caption file does not hide the others'."""
    tracks: list[TrackFile] = []
    problems: list[Problem] = []
    transcript: tuple[Cue, ...] = ()
    failed = False
    for source in clip.captions:
        try:
            track, found, content = _checked_track(source, clip.slug, duration, settings, memo)
        except ClipportalError as exc:
            problems += exc.problems
            failed = True
            continue
        problems += found
        is_site = source.lang == settings.language
        transcript = track.cues if is_site else transcript
        tracks.append(_caption_file(track, content, media_dir, is_site))
    missing = missing_site_captions(clip, settings.language)
    problems += [missing] if missing else []
    return CaptionResult(tuple(tracks), transcript, tuple(problems), failed)


def _checked_track(source: CaptionSource, slug: str, duration: float | None,
                   settings: Settings, memo: CaptionMemo | None
                   ) -> tuple[CaptionTrack, list[Problem], str]:
    """A caption file read, cleaned and checked against the clip, with its WebVTT text (from
    the memo when the file and everything else it depends on are unchanged)."""
    limit = reading_speed_limit(source.lang, settings)

    def read() -> tuple[CaptionTrack, list[Problem], str]:
        track, warnings = read_captions(source.path, source.source, slug, source.lang)
        track, more = check_track(track, duration, limit)
        return track, warnings + more, write_webvtt(track.cues)

    if memo is None:
        return read()
    try:
        data = source.path.read_bytes()
    except OSError:
        return read()  # reports the reason as read_captions words it
    return memo.track(data, (slug, source.lang, source.source, duration, limit), read)


def reading_speed_limit(lang: str, settings: Settings) -> float:
    """The configured limit is for Japanese-style scripts, where a character carries more; other
    languages are read at about 20 characters per second (common subtitling guidance)."""
    return settings.max_cps if lang.split("-")[0] in CJK_LANGUAGES else 20.0


def _caption_file(track: CaptionTrack, content: str, media_dir: str,
                  default: bool) -> TrackFile:
    return TrackFile("captions", track.lang, language_label(track.lang),
                     _content_path(media_dir, track.lang, content), content, default)


def _content_path(media_dir: str, stem: str, content: str) -> str:
    """Track files live beside the media but are named by their own content, so a corrected
    caption file gets a new URL even when the video (and its folder) is unchanged."""
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:8]
    return f"{media_dir.rsplit('/', 1)[0]}/{stem}.{digest}.vtt"


def chapter_tracks(clip: Clip, duration: float,
                   media_dir: str) -> tuple[list[TrackFile], list[Problem]]:
    inside = [c for c in clip.chapters if inside_clip(c.start, duration)]
    problems = [] if len(inside) == len(clip.chapters) else [
        Problem(clip.meta_source, "a chapter starts after the end of the clip "
                f"({duration:.1f} s); it is left out", "check the chapter times", 1, "warning")]
    if not inside:
        return [], problems
    ends = [c.start for c in inside[1:]] + [duration]
    content = chapters_webvtt([(c.start, end, c.title)
                               for c, end in zip(inside, ends, strict=True)])
    return [TrackFile("chapters", "ja", "チャプター",
                      _content_path(media_dir, "chapters", content), content)], problems


def storyboard_track(manifest: Manifest, media_dir: str,
                     memo: CaptionMemo | None = None) -> TrackFile:
    board = manifest.storyboard

    def make() -> str:
        return storyboard_webvtt(manifest.duration, board.tiles, board.interval, board.columns,
                                 (board.width, board.height), board.file)

    parts = ("storyboard", manifest.key, dataclasses.asdict(board), manifest.duration)
    content = memo.text(parts, make) if memo is not None else make()
    return TrackFile("metadata", "", "storyboard", f"{media_dir}/storyboard.vtt", content)
