"""Skip the site generator when nothing that shapes the site has changed.

A no-op rebuild otherwise spends ~2 s in MkDocs and Pagefind for an identical result. The
fingerprint covers every input of the site step: the prepared clips (metadata, media keys,
caption tracks), the hand-written docs, mkdocs.yml, the settings and clipportal's own files.
It is written into the site folder only after a successful build, and MkDocs empties that
folder when a build starts, so an interrupted build never leaves a matching fingerprint.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from clipportal.pipeline import Prepared
from clipportal.settings import Settings, source_folders

FINGERPRINT_FILE = ".clipportal-build"
PACKAGE = Path(__file__).parent.parent
"""All of clipportal: its code, templates and assets shape the site."""


def site_fingerprint(root: Path, prepared: Prepared, settings: Settings) -> str:
    digest = hashlib.sha256(repr(settings).encode())
    for item in prepared.clips:
        digest.update(repr(item.clip).encode())
        digest.update(item.media.key.encode())
        for track in item.tracks:
            digest.update(track.path.encode() + track.content.encode())
    for path in input_files(root):
        digest.update(path.as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def input_files(root: Path) -> list[Path]:
    """The project and package files every page depends on: mkdocs.yml, the docs and theme
    override folders it names, and clipportal itself."""
    files = [root / "mkdocs.yml"] if (root / "mkdocs.yml").is_file() else []
    for folder in (*source_folders(root), PACKAGE):
        files += sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in
                        p.parts) if folder.is_dir() else []
    return files


def is_up_to_date(site_dir: Path, fingerprint: str) -> bool:
    marker = site_dir / FINGERPRINT_FILE
    try:
        return marker.read_text(encoding="ascii").strip() == fingerprint
    except OSError:
        return False


def mark_built(site_dir: Path, fingerprint: str) -> None:
    (site_dir / FINGERPRINT_FILE).write_text(fingerprint + "\n", encoding="ascii")
