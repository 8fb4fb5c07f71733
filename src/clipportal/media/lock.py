"""Portable file locks: one build at a time per project (`build/.lock`), and the leases that
mark a cache staging folder as being written (media/cache.py).

The platform's locking module (`fcntl` on POSIX, `msvcrt` on Windows) is imported inside the
functions, never at import time: `fcntl` does not exist on Windows, where most editors run
`clipportal check`, and importing this module must not fail there."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from clipportal.errors import ClipportalError, Problem


@contextlib.contextmanager
def build_lock(build_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the project's build folder, or fail at once with a clear
    message: two builds writing the same outputs would corrupt each other."""
    build_dir.mkdir(parents=True, exist_ok=True)
    with (build_dir / ".lock").open("a+b") as handle:
        if not try_lock(handle):
            raise ClipportalError(Problem(
                "build/", "another clipportal build is running on this project",
                "wait for it to finish, or stop it, then build again"))
        try:
            yield
        finally:
            unlock(handle)


def try_lock(handle: IO[bytes]) -> bool:
    """Take the lock without waiting; False when another process holds it."""
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)  # msvcrt locks a byte range from the current position
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:  # the byte is locked by another process
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def unlock(handle: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle, fcntl.LOCK_UN)
