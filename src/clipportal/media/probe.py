"""Structured probing with PyAV: stream facts, never a regex over ffmpeg's log.

Every way a file can fail to be a usable video (empty, not media, truncated, no picture)
becomes one `MediaError` naming the clip, in plain words with a fix hint: whatever PyAV
raises on hostile input must not escape as a traceback.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from clipportal.errors import MediaError, Problem

log = logging.getLogger(__name__)

# AVColorTransferCharacteristic values of HDR transfers (PQ and HLG); PyAV reports numbers.
HDR_TRANSFERS = {16: "smpte2084", 18: "arib-std-b67"}
# Still-image codecs: a video stream in one of these beside a real video is cover art even
# when the container lost the attached-picture flag (e.g. a PNG track in Matroska).
IMAGE_CODECS = {"png", "bmp", "tiff", "webp", "gif", "jpegls", "qoi"}
# Silence measures about -70 LUFS (the absolute gate); nothing to normalise.
SILENCE_LUFS = -69.0
REEXPORT = "export the clip again from the camera, phone or editing program as MP4 (H.264/AAC)"
UNREADABLE = ("cannot be read as a video: the file is damaged, incomplete, or not a video "
              "that ffmpeg can read")
INCOMPLETE = ("the file is incomplete; copy or export it again and check that the copy "
              "or upload finished")


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
    pix_fmt: str = ""
    profile: str = ""
    bit_depth: int = 8
    transfer: int = 2
    """AVColorTransferCharacteristic (2: unspecified)."""
    duration: float = math.nan
    """Seconds of picture (the sound may run longer); NaN when the container does not say."""

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown: square pixels, rotation applied."""
        width = round(self.coded_width * float(self.sar)) if self.sar > 0 else self.coded_width
        height = self.coded_height
        return (height, width) if self.rotation % 180 else (width, height)


@dataclass(frozen=True)
class AudioFacts:
    index: int
    """Index among the file's audio streams (for `-map 0:a:N`)."""
    codec: str
    channels: int
    sample_rate: int
    profile: str = ""
    layout: str = ""


@dataclass(frozen=True)
class MediaFacts:
    duration: float
    video: VideoFacts | None
    audio: AudioFacts | None
    size_bytes: int
    format_name: str


@dataclass(frozen=True)
class Loudness:
    """EBU R128 measurement of the stereo, 48 kHz mix the renditions will carry."""

    integrated: float
    """Integrated loudness, LUFS."""
    true_peak: float
    """True peak, dBTP."""


def probe(path: Path, source: str) -> MediaFacts:
    """Facts about a media file; MediaError naming `source` when it is not readable media."""
    size = _file_size(path, source)
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            facts = _facts(container, size)
            _check_complete(container, size, source, facts.duration)
            return facts
    except MediaError:
        raise
    except Exception:  # PyAV raises many types on hostile input; the detail is for --verbose
        log.debug("probing %s failed", source, exc_info=True)
        raise MediaError(Problem(source, UNREADABLE, REEXPORT)) from None


def _file_size(path: Path, source: str) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        log.debug("reading %s failed", source, exc_info=True)
        raise MediaError(Problem(source, f"cannot read the file ({exc.strerror or 'no access'})",
                                 "check that the file exists and is readable")) from None
    if size == 0:
        raise MediaError(Problem(source, "the file is empty (0 bytes)", INCOMPLETE))
    return size


def _facts(container: Any, size: int) -> MediaFacts:
    video = _best_video(container)
    audio = _first_audio(container)
    return MediaFacts(_duration(container), video, audio, size, str(container.format.name))


def _best_video(container: Any) -> VideoFacts | None:
    """The first real video stream: not an attached picture (cover art), and not a still
    image when a moving picture is also there."""
    candidates = [(i, s) for i, s in enumerate(container.streams.video) if not _is_cover(s)]
    moving = [(i, s) for i, s in candidates if s.codec_context.name not in IMAGE_CODECS]
    for index, stream in moving or candidates:
        return _video_facts(index, stream, container)
    return None


def _is_cover(stream: Any) -> bool:
    flags = av.stream.Disposition
    return bool(stream.disposition & (flags.attached_pic | flags.still_image
                                      | flags.timed_thumbnails))


