"""Names and paths that come from pull requests: the only forms allowed, checked before any
file is read or written."""

from __future__ import annotations

import os
import re
import uuid
from functools import lru_cache
from pathlib import Path, PurePosixPath

MAX_SLUG = 80
"""Longest slug: it is a file name and part of every URL of the clip."""
SLUG_RE = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{MAX_SLUG - 1}}}")
"""The one rule for slugs (clip files, caption files, `clipportal new`)."""
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1"


def is_valid_slug(slug: str) -> bool:
    """Slugs become URL and file names, so only lower-case ASCII letters, digits and '-'."""
    return SLUG_RE.fullmatch(slug) is not None


def resolve_inside(root: Path, relative: str) -> Path | None:
    """`root/relative` with symlinks resolved, or None when it is absolute or leads outside root.

    Checked on the resolved path so that `..` and symlinks pointing out are both caught.
    """
    if not relative or "\\" in relative or "\x00" in relative:
        return None
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", relative):
        return None
    real_root = root.resolve()
    candidate = (real_root / pure).resolve()
    return candidate if candidate.is_relative_to(real_root) else None


def write_text_atomically(path: Path, text: str) -> None:
    """Write beside `path` under a temporary name, then rename: a killed build or a parallel
    writer never leaves a half-written file (the folder is made if need be)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def real_path(path: Path) -> Path:
    """`path.resolve()`, with each folder resolved once: a file is looked at by itself only
    when it is a link (resolving each of a 1,000-clip catalog's files and folders took a
    second). `forget_real_folders` drops what is known, for a new build."""
    if path.name in {"", ".", ".."} or path.is_symlink():
        return path.resolve()
    return _real_folder(path.parent.absolute()) / path.name


@lru_cache(maxsize=256)
def _real_folder(folder: Path) -> Path:
    return folder.resolve()


def forget_real_folders() -> None:
    """Folders may have become links since they were resolved (a long `clipportal serve`)."""
    _real_folder.cache_clear()


def real_root(root: Path) -> Path:
    return _real_folder(root.absolute())


def project_relative(root: Path, path: Path) -> str:
    """A path as the editor sees it in the repository: relative, with forward slashes."""
    try:
        return real_path(path).relative_to(real_root(root)).as_posix()
    except ValueError:
        return path.as_posix()


def is_lfs_pointer(path: Path) -> bool:
    """True for a Git LFS pointer file (a clone made without `git lfs pull`)."""
    try:
        if path.stat().st_size > 1024:
            return False
        with path.open("rb") as handle:
            return handle.read(len(LFS_POINTER_PREFIX)) == LFS_POINTER_PREFIX
    except OSError:
        return False


def is_readable_file(path: Path) -> bool:
    return path.is_file() and os.access(path, os.R_OK)
