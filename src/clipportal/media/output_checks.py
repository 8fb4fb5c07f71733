"""Verify what ffmpeg wrote: an exit code of 0 is not proof (a truncated source can become a
262-byte MP4). Each rendition is probed for codec, profile, pixel format, size, orientation,
audio and duration, and checked to have its index (moov) before the media data so phones can
start playing at once; every still is decoded back at its expected size."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import TYPE_CHECKING

import av

from clipportal.errors import MediaError, Problem
from clipportal.media.probe import MediaFacts, probe

if TYPE_CHECKING:
    from clipportal.media.jobs import Plan

# 8-bit 4:2:0 H.264 profiles every phone decodes (x264's ultrafast preset gives Constrained
# Baseline even when High is asked for; High 10 or 4:2:2 would not play)
PHONE_PROFILES = {"Constrained Baseline", "Baseline", "Main", "High"}
MIN_STILL_BYTES = 1
"""Any size: a black WebP is under 100 bytes; a still is proven by decoding it back."""
MIN_RENDITION_BYTES = 1024


def duration_tolerance(duration: float) -> float:
    return max(0.5, 0.02 * duration)


def verify_outputs(source: str, folder: Path, facts: MediaFacts, plan: Plan,
                   ffmpeg_said: str = "") -> None:
    """Raise MediaError naming `source` when any output is missing or wrong; `ffmpeg_said`
    (the last lines of its log) goes into the message, as it usually names the cause."""
    problems = [p for rung, w, h in plan.renditions
                for p in _check_rendition(folder / f"{rung.name}.mp4", w, h, facts, plan)]
    problems += [p for name, w, h in _stills(plan) for p in _check_still(folder / name, w, h)]
    if _size(folder / "storyboard.jpg") < MIN_STILL_BYTES:
        problems.append("storyboard.jpg is missing or empty")
    if problems:
        said = f" (ffmpeg said: {ffmpeg_said})" if ffmpeg_said and ffmpeg_said != "no output" \
            else ""
        raise MediaError(Problem(source, "the converted video is wrong: " + "; ".join(problems)
                                 + said, "the source may be truncated or damaged; export or "
                                 "copy it again and check that it plays to the end"))


def _stills(plan: Plan) -> list[tuple[str, int, int]]:
    stills = [(f"poster-{w}.{ext}", w, h) for w, h in plan.poster_sizes for ext in ("jpg", "webp")]
    width, height = plan.chapter_size
    stills += [(f"chapter-{i}.{ext}", width, height) for i in range(1, len(plan.chapters) + 1)
               for ext in ("jpg", "webp")]
    return stills


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def _check_still(path: Path, width: int, height: int) -> list[str]:
    if _size(path) < MIN_STILL_BYTES:
        return [f"{path.name} is missing or empty"]
    size = image_size(path)
    if size != (width, height):
        return [f"{path.name} is {size[0]}×{size[1]}, expected {width}×{height}" if size
                else f"{path.name} cannot be decoded"]
    return []


def image_size(path: Path) -> tuple[int, int] | None:
    """Width and height of a decoded still (JPEG, WebP), or None when it does not decode."""
    try:
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0))
            return int(frame.width), int(frame.height)
    except Exception:  # any failure to decode means a bad still
        return None


def _check_rendition(path: Path, width: int, height: int, facts: MediaFacts,
                     plan: Plan) -> list[str]:
    name = path.name
    if _size(path) < MIN_RENDITION_BYTES:
        return [f"{name} is missing or nearly empty ({_size(path)} bytes)"]
    try:
        out = probe(path, name)
    except MediaError:
        return [f"{name} cannot be read back"]
    problems = _video_problems(name, out, width, height) + _audio_problems(name, out, plan)
    if abs(out.duration - facts.duration) > duration_tolerance(facts.duration):
        problems.append(f"{name} lasts {out.duration:.1f} s, the source {facts.duration:.1f} s")
    if not moov_before_mdat(path):
        problems.append(f"{name} has its index at the end (not fast-start)")
    return problems


def _video_problems(name: str, out: MediaFacts, width: int, height: int) -> list[str]:
    video = out.video
    if video is None or video.codec != "h264":
        return [f"{name} has no H.264 video"]
    problems = []
    if (video.coded_width, video.coded_height) != (width, height) or video.rotation:
        problems.append(f"{name} is {video.coded_width}×{video.coded_height} rotated "
                        f"{video.rotation}°, expected {width}×{height} upright")
    if video.pix_fmt != "yuv420p" or video.profile not in PHONE_PROFILES:
        problems.append(f"{name} is H.264 {video.profile} {video.pix_fmt}, expected 8-bit "
                        "4:2:0 (what every phone decodes)")
    return problems


def _audio_problems(name: str, out: MediaFacts, plan: Plan) -> list[str]:
    audio = out.audio
    if not plan.has_audio:
        return [f"{name} has a sound track the source does not have"] if audio else []
    if audio is None or audio.codec != "aac" or audio.channels != 2 or audio.profile != "LC":
        return [f"{name} lacks stereo AAC-LC sound"]
    return []


def moov_before_mdat(path: Path) -> bool:
    """True when the MP4's top-level `moov` box comes before `mdat` (or a fragment)."""
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
            if kind in (b"mdat", b"moof"):
                return False
            if size == 1:
                size = struct.unpack(">Q", header[8:16])[0]
            if size < 8:
                return False
            offset += size
