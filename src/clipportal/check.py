"""`clipportal check`: the pull-request gate. Everything a build would reject, found without
transcoding (probing is allowed), every problem at once."""

from __future__ import annotations

from pathlib import Path

from clipportal.captions import check_track, read_captions
from clipportal.catalog import Catalog, Clip, missing_site_captions, scan_catalog
from clipportal.errors import ClipportalError, Problem
from clipportal.lfs import lfs_problems
from clipportal.media import Limits, limit_problems
from clipportal.pipeline import reading_speed_limit
from clipportal.probe import probe
from clipportal.settings import Settings, load_settings


def check_project(root: Path, settings: Settings | None = None) -> list[Problem]:
    """All problems (errors and warnings) in the project at `root`."""
    try:
        settings = settings or load_settings(root)
        catalog = scan_catalog(root, settings)
    except ClipportalError as exc:
        return list(exc.problems)
    sources = [clip.video_source for clip in catalog.clips]
    return list(catalog.warnings) + lfs_problems(root, sources) + _clip_problems(catalog, settings)


def _clip_problems(catalog: Catalog, settings: Settings) -> list[Problem]:
    return [p for clip in catalog.clips for p in check_clip(clip, settings)]


def check_clip(clip: Clip, settings: Settings) -> list[Problem]:
    """Probe the source and read every caption track of one clip."""
    problems: list[Problem] = []
    duration: float | None = None
    try:
        facts = probe(clip.video, clip.video_source)
        duration = facts.duration
        problems += limit_problems(clip.video_source, facts, Limits.from_settings(settings))
        if facts.video is None:
            problems.append(Problem(clip.video_source, "the file has no video stream",
                                    "export the clip again with its picture"))
    except ClipportalError as exc:
        problems += exc.problems
    for source in clip.captions:
        try:
            track, warnings = read_captions(source.path, source.source, clip.slug, source.lang)
            limit = reading_speed_limit(source.lang, settings)
            problems += warnings + check_track(track, duration, limit)[1]
        except ClipportalError as exc:
            problems += exc.problems
    missing = missing_site_captions(clip, settings.language)
    return [*problems, missing] if missing else problems
