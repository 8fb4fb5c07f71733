"""The one module that runs ffmpeg: finding the binary, running it with progress, and turning
a failure into an error that names the clip and shows ffmpeg's last lines."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from clipportal.errors import MediaError, Problem, ToolMissingError
from clipportal.paths import write_text_atomically

log = logging.getLogger(__name__)
ProgressCallback = Callable[[float], None]
"""Called with the seconds of output written so far."""
VERSION_MEMO = "ffmpeg-version.json"
_MEMO_LOCK = threading.Lock()
LOG_NOISE = ("deprecated pixel format", "Last message repeated", "Falling back to a default",
             "Frame rate very high", "Please consider specifying a lower framerate")


@functools.cache
def ffmpeg_exe() -> str:
    """A system `ffmpeg` on PATH wins (or $CLIPPORTAL_FFMPEG); else the one imageio-ffmpeg ships."""
    override = os.environ.get("CLIPPORTAL_FFMPEG")
    if override:
        return override
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as exc:
        raise ToolMissingError(Problem(
            "ffmpeg", "'ffmpeg' not found",
            "install it (apt-get install ffmpeg) or `pip install imageio-ffmpeg`")) from exc


@functools.cache
def ffmpeg_version(memo_dir: Path | None = None) -> str:
    """The first line of `ffmpeg -version`; part of every cache key.

    With `memo_dir` (the cache folder) the answer is remembered per binary (see `_identity`:
    path, size and a hash of its ends), so a rebuild with nothing to do starts no ffmpeg
    process at all. The memo only saves time: keys hold the version text, never a path."""
    exe = ffmpeg_exe()
    if memo_dir is None:
        return _version_of(exe)
    with _MEMO_LOCK:  # parallel jobs of one build ask at once: ask ffmpeg only once
        memo_path = memo_dir / VERSION_MEMO
        memo = _read_memo(memo_path)
        identity = _identity(exe)
        if identity not in memo:
            memo[identity] = _version_of(exe)
            _write_memo(memo_path, memo)
        return memo[identity]


def _version_of(exe: str) -> str:
    try:
        result = subprocess.run([exe, "-hide_banner", "-version"], capture_output=True,
                                text=True, check=False)
    except OSError as exc:
        raise _cannot_run(exe, exc) from None
    return result.stdout.splitlines()[0].strip() if result.stdout else "unknown"


def _cannot_run(exe: str, exc: OSError) -> ToolMissingError:
    return ToolMissingError(Problem(
        "ffmpeg", f"cannot run '{exe}' ({exc.strerror or 'it cannot be started'})",
        "install ffmpeg (apt-get install ffmpeg) or `pip install imageio-ffmpeg`, and check "
        "CLIPPORTAL_FFMPEG if it is set"))


def _identity(exe: str) -> str:
    """Which ffmpeg this is, without running it: path, size and a hash of its first and last
    megabyte. No mtime, so a restored CI cache on a fresh install still matches (and starts
    no ffmpeg at all); a different build differs in size or bytes."""
    path = Path(shutil.which(exe) or exe).resolve()
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(1 << 20)
            handle.seek(max(0, size - (1 << 20)))
            tail = handle.read()
    except OSError:
        return str(path)
    return f"{path}|{size}|{hashlib.sha256(head + tail).hexdigest()[:16]}"


def _read_memo(path: Path) -> dict[str, str]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def _write_memo(path: Path, memo: dict[str, str]) -> None:
    """Atomic, so parallel jobs and killed builds never leave a half-written memo."""
    try:
        write_text_atomically(path, json.dumps(memo, indent=0))
    except OSError:
        log.debug("cannot write %s", path, exc_info=True)


@functools.cache
def has_filter(name: str) -> bool:
    """Whether this ffmpeg build has the filter `name` (e.g. zscale, for HDR tone mapping)."""
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-filters"], capture_output=True,
                            text=True, check=False)
    return any(line.split()[1:2] == [name] for line in result.stdout.splitlines())


def run_ffmpeg(args: Sequence[str], clip_source: str,
               progress: ProgressCallback | None = None) -> str:
    """Run ffmpeg with `args` (everything after the binary) and return the last lines it
    printed (warnings and errors: an exit code of 0 is not proof of a good output). On
    failure raise MediaError naming `clip_source` with those lines (the caller writes into a
    staging folder it removes)."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-nostats", "-loglevel",
               "warning", "-progress", "pipe:1", *args]
    log.debug("running %s", " ".join(command))
    with tempfile.TemporaryFile() as stderr:
        code = _run_with_progress(command, stderr, progress)
        stderr.seek(0)
        tail = last_lines(stderr.read()[-6000:].decode("utf-8", "replace"))
    if code != 0:
        raise MediaError(Problem(clip_source, f"ffmpeg could not convert the video (exit {code}"
                                 f"): {tail}", "check that the file is a complete, playable "
                                 "video; export it again as MP4 (H.264/AAC)"))
    return tail


def _run_with_progress(command: list[str], stderr: IO[bytes],
                       progress: ProgressCallback | None) -> int:
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr,
                                   stdin=subprocess.DEVNULL, text=True)
    except OSError as exc:
        raise _cannot_run(command[0], exc) from None
    assert process.stdout is not None
    try:
        for line in process.stdout:
            key, _, value = line.strip().partition("=")
            if progress and key == "out_time_us" and value.isdigit():
                progress(int(value) / 1_000_000)
        return process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise


def last_lines(text: str, count: int = 4) -> str:
    """The last `count` meaningful lines of ffmpeg's log, joined on one line (lines that
    never explain a failure, like ffmpeg 5.1's JPEG pixel-format notice, are left out)."""
    lines = [ln.strip() for ln in text.splitlines()
             if ln.strip() and not any(noise in ln for noise in LOG_NOISE)]
    return " | ".join(lines[-count:]) or "no output"
