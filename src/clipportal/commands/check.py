"""`clipportal check`: the pull-request gate. Everything a build would reject, found without
transcoding (probing is allowed), every problem at once."""

from __future__ import annotations

from pathlib import Path

from clipportal.captions.tracks import caption_tracks
from clipportal.catalog.clips import Catalog, Clip, scan_catalog
from clipportal.commands.lfs import lfs_problems
from clipportal.errors import ClipportalError, Problem
from clipportal.media.manifest import stored_duration
from clipportal.settings import Settings, load_settings


def check_project(root: Path, settings: Settings | None = None) -> list[Problem]:
    """All problems (errors and warnings) in the project at `root`."""
    try:
        settings = settings or load_settings(root)
        catalog = scan_catalog(root, settings)
    except ClipportalError as exc:
        return list(exc.problems)
    sources = [clip.video_source for clip in catalog.clips]
    return list(catalog.problems) + lfs_problems(root, sources) + _clip_problems(catalog, settings)


def _clip_problems(catalog: Catalog, settings: Settings) -> list[Problem]:
    return [p for clip in catalog.clips for p in check_clip(clip, settings)]


def check_clip(clip: Clip, settings: Settings) -> list[Problem]:
    """Probe the source and read every caption track of one clip."""
    problems, duration = _video_problems(clip, settings)
    captions = caption_tracks(clip, duration, settings, media_dir=f"media/{clip.slug}/check")
    return [*problems, *captions.problems]


def _video_problems(clip: Clip, settings: Settings) -> tuple[list[Problem], float | None]:
    # Imported here, not at the top: `check` must start (on Windows, without ffmpeg) and
    # validate YAML and captions without loading PyAV or the encoder.
    from clipportal.media.jobs import Limits, limit_problems
    from clipportal.media.probe import probe

    try:
        facts = probe(clip.video, clip.video_source)
    except ClipportalError as exc:
        return list(exc.problems), None
    problems = limit_problems(clip.video_source, facts, Limits.from_settings(settings))
    if facts.video is None:
        problems.append(Problem(clip.video_source, "the file has no video stream",
                                "export the clip again with its picture"))
    return problems, stored_duration(facts.duration)
