"""The one module that runs ffmpeg: finding the binary, running it with progress, and turning
a failure into an error that names the clip and shows ffmpeg's last lines."""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from clipportal.errors import MediaError, Problem, ToolMissingError

log = logging.getLogger(__name__)
ProgressCallback = Callable[[float], None]
"""Called with the seconds of output written so far."""


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
def ffmpeg_version() -> str:
    """The first line of `ffmpeg -version`; part of every cache key."""
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-version"], capture_output=True,
                            text=True, check=False)
    return result.stdout.splitlines()[0].strip() if result.stdout else "unknown"


def run_ffmpeg(args: Sequence[str], clip_source: str, progress: ProgressCallback | None = None,
               outputs: Sequence[Path] = ()) -> None:
    """Run ffmpeg with `args` (everything after the binary); on failure delete `outputs` and
    raise MediaError naming `clip_source` with the last lines ffmpeg printed."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-nostats",
               "-progress", "pipe:1", *args]
    log.debug("running %s", " ".join(command))
    with tempfile.TemporaryFile() as stderr:
        code = _run_with_progress(command, stderr, progress)
        stderr.seek(0)
        tail = stderr.read()[-6000:].decode("utf-8", "replace")
    if code != 0:
        _remove(outputs)
        raise MediaError(Problem(clip_source, f"ffmpeg failed (exit {code}): {_last_lines(tail)}",
                                 "check that the file is a complete, playable video"))


def _run_with_progress(command: list[str], stderr: object,
                       progress: ProgressCallback | None) -> int:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr,  # type: ignore[arg-type]
                               stdin=subprocess.DEVNULL, text=True)
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


def _last_lines(text: str, count: int = 4) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return " | ".join(lines[-count:]) or "no output"


def _remove(paths: Sequence[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
