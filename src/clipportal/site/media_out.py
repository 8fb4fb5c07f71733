"""The media published apart from the pages (`media_url`): every clip's files and tracks
written to build/media/ in the layout the pages' URLs name, ready for `aws s3 sync` or
rsync, each entry with its manifest.json (the cache a fresh runner finds online, see
media.remote). Every name there carries a content hash (the cache key, or the track's own digest),
so a file once written never changes: existing files are kept, and an upload that compares
sizes only sends what is new."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from clipportal.media.manifest import MANIFEST_FILE
from clipportal.paths import write_text_atomically
from clipportal.pipeline import MEDIA_PREFIX, Prepared

MEDIA_FOLDER = Path("build") / "media"


def publish_media(prepared: Prepared, target: Path) -> int:
    """Write what is missing under `target` (the project's build/media); the count written."""
    written = 0
    for item in prepared.clips:
        if (item.cache_dir / MANIFEST_FILE).is_file():  # else it was found online already
            for name in [*item.media.file_names(), MANIFEST_FILE]:
                written += _link(item.cache_dir / name,
                                 target / _below(f"{item.media_dir}/{name}"))
        for track in item.tracks:
            written += _write(target / _below(track.path), track.content)
    return written


def _below(site_path: str) -> str:
    return site_path.removeprefix(MEDIA_PREFIX)


def _link(source: Path, target: Path) -> int:
    """Hard-link from the cache where the file system allows (no second copy of every video),
    else copy; cache entries are never changed in place, so a link never sees new bytes."""
    if target.is_file() and target.stat().st_size == source.stat().st_size:
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return 1


def _write(target: Path, content: str) -> int:
    data = content.encode("utf-8")
    if target.is_file() and target.stat().st_size == len(data):
        return 0
    write_text_atomically(target, content)  # a half-written track is never uploaded
    return 1
