"""A content-addressed media cache under build/cache/.

Each entry is a directory named by a job key (a hash of the source bytes, the job's settings
and the tool and ffmpeg versions) holding the outputs and a `manifest.json`. Entries are built
in a staging directory and renamed into place only once complete and verified, so a killed
build never leaves an entry a later build would trust. Nothing in a key or manifest is an
absolute path or an mtime: the cache can be restored from CI or shared between machines.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from clipportal.media.lock import try_lock, unlock
from clipportal.media.manifest import MANIFEST_FILE, Manifest
from clipportal.paths import write_text_atomically

MANIFEST = MANIFEST_FILE
_HASH_MEMO = "source-hashes.json"
_KEY_NAME = re.compile(r"[0-9a-f]{32}")


class MediaCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._memo_path = root / _HASH_MEMO
        self._memo: dict[str, str] | None = None
        self._leases: dict[Path, IO[bytes]] = {}

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
        staging.parent.mkdir(parents=True, exist_ok=True)
        self._leases[staging] = _take_lease(staging)
        staging.mkdir()
        return staging

    def _release(self, staging: Path) -> None:
        lease = self._leases.pop(staging, None)
        if lease is not None:
            _lease_path(staging).unlink(missing_ok=True)
            lease.close()

    def commit(self, key: str, staging: Path, manifest: Manifest) -> Path:
        """Record file sizes, write the manifest last, then rename the entry into place."""
        files = {p.name: p.stat().st_size for p in sorted(staging.iterdir()) if p.is_file()}
        text = json.dumps(replace(manifest, files=files).to_json(), ensure_ascii=False, indent=1)
        (staging / MANIFEST).write_text(text, encoding="utf-8")
        try:
            return self._place(key, staging)
        finally:  # only once the folder is an entry or gone: a leftover-sweeper skips it
            self._release(staging)

    def _place(self, key: str, staging: Path) -> Path:
        target = self.entry(key)
        if self.lookup(key) is not None:  # a twin (another worker or build) finished first
            self.discard(staging)
            return target
        if target.exists():  # damaged: set it aside in one rename, never delete in place
            self._set_aside(target)
        try:
            os.replace(staging, target)
        except OSError:  # a twin renamed its entry into place just now: keep the first
            if self.lookup(key) is None:
                raise
            self.discard(staging)
        return target

    def _set_aside(self, target: Path) -> None:
        aside = self.root / f".damaged-{target.name}-{uuid.uuid4().hex[:8]}"
        with contextlib.suppress(OSError):  # a twin set it aside or replaced it already
            os.replace(target, aside)
        shutil.rmtree(aside, ignore_errors=True)

    def discard(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)
        self._release(staging)

    def clean_staging(self) -> None:
        """Remove leftovers of killed builds (only ever staged, never trusted)."""
        shutil.rmtree(self.root / ".staging", ignore_errors=True)

    def clean_leftovers(self, keys: Iterable[str]) -> None:
        """Remove the staging folders of `keys` that no live job holds: what a killed worker
        left behind. A twin job of a concurrent build still holds its lease (the kernel, or the
        NFS server, drops a lease when its process dies), so a shared cache is never wiped."""
        for key in set(keys):
            for leftover in self.root.glob(f".staging/{key}-*"):
                if leftover.is_dir() and _lease_is_free(leftover):
                    shutil.rmtree(leftover, ignore_errors=True)
                    _lease_path(leftover).unlink(missing_ok=True)

    def unused(self, keep: Iterable[str]) -> list[Path]:
        """What a prune may remove: entries no key in `keep` names, damaged entries set aside,
        and staging folders no live job holds. Memo files are small and kept."""
        kept = set(keep)
        entries = [p for p in self._folders(self.root)
                   if _KEY_NAME.fullmatch(p.name) and p.name not in kept]
        damaged = [p for p in self._folders(self.root)
                   if p.name.startswith((".damaged-", ".pruning-"))]
        staged = [p for p in self._folders(self.root / ".staging") if _lease_is_free(p)]
        return sorted(entries) + sorted(damaged) + sorted(staged)

    @staticmethod
    def _folders(parent: Path) -> list[Path]:
        try:
            return [p for p in parent.iterdir() if p.is_dir()]
        except FileNotFoundError:
            return []

    def remove(self, folder: Path) -> None:
        """Delete an entry or leftover `unused` named: renamed aside first, so a reader never
        sees a half-deleted entry it could take for a damaged one."""
        aside = self.root / f".pruning-{folder.name}-{uuid.uuid4().hex[:8]}"
        with contextlib.suppress(OSError):
            os.replace(folder, aside)
            shutil.rmtree(aside, ignore_errors=True)
        _lease_path(folder).unlink(missing_ok=True)

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
        write_text_atomically(self._memo_path, json.dumps(self._memo, indent=0))


def _lease_path(staging: Path) -> Path:
    return staging.with_name(staging.name + ".lease")


def _take_lease(staging: Path) -> IO[bytes]:
    """An exclusive lock held while a job writes `staging`, taken before the folder exists
    (the lease file's name is new, so nobody else can hold it)."""
    handle = _lease_path(staging).open("a+b")
    if not try_lock(handle):
        handle.close()
        raise OSError(f"cannot lock {_lease_path(staging).name}")
    return handle


def _lease_is_free(staging: Path) -> bool:
    try:
        with _lease_path(staging).open("rb") as handle:  # "rb": never create a lease here
            if not try_lock(handle):
                return False
            unlock(handle)
    except FileNotFoundError:
        return True  # released and removed, or never leased: nobody writes here
    return True


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def tree_size(folder: Path) -> int:
    """Bytes of the files under `folder`."""
    return sum(_size(Path(top) / name) for top, _, names in os.walk(folder) for name in names)


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
