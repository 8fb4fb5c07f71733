"""A content-addressed media cache under build/cache/.

Each entry is a directory named by a job key (a hash of the source bytes, the job's settings
and the tool and ffmpeg versions) holding the outputs and a `manifest.json`. Entries are built
in a staging directory and renamed into place only once complete and verified, so a killed
build never leaves an entry a later build would trust. Nothing in a key or manifest is an
absolute path or an mtime: the cache can be restored from CI or shared between machines.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from clipportal.errors import ClipportalError, Problem
from clipportal.media.manifest import Manifest

MANIFEST = "manifest.json"
_HASH_MEMO = "source-hashes.json"


class MediaCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._memo_path = root / _HASH_MEMO
        self._memo: dict[str, str] | None = None

    def entry(self, key: str) -> Path:
        return self.root / key

    def lookup(self, key: str) -> Manifest | None:
        """The manifest of a complete entry, or None (a damaged entry counts as missing)."""
        manifest_path = self.entry(key) / MANIFEST
        try:
            manifest = Manifest.from_json(json.loads(manifest_path.read_text(encoding="utf-8")))
        except (OSError, ValueError):  # ManifestFormatError is a ValueError
            return None
        return manifest if self._files_intact(key, manifest) else None

    def _files_intact(self, key: str, manifest: Manifest) -> bool:
        return all(_size(self.entry(key) / name) == size
                   for name, size in manifest.files.items())

    def stage(self, key: str) -> Path:
        """A fresh, private directory to build the entry `key` in."""
        staging = self.root / ".staging" / f"{key}-{uuid.uuid4().hex[:8]}"
        staging.mkdir(parents=True)
        return staging

    def commit(self, key: str, staging: Path, manifest: Manifest) -> Path:
        """Record file sizes, write the manifest last, then rename the entry into place."""
        files = {p.name: p.stat().st_size for p in sorted(staging.iterdir()) if p.is_file()}
        text = json.dumps(replace(manifest, files=files).to_json(), ensure_ascii=False, indent=1)
        (staging / MANIFEST).write_text(text, encoding="utf-8")
        target = self.entry(key)
        if target.exists():  # a damaged entry (lookup failed) or a concurrent twin
            shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
        return target

    def discard(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def clean_staging(self) -> None:
        """Remove leftovers of killed builds (only ever staged, never trusted)."""
        shutil.rmtree(self.root / ".staging", ignore_errors=True)

    def source_hash(self, path: Path, relative: str) -> str:
        """SHA-256 of a source file, memoised by (path, size, mtime) to skip re-reading large
        files; the memo only saves time, the key itself is the content hash."""
        stat = path.stat()
        memo_key = f"{relative}|{stat.st_size}|{stat.st_mtime_ns}"
        memo = self._load_memo()
        if memo_key not in memo:
            memo[memo_key] = file_sha256(path)
        return memo[memo_key]

    def _load_memo(self) -> dict[str, str]:
        if self._memo is None:
            try:
                loaded = json.loads(self._memo_path.read_text(encoding="utf-8"))
                self._memo = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                self._memo = {}
        return self._memo

    def save_memo(self) -> None:
        if self._memo is None:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        temp = self._memo_path.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp")
        temp.write_text(json.dumps(self._memo, indent=0), encoding="utf-8")
        os.replace(temp, self._memo_path)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def job_key(*parts: Any) -> str:
    """A stable key from JSON-able parts."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@contextlib.contextmanager
def build_lock(build_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the project's build folder, or fail at once with a clear
    message: two builds writing the same outputs would corrupt each other."""
    build_dir.mkdir(parents=True, exist_ok=True)
    with (build_dir / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ClipportalError(Problem(
                "build/", "another clipportal build is running on this project",
                "wait for it to finish, or stop it, then build again")) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
