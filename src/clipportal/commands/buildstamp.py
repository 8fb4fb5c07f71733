"""Skip a whole build when no input file has changed since the last one, the way make does.

A no-op `clipportal build` otherwise reads and checks every clip file and caption, looks up
every media entry and hashes the site's inputs before it can say so: at 1,000 clips that was
about 3 s of a build that changes nothing. After each successful build this records the size,
times and inode of every input file (videos/, captions/, docs/ and the theme's
override folder, mkdocs.yml, the clip videos named elsewhere in the project, clipportal's own
files), which ffmpeg and which versions of
the site tools were used, and the problems the build reported. The next build compares
`stat` results only; if all are equal and the site still carries the same build marker, it
prints the same problems again and stops. Any difference, and any doubt (a missing or
unreadable record), means a full build, which then checks the content itself.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

from clipportal import __version__
from clipportal.errors import Problem
from clipportal.paths import write_text_atomically
from clipportal.settings import source_folders

STAMP_FILE = Path("build") / "inputs.json"
FORMAT = 1
WATCHED = ("videos", "captions")
"""Project folders whose every file is an input (their listing too: a new file counts), with
the docs and theme override folders mkdocs.yml names (`settings.source_folders`)."""
TOOLS = ("mkdocs", "mkdocs-material", "pymdown-extensions", "markdown", "jinja2", "pagefind",
         "pagefind-bin-extended", "pyyaml", "av")
PACKAGE = Path(__file__).parent.parent


def unchanged_build(root: Path, site: Path) -> list[Problem] | None:
    """The problems the last build reported when no input has changed since it and its site
    is still in place; None when a build is needed."""
    try:
        record = json.loads((root / STAMP_FILE).read_text(encoding="utf-8"))
        if record.get("format") != FORMAT or record.get("site") != str(site):
            return None
        marker = (site / record["marker_file"]).read_text(encoding="ascii").strip()
        if marker != record["marker"]:
            return None
        extra = [root / name for name in record["extra"]]
        if _stamp(root, extra) != record["stamp"]:
            return None
        return [Problem(**p) for p in record["problems"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record_build(root: Path, site: Path, marker_file: str, extra: Iterable[str],
                 problems: Sequence[Problem]) -> None:
    """Remember the inputs of a build that just succeeded (`extra`: project-relative paths of
    inputs outside the watched folders, such as a video named with `video:`)."""
    names = sorted(set(extra))
    marker = (site / marker_file).read_text(encoding="ascii").strip()
    record = {"format": FORMAT, "site": str(site), "marker_file": marker_file,
              "marker": marker, "extra": names,
              "stamp": _stamp(root, [root / n for n in names]),
              "problems": [asdict(p) for p in problems]}
    write_text_atomically(root / STAMP_FILE, json.dumps(record, ensure_ascii=False))


def forget_build(root: Path) -> None:
    """Before a build starts: a build stopped half-way must never look complete."""
    (root / STAMP_FILE).unlink(missing_ok=True)


def _stamp(root: Path, extra: Iterable[Path]) -> str:
    digest = hashlib.sha256(f"clipportal {__version__}".encode())
    for name in TOOLS:
        digest.update(f"\0{name} {_version(name)}".encode())
    digest.update(b"\0ffmpeg " + _ffmpeg_identity().encode())
    files = [root / "mkdocs.yml", *extra]
    for path in files:
        digest.update(b"\0" + str(path).encode() + b"\0" + _stat_line(path))
    for folder in [*(root / name for name in WATCHED), *source_folders(root), PACKAGE]:
        for entry in _walk(folder):
            digest.update(b"\0" + entry.path.encode("utf-8", "surrogateescape") + b"\0"
                          + _stat_line(entry))
    return digest.hexdigest()


def _walk(folder: Path) -> Iterable[os.DirEntry[str]]:
    """Every entry below `folder`, in a stable order (links are not followed into)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name == "__pycache__":
            continue
        yield entry
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))


def _stat_line(path: Path | os.DirEntry[str]) -> bytes:
    """Size, modification and change times and inode: an edit changes at least the change
    time (which tools cannot set back), a replaced file its inode. A link's target counts."""
    try:
        st = os.stat(path)
    except OSError:
        return b"missing"
    return f"{st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino} {st.st_mode}".encode()


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _ffmpeg_identity() -> str:
    from clipportal.media.ffmpeg_runner import ffmpeg_exe

    try:
        exe = ffmpeg_exe()
    except Exception:  # no ffmpeg: the full build says so in plain words
        return "missing"
    return f"{exe} {_stat_line(Path(exe)).decode()}"