def _video_facts(index: int, stream: Any, container: Any) -> VideoFacts:
    ctx = stream.codec_context
    frame = _first_frame(stream, container)
    transfer = _transfer(ctx, frame)
    return VideoFacts(
        index=index, codec=str(ctx.name), coded_width=int(ctx.width or 0),
        coded_height=int(ctx.height or 0), sar=_sar(stream), rotation=_rotation(frame),
        fps=_nominal_rate(stream),
        interlaced=bool(frame is not None and frame.interlaced_frame) or _field_order(ctx) >= 2,
        hdr=transfer in HDR_TRANSFERS, pix_fmt=str(ctx.pix_fmt or ""),
        profile=str(ctx.profile or ""), bit_depth=_bit_depth(ctx, frame), transfer=transfer,
        duration=float(stream.duration * stream.time_base)
        if stream.duration and stream.time_base else math.nan,
    )


def _nominal_rate(stream: Any) -> float:
    """The rate the clip was shot at. For variable frame rate the average undercounts (a
    phone dropping frames, a screen recording idling), so the base rate (the rate all
    timestamps fit) wins when it is plausible: a camera rate, not a timebase like 1000."""
    average = float(stream.average_rate or 0)
    base = float(stream.base_rate or stream.guessed_rate or 0)
    if 1 < base <= 120 and base >= average * 0.95:
        return base
    return average or base


def _sar(stream: Any) -> Fraction:
    """The sample aspect ratio ffmpeg will use: the container's if set, else the codec's."""
    for value in (stream.sample_aspect_ratio, stream.codec_context.sample_aspect_ratio):
        if value and value > 0:
            return Fraction(value)
    return Fraction(1)


def _first_frame(stream: Any, container: Any) -> Any | None:
    """The first decodable frame: rotation (display matrix), interlacing and colour live on
    frames. A stream that decodes nothing is caught later, by the encode and its checks."""
    try:
        for frame in container.decode(stream):
            return frame
    except (av.error.FFmpegError, ValueError):
        return None
    return None


def _rotation(frame: Any | None) -> int:
    degrees = float(getattr(frame, "rotation", 0) or 0)
    return int(round(degrees / 90) * 90) % 360


def _field_order(ctx: Any) -> int:
    """AVFieldOrder: 0 unknown, 1 progressive, 2 and above interlaced."""
    value = getattr(ctx, "field_order", 0)
    return int(value) if isinstance(value, int) else 0


def _transfer(ctx: Any, frame: Any | None) -> int:
    for value in (getattr(frame, "color_trc", None), getattr(ctx, "color_trc", None)):
        if isinstance(value, int) and value not in (0, 2):
            return value
    return 2


def _bit_depth(ctx: Any, frame: Any | None) -> int:
    try:
        fmt = frame.format if frame is not None else ctx.format
        return int(fmt.components[0].bits)
    except (AttributeError, IndexError, TypeError, ValueError):
        return 8


def _first_audio(container: Any) -> AudioFacts | None:
    """The first audio stream that has channels (a declared 0-channel stream is no audio)."""
    for index, stream in enumerate(container.streams.audio):
        ctx = stream.codec_context
        channels = int(getattr(ctx, "channels", 0) or 0)
        if channels > 0 and int(ctx.sample_rate or 0) > 0:
            layout = getattr(getattr(ctx, "layout", None), "name", "")
            return AudioFacts(index, str(ctx.name), channels, int(ctx.sample_rate),
                              str(ctx.profile or ""), str(layout or ""))
    return None


def _duration(container: Any) -> float:
    if container.duration:
        return float(container.duration) / 1_000_000
    streams = list(container.streams.video) + list(container.streams.audio)
    times = [float(s.duration * s.time_base) for s in streams if s.duration and s.time_base]
    return max(times, default=math.nan)


def _check_complete(container: Any, size: int, source: str, duration: float) -> None:
    """Refuse files that lack picture or are cut short, before any encoding is spent."""
    name = str(container.format.name)
    if name == "image2" or name.endswith("_pipe"):  # a photo renamed to .mp4 is not a clip
        raise MediaError(Problem(source, "this is a still picture, not a video", REEXPORT))
    if not container.streams.video and not container.streams.audio:
        raise MediaError(Problem(source, "the file contains no video or sound streams",
                                 REEXPORT))
    present = _indexed_seconds_present(container, size)
    if present is None:
        present = _tail_seconds_present(container, duration)
    if present is not None and math.isfinite(duration) and present < duration - 0.5:
        raise MediaError(Problem(source, f"the file is cut short: only {present:.1f} s of its "
                                 f"{duration:.1f} s are in it", INCOMPLETE))


