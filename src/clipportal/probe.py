"""Structured probing with PyAV: stream facts, never a regex over ffmpeg's log."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from clipportal.errors import MediaError, Problem

HDR_TRANSFERS = {"smpte2084", "arib-std-b67"}


@dataclass(frozen=True)
class VideoFacts:
    index: int
    """Index among the file's video streams (for `-map 0:v:N`)."""
    codec: str
    coded_width: int
    coded_height: int
    sar: Fraction
    rotation: int
    """Display rotation in degrees, a multiple of 90."""
    fps: float
    interlaced: bool
    hdr: bool

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown: square pixels, rotation applied."""
        width = round(self.coded_width * float(self.sar)) if self.sar > 0 else self.coded_width
        height = self.coded_height
        return (height, width) if self.rotation % 180 else (width, height)


@dataclass(frozen=True)
class AudioFacts:
    index: int
    codec: str
    channels: int
    sample_rate: int


@dataclass(frozen=True)
class MediaFacts:
    duration: float
    video: VideoFacts | None
    audio: AudioFacts | None
    size_bytes: int
    format_name: str


def probe(path: Path, source: str) -> MediaFacts:
    """Facts about a media file; MediaError naming `source` when it is not readable media."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            return _facts(container, path)
    except MediaError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise MediaError(Problem(source, f"not a readable video file ({_reason(exc)})",
                                 "export the clip again as MP4 (H.264/AAC) or MOV")) from exc


def _reason(exc: Exception) -> str:
    return str(exc).split(": '")[0][:200] or type(exc).__name__


def _facts(container: Any, path: Path) -> MediaFacts:
    video = _first_real_video(container)
    audio = _first_audio(container)
    return MediaFacts(_duration(container, video), video, audio, path.stat().st_size,
                      str(container.format.name))


def _first_real_video(container: Any) -> VideoFacts | None:
    """The first video stream that is not an attached picture (cover art)."""
    for index, stream in enumerate(container.streams.video):
        if stream.disposition & av.stream.Disposition.attached_pic:
            continue
        return _video_facts(index, stream, container)
    return None


def _video_facts(index: int, stream: Any, container: Any) -> VideoFacts:
    ctx = stream.codec_context
    rate = stream.average_rate or stream.guessed_rate or 0
    rotation, interlaced_frame = _first_frame_facts(stream, container)
    return VideoFacts(
        index=index, codec=str(ctx.name), coded_width=int(ctx.width or 0),
        coded_height=int(ctx.height or 0), sar=Fraction(ctx.sample_aspect_ratio or 1),
        rotation=rotation, fps=float(rate),
        interlaced=interlaced_frame or _field_order(stream) >= 2,
        hdr=_color_trc(stream) in HDR_TRANSFERS,
    )


def _first_frame_facts(stream: Any, container: Any) -> tuple[int, bool]:
    """Display rotation (display matrix side data) and interlacing, from the first frame."""
    try:
        for frame in container.decode(stream):
            rotation = int(round(-float(getattr(frame, "rotation", 0) or 0) / 90) * 90) % 360
            return rotation, bool(getattr(frame, "interlaced_frame", False))
    except (av.error.FFmpegError, ValueError):
        return 0, False
    return 0, False


def _field_order(stream: Any) -> int:
    """AVFieldOrder: 0 unknown, 1 progressive, 2 and above interlaced."""
    value = getattr(stream.codec_context, "field_order", 0)
    return value if isinstance(value, int) else 0


def _color_trc(stream: Any) -> str:
    value = getattr(stream.codec_context, "color_trc", None)
    return str(getattr(value, "name", value) or "").lower().replace("_", "-")


def _first_audio(container: Any) -> AudioFacts | None:
    """The first audio stream that has channels (a declared 0-channel stream is no audio)."""
    for index, stream in enumerate(container.streams.audio):
        channels = int(getattr(stream.codec_context, "channels", 0) or 0)
        if channels > 0:
            return AudioFacts(index, str(stream.codec_context.name), channels,
                              int(stream.codec_context.sample_rate or 0))
    return None


def _duration(container: Any, video: VideoFacts | None) -> float:
    if container.duration:
        return float(container.duration) / 1_000_000
    streams = list(container.streams.video) + list(container.streams.audio)
    times = [float(s.duration * s.time_base) for s in streams if s.duration and s.time_base]
    return max(times, default=math.nan)
