"""Optional HLS over the rendition ladder, without a second copy of the video.

With `hls: true` each rendition is written by ffmpeg's HLS muxer as *one* fragmented MP4
(`-hls_flags single_file`, a fragment per fixed GOP) plus a media playlist that addresses the
fragments by byte range. That same `<rung>.mp4` is the progressive `<source>` for browsers
without HLS (Chromium plays and seeks fragmented MP4 like any MP4), so storage stays ~1.0×
the MP4-only ladder instead of 2× for separate segments. This module gives the muxer options
and, after the pass, checks the media playlists and writes the master playlist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

from clipportal.errors import MediaError, Problem
from clipportal.media.manifest import Hls, Manifest, Rendition
from clipportal.media.output_checks import duration_tolerance

MASTER = "master.m3u8"
AAC_LC = "mp4a.40.2"
_EXTINF = re.compile(r"#EXTINF:([0-9.]+)")
_BYTERANGE = re.compile(r"#EXT-X-BYTERANGE:(\d+)@(\d+)")


def muxer_options(folder: Path, name: str, gop_seconds: float) -> tuple[Path, dict[str, Any]]:
    """The output path (the media playlist) and the options that make ffmpeg write the
    rendition as `<name>.mp4`, one fragment per GOP, addressed by byte ranges."""
    return folder / f"{name}.m3u8", {
        "f": "hls", "hls_time": f"{gop_seconds:g}", "hls_playlist_type": "vod",
        "hls_segment_type": "fmp4", "hls_flags": "single_file+independent_segments",
        "hls_segment_filename": str(folder / f"{name}.mp4"),
    }


@dataclass(frozen=True)
class MediaPlaylist:
    name: str
    durations: tuple[float, ...]
    sizes: tuple[int, ...]
    end: int
    """One past the last byte any segment uses."""

    @property
    def peak_bps(self) -> int:
        return max((round(s * 8 / d) for s, d in zip(self.sizes, self.durations, strict=True)
                    if d > 0), default=0)

    @property
    def average_bps(self) -> int:
        total = sum(self.durations)
        return round(sum(self.sizes) * 8 / total) if total > 0 else 0


def read_playlist(path: Path) -> MediaPlaylist:
    """Segment durations and byte ranges of a media playlist ffmpeg wrote."""
    durations: list[float] = []
    sizes: list[int] = []
    end = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := _EXTINF.match(line):
            durations.append(float(match.group(1)))
        elif match := _BYTERANGE.match(line):
            size, offset = int(match.group(1)), int(match.group(2))
            sizes.append(size)
            end = max(end, offset + size)
    return MediaPlaylist(path.stem, tuple(durations), tuple(sizes), end)


def write_hls(folder: Path, manifest: Manifest, gop_seconds: float, clip: str) -> Hls:
    """Check every media playlist against its file and the clip's duration, then write the
    master playlist (smallest rendition first: phones start on it and step up)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    problems: list[str] = []
    for rendition in manifest.renditions:
        playlist = read_playlist(folder / f"{rendition.name}.m3u8")
        problems += _playlist_problems(playlist, folder / rendition.file,
                                       manifest.duration, gop_seconds)
        lines += [_stream_inf(playlist, rendition, manifest, folder), f"{playlist.name}.m3u8"]
    if problems:
        raise MediaError(Problem(clip, "the HLS playlists are wrong: " + "; ".join(problems),
                                 "build again; if it persists, turn `hls` off in mkdocs.yml"))
    (folder / MASTER).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Hls(MASTER, tuple(f"{r.name}.m3u8" for r in manifest.renditions))


def _playlist_problems(playlist: MediaPlaylist, media: Path, duration: float,
                       gop_seconds: float) -> list[str]:
    name = f"{playlist.name}.m3u8"
    if not playlist.durations or len(playlist.durations) != len(playlist.sizes):
        return [f"{name} lists no byte-range segments"]
    problems = []
    if playlist.end > media.stat().st_size:
        problems.append(f"{name} points past the end of {media.name}")
    if abs(sum(playlist.durations) - duration) > duration_tolerance(duration):
        problems.append(f"{name} lasts {sum(playlist.durations):.1f} s, the clip {duration:.1f} s")
    if max(playlist.durations) > gop_seconds * 1.5 + 0.1:
        problems.append(f"{name} has a {max(playlist.durations):.1f} s segment (GOP "
                        f"{gop_seconds:g} s)")
    return problems


def _stream_inf(playlist: MediaPlaylist, rendition: Rendition, manifest: Manifest,
                folder: Path) -> str:
    codecs = [avc1_codec(folder / rendition.file)]
    codecs += [AAC_LC] if manifest.has_audio else []
    fps = manifest.fps
    rate = f",FRAME-RATE={fps:.3f}" if fps > 0 else ""
    return (f"#EXT-X-STREAM-INF:BANDWIDTH={playlist.peak_bps},"
            f"AVERAGE-BANDWIDTH={playlist.average_bps},"
            f"RESOLUTION={rendition.width}x{rendition.height}{rate},"
            f"CODECS=\"{','.join(codecs)}\"")


def avc1_codec(path: Path) -> str:
    """The RFC 6381 codec string (avc1.PPCCLL) from the stream's avcC record."""
    with av.open(str(path)) as container:
        extradata = bytes(container.streams.video[0].codec_context.extradata or b"")
    if len(extradata) >= 4 and extradata[0] == 1:
        return f"avc1.{extradata[1]:02x}{extradata[2]:02x}{extradata[3]:02x}"
    return "avc1.64001f"  # High 3.1: what x264 gives for 720p30