def _indexed_seconds_present(container: Any, size: int) -> float | None:
    """For containers with a full sample index (MP4/MOV), the time up to which the indexed
    samples are actually in the file; None when there is no such index."""
    best: float | None = None
    for stream in list(container.streams.video) + list(container.streams.audio):
        entries = stream.index_entries
        if len(entries) < 2 or not all(e.size > 0 for e in (entries[0], entries[-1])):
            continue
        if entries[-1].pos + entries[-1].size <= size:
            continue
        inside = [e.timestamp for e in entries if e.pos + e.size <= size]
        start = stream.start_time or 0
        seconds = float((max(inside, default=start) - start) * stream.time_base)
        best = seconds if best is None else min(best, seconds)
    return best


def _tail_seconds_present(container: Any, duration: float) -> float | None:
    """For Matroska/WebM, whose header states the duration before the media (so an
    interrupted copy still claims all of it) and whose index is at the end: how far the
    packets near the stated end actually go. None when that cannot be told."""
    if not str(container.format.name).startswith("matroska") or not math.isfinite(duration):
        return None
    try:
        container.seek(int(max(0.0, duration - 1.5) * av.time_base), backward=True)
        ends = [_packet_end(packet) for packet in container.demux()]
    except (av.error.FFmpegError, ValueError):
        return None
    known = [end for end in ends if end is not None]
    return max(known) if known else None


def _packet_end(packet: Any) -> float | None:
    if packet.pts is None or packet.time_base is None:
        return None
    start = packet.stream.start_time or 0
    return float((packet.pts + (packet.duration or 0) - start) * packet.time_base)


def measure_loudness(path: Path, source: str, audio_index: int) -> Loudness | None:
    """EBU R128 loudness of audio stream `audio_index` as the renditions will carry it
    (48 kHz stereo), measured in-process with libavfilter's ebur128; None for silence."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            stream = container.streams.audio[audio_index]
            for other in container.streams:
                if other.index != stream.index:  # skip reading video data we do not need
                    other.discard = av.stream.Discard.all
            metadata = _ebur128(container, stream)
    except Exception:  # PyAV raises many types on hostile input; the detail is for --verbose
        log.debug("measuring loudness of %s failed", source, exc_info=True)
        raise MediaError(Problem(source, "the sound cannot be decoded: the file is damaged "
                                 "or its sound is in a format ffmpeg cannot read",
                                 REEXPORT)) from None
    return _loudness(metadata)


def _ebur128(container: Any, stream: Any) -> dict[str, str]:
    graph = av.filter.Graph()
    nodes = [graph.add_abuffer(template=stream), graph.add("aresample", "48000"),
             graph.add("aformat", "sample_fmts=fltp:channel_layouts=stereo"),
             graph.add("ebur128", "metadata=1:peak=true"), graph.add("abuffersink")]
    graph.link_nodes(*nodes).configure()
    last: dict[str, str] = {}
    for frame in _decoded(container, stream):
        graph.push(frame)
        last = _drain(graph, last)
    graph.push(None)
    return _drain(graph, last)


def _decoded(container: Any, stream: Any) -> Iterator[Any]:
    """Frames of `stream`, skipping packets that fail to decode (as ffmpeg itself does)."""
    for packet in container.demux(stream):
        try:
            yield from packet.decode()
        except av.error.InvalidDataError:
            continue


def _drain(graph: Any, last: dict[str, str]) -> dict[str, str]:
    while True:
        try:
            frame = graph.pull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return last
        last = dict(frame.metadata) or last


def _loudness(metadata: dict[str, str]) -> Loudness | None:
    try:
        integrated = float(metadata["lavfi.r128.I"])
        peak = float(metadata.get("lavfi.r128.true_peak", "1"))
    except (KeyError, ValueError):
        return None
    if not math.isfinite(integrated) or integrated < SILENCE_LUFS:
        return None
    # ebur128 reports the true peak as a linear amplitude
    return Loudness(integrated, 20 * math.log10(peak) if peak > 0 else -70.0)
