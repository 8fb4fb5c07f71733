"""Verify what ffmpeg wrote: an exit code of 0 is not proof (a truncated source can become a
262-byte MP4). Each rendition is probed for codec, size, audio and duration, and checked to
have its index (moov) before the media data so phones can start playing at once."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import TYPE_CHECKING

from clipportal.errors import MediaError, Problem
from clipportal.probe import MediaFacts, probe

if TYPE_CHECKING:
    from clipportal.media import Plan

MIN_STILL_BYTES = 200


def duration_tolerance(duration: float) -> float:
    return max(0.5, 0.02 * duration)


def verify_outputs(source: str, folder: Path, facts: MediaFacts, plan: Plan) -> None:
    """Raise MediaError naming `source` when any output is missing or wrong."""
    problems = [p for rung, w, h in plan.renditions
                for p in _check_rendition(folder / f"{rung.name}.mp4", w, h, facts, plan)]
    problems += [f"{name} is missing or empty" for w, _ in plan.poster_sizes
                 for name in (f"poster-{w}.jpg", f"poster-{w}.webp")
                 if _size(folder / name) < MIN_STILL_BYTES]
    if problems:
        raise MediaError(Problem(source, "the encoded output is wrong: " + "; ".join(problems),
                                 "the source may be truncated or damaged; export it again"))


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def _check_rendition(path: Path, width: int, height: int, facts: MediaFacts,
                     plan: Plan) -> list[str]:
    name = path.name
    if _size(path) < 1024:
        return [f"{name} is missing or nearly empty ({_size(path)} bytes)"]
    try:
        out = probe(path, name)
    except MediaError:
        return [f"{name} cannot be read back"]
    problems = _stream_problems(name, out, width, height, plan.has_audio)
    if abs(out.duration - facts.duration) > duration_tolerance(facts.duration):
        problems.append(f"{name} lasts {out.duration:.2f} s, the source {facts.duration:.2f} s")
    if not moov_before_mdat(path):
        problems.append(f"{name} has its index at the end (not fast-start)")
    return problems


def _stream_problems(name: str, out: MediaFacts, width: int, height: int,
                     has_audio: bool) -> list[str]:
    video = out.video
    if video is None or video.codec != "h264":
        return [f"{name} has no H.264 video"]
    problems = []
    if (video.coded_width, video.coded_height) != (width, height):
        problems.append(f"{name} is {video.coded_width}×{video.coded_height}, "
                        f"expected {width}×{height}")
    if has_audio and (out.audio is None or out.audio.codec != "aac" or out.audio.channels != 2):
        problems.append(f"{name} lacks stereo AAC audio")
    return problems


def moov_before_mdat(path: Path) -> bool:
    """True when the MP4's top-level `moov` box comes before `mdat`."""
    with path.open("rb") as handle:
        offset = 0
        while True:
            handle.seek(offset)
            header = handle.read(16)
            if len(header) < 8:
                return False
            size, kind = struct.unpack(">I4s", header[:8])
            if kind == b"moov":
                return True
            if kind == b"mdat":
                return False
            if size == 1:
                size = struct.unpack(">Q", header[8:16])[0]
            if size < 8:
                return False
            offset += size
