"""Media jobs: one clip in, a verified cache entry out (rendition ladder, posters, storyboard).

A `MediaJob` is a picklable description with no absolute paths; `run_job` turns it into a
cache entry. All renditions and posters come from one ffmpeg pass (decode once, `split`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import ffmpeg

from clipportal import __version__
from clipportal.cache import MediaCache, job_key
from clipportal.errors import MediaError, Problem
from clipportal.probe import MediaFacts, probe
from clipportal.settings import Rendition, Settings
from clipportal.tool import ProgressCallback, ffmpeg_exe, ffmpeg_version, run_ffmpeg
from clipportal.verify import verify_outputs

log = logging.getLogger(__name__)
MAX_FPS = 30
STORYBOARD_COLUMNS = 10
STORYBOARD_MAX_TILES = 100
STORYBOARD_WIDTH = 160


@dataclass(frozen=True)
class EncodeSettings:
    """The part of the settings that changes encoded output (and so the cache key)."""

    ladder: tuple[Rendition, ...]
    preset: str
    gop_seconds: float
    audio_kbps: int
    loudness_lufs: float | None
    poster_widths: tuple[int, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> EncodeSettings:
        return cls(settings.ladder, settings.preset, settings.gop_seconds, settings.audio_kbps,
                   settings.loudness_lufs, settings.poster_widths)


@dataclass(frozen=True)
class Limits:
    """Caps on what a source may be; they reject input, they do not change output."""

    max_duration_s: float = 600.0
    max_source_mb: float = 2048.0
    max_source_height: int = 4320

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(settings.max_duration_s, settings.max_source_mb, settings.max_source_height)


def limit_problems(source: str, facts: MediaFacts, limits: Limits) -> list[Problem]:
    """Every limit the source exceeds, each with the setting that raises it."""
    problems = []
    if facts.duration > limits.max_duration_s:
        problems.append(Problem(source, f"the clip lasts {facts.duration / 60:.1f} minutes; the "
                                f"limit is {limits.max_duration_s / 60:g} minutes",
                                "cut it into shorter clips, or raise max_duration_s in mkdocs.yml"))
    if facts.size_bytes > limits.max_source_mb * 1_000_000:
        problems.append(Problem(source, f"the file is {facts.size_bytes / 1e6:.0f} MB; the limit "
                                f"is {limits.max_source_mb:g} MB",
                                "export it at a lower bitrate, or raise max_source_mb"))
    if facts.video and max(facts.video.display_size) > limits.max_source_height:
        problems.append(Problem(source, f"the picture is {facts.video.display_size[0]}×"
                                f"{facts.video.display_size[1]}; the limit is "
                                f"{limits.max_source_height} pixels",
                                "export it at a lower resolution, or raise max_source_height"))
    if not math.isfinite(facts.duration) or facts.duration <= 0.1:
        problems.append(Problem(source, "the clip has no duration (empty or truncated file)",
                                "export the clip again"))
    return problems


@dataclass(frozen=True)
class MediaJob:
    slug: str
    source: str
    """Project-relative path of the source clip."""
    source_sha256: str
    encode: EncodeSettings
    poster: float | None = None
    """Asked poster time in seconds (None: choose automatically)."""
    limits: Limits = field(default_factory=Limits)

    def key(self) -> str:
        return job_key("media", __version__, ffmpeg_version(), self.source_sha256,
                       asdict(self.encode), self.poster)


@dataclass(frozen=True)
class Plan:
    """What one ffmpeg pass will produce for a probed source."""

    renditions: tuple[tuple[Rendition, int, int], ...]
    """(rung, width, height) for each rendition, smallest first."""
    poster_time: float
    poster_sizes: tuple[tuple[int, int], ...]
    fps: Fraction
    has_audio: bool
    warnings: tuple[str, ...] = field(default=())


def plan_job(job: MediaJob, facts: MediaFacts) -> Plan:
    """Decide renditions, poster and frame rate; never upscale."""
    if facts.video is None:
        raise MediaError(Problem(job.source, "the file has no video stream",
                                 "export the clip again with its picture (audio-only files "
                                 "are not supported)"))
    width, height = facts.video.display_size
    if width < 16 or height < 16:
        raise MediaError(Problem(job.source, f"the picture size {width}×{height} is not usable",
                                 "export the clip again at a normal size"))
    rungs = _rungs(job.encode.ladder, width, height)
    warnings = ["HDR source: colours are converted to SDR without tone mapping"] \
        if facts.video.hdr else []
    poster_time, poster_note = _poster_time(job.poster, facts.duration)
    warnings += [poster_note] if poster_note else []
    return Plan(rungs, poster_time, _poster_sizes(job.encode.poster_widths, width, height),
                _cfr_rate(facts.video.fps), facts.audio is not None, tuple(warnings))


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def _scaled(width: int, height: int, short_side: int) -> tuple[int, int]:
    """Size with the shorter side `short_side` (portrait clips stay portrait), even numbers."""
    if width >= height:
        return _even(width * short_side / height), _even(short_side)
    return _even(short_side), _even(height * short_side / width)


def _rungs(ladder: tuple[Rendition, ...], width: int,
           height: int) -> tuple[tuple[Rendition, int, int], ...]:
    short = min(width, height)
    fitting = [r for r in ladder if r.height <= short]
    if not fitting:  # smaller than the lowest rung: one rendition at the source size
        low = ladder[0]
        return ((Rendition(f"{_even(short)}p", _even(short), low.crf, low.maxrate_kbps,
                           low.label), *_scaled(width, height, short)),)
    return tuple((r, *_scaled(width, height, r.height)) for r in fitting)


def _poster_sizes(widths: tuple[int, ...], width: int, height: int) -> tuple[tuple[int, int], ...]:
    usable = [w for w in widths if w <= width] or [width]
    return tuple((_even(w), _even(w * height / width)) for w in usable)


def _poster_time(asked: float | None, duration: float) -> tuple[float, str]:
    if not math.isfinite(duration) or duration <= 0:
        return 0.0, ""
    if asked is None:
        return round(min(duration * 0.3, max(0.0, duration - 3.0)), 3), ""
    if asked < duration - 0.1:
        return asked, ""
    fallback = round(max(0.0, duration * 0.3), 3)
    return fallback, f"poster time {asked:g} s is past the end ({duration:.1f} s); used {fallback:g} s"


def _cfr_rate(fps: float) -> Fraction:
    """A constant output rate: the source's, capped at 30 fps (phones, data), 25 if unknown."""
    if not math.isfinite(fps) or fps <= 1:
        return Fraction(25)
    rate = Fraction(fps).limit_denominator(1001)
    while rate > MAX_FPS:
        rate /= 2
    return rate


def build_command(job: MediaJob, facts: MediaFacts, plan: Plan, source: Path,
                  out: Path) -> list[str]:
    """ffmpeg arguments (without the binary) for the single decode-once pass."""
    assert facts.video is not None
    stream = ffmpeg.input(str(source))
    video = _normalised_video(stream[f"v:{facts.video.index}"], facts, plan)
    branches = video.filter_multi_output("split", len(plan.renditions) + 1)
    audios = _audio_branches(stream, facts, job.encode, len(plan.renditions))
    outputs = [
        _rendition_output(branches[i].filter("scale", w, h, flags="bicubic"),
                          audios[i] if audios else None, out / f"{r.name}.mp4", r, job, plan)
        for i, (r, w, h) in enumerate(plan.renditions)
    ]
    outputs += _poster_outputs(branches[len(plan.renditions)], plan, job.poster is None, out)
    args: list[str] = ffmpeg.merge_outputs(*outputs).compile(cmd=ffmpeg_exe())
    return args[1:]


def _normalised_video(video: Any, facts: MediaFacts, plan: Plan) -> Any:
    """Deinterlace flagged frames, constant frame rate, square pixels, 8-bit 4:2:0."""
    assert facts.video is not None
    width, height = facts.video.display_size
    return (video.filter("bwdif", mode="send_frame", deint="interlaced")
            .filter("fps", fps=str(plan.fps))
            .filter("scale", _even(width), _even(height))
            .filter("setsar", 1)
            .filter("format", "yuv420p"))


def _audio_branches(stream: Any, facts: MediaFacts, encode: EncodeSettings,
                    count: int) -> list[Any]:
    if facts.audio is None:
        return []
    audio = stream[f"a:{facts.audio.index}"]
    if encode.loudness_lufs is not None:
        audio = audio.filter("loudnorm", I=encode.loudness_lufs, TP=-1.5, LRA=11)
    audio = audio.filter("aresample", 48000).filter("aformat", channel_layouts="stereo")
    if count == 1:
        return [audio]
    split = audio.filter_multi_output("asplit", count)
    return [split[i] for i in range(count)]


def _rendition_output(video: Any, audio: Any | None, path: Path, rung: Rendition,
                      job: MediaJob, plan: Plan) -> Any:
    gop = max(1, round(float(plan.fps) * job.encode.gop_seconds))
    options: dict[str, Any] = {
        "c:v": "libx264", "profile:v": "high", "preset": job.encode.preset, "crf": rung.crf,
        "maxrate": f"{rung.maxrate_kbps}k", "bufsize": f"{rung.bufsize_kbps}k",
        "g": gop, "keyint_min": gop, "sc_threshold": 0, "pix_fmt": "yuv420p",
        "movflags": "+faststart", "map_metadata": -1, "metadata:s:v:0": "rotate=0",
    }
    if audio is not None:
        options.update({"c:a": "aac", "b:a": f"{job.encode.audio_kbps}k", "ac": 2})
        return ffmpeg.output(video, audio, str(path), **options)
    return ffmpeg.output(video, str(path), **options)


def _poster_outputs(video: Any, plan: Plan, automatic: bool, out: Path) -> list[Any]:
    start = plan.poster_time
    largest = plan.poster_sizes[-1]
    frame = video.trim(start=start).setpts("PTS-STARTPTS")
    frame = frame.filter("scale", largest[0], largest[1])
    if automatic:  # the most representative of ~2 s of frames: skips black and fade frames
        frame = frame.filter("thumbnail", n=max(2, round(float(plan.fps) * 2)))
    sizes = plan.poster_sizes
    copies = frame.filter_multi_output("split", len(sizes) * 2)
    outputs = []
    for i, (w, h) in enumerate(sizes):
        for j, (ext, options) in enumerate((("jpg", {"q:v": 4}),
                                            ("webp", {"c:v": "libwebp", "quality": 72}))):
            still = copies[i * 2 + j].filter("scale", w, h)
            outputs.append(ffmpeg.output(still, str(out / f"poster-{w}.{ext}"),
                                         **{"frames:v": 1, "update": 1, **options}))
    return outputs


def storyboard_command(rendition: Path, duration: float, tile_height: int,
                       out: Path) -> tuple[list[str], int, float]:
    """Arguments for a seek-preview sprite tiled from the smallest rendition (cheap to decode)."""
    interval = max(1.0, math.ceil(duration / STORYBOARD_MAX_TILES))
    tiles = max(1, min(STORYBOARD_MAX_TILES, math.ceil(duration / interval)))
    rows = math.ceil(tiles / STORYBOARD_COLUMNS)
    args = (ffmpeg.input(str(rendition))
            .filter("fps", fps=f"1/{interval:g}")
            .filter("scale", STORYBOARD_WIDTH, tile_height)
            .filter("tile", f"{STORYBOARD_COLUMNS}x{rows}")
            .output(str(out / "storyboard.jpg"), **{"frames:v": 1, "q:v": 5, "an": None})
            .compile(cmd=ffmpeg_exe()))
    return args[1:], tiles, interval


def run_job(job: MediaJob, root: Path, cache: MediaCache,
            progress: ProgressCallback | None = None,
            on_duration: ProgressCallback | None = None) -> dict[str, Any]:
    """Produce (or find) the cache entry for `job`; return its manifest. `on_duration` hears
    the source's length before encoding starts, `progress` the seconds encoded so far."""
    key = job.key()
    found = cache.lookup(key)
    if found is not None:
        return {**found, "from_cache": True}
    source = root / job.source
    facts = probe(source, job.source)
    if on_duration is not None:
        on_duration(facts.duration)
    problems = limit_problems(job.source, facts, job.limits)
    if problems:
        raise MediaError(problems)
    plan = plan_job(job, facts)
    staging = cache.stage(key)
    try:
        manifest = _encode(job, facts, plan, source, staging, progress)
        cache.commit(key, staging, manifest)
    except BaseException:
        cache.discard(staging)
        raise
    return {**manifest, "key": key, "from_cache": False}


def _encode(job: MediaJob, facts: MediaFacts, plan: Plan, source: Path, staging: Path,
            progress: ProgressCallback | None) -> dict[str, Any]:
    run_ffmpeg(build_command(job, facts, plan, source, staging), job.source, progress)
    verify_outputs(job.source, staging, facts, plan)
    sb_args, tiles, interval = storyboard_command(
        staging / f"{plan.renditions[0][0].name}.mp4", facts.duration, _tile_height(plan),
        staging)
    run_ffmpeg(sb_args, job.source)
    return _manifest(job, facts, plan, staging, tiles, interval)


def _manifest(job: MediaJob, facts: MediaFacts, plan: Plan, staging: Path, tiles: int,
              interval: float) -> dict[str, Any]:
    return {
        "key": job.key(), "slug": job.slug, "duration": round(facts.duration, 3),
        "has_audio": plan.has_audio, "warnings": list(plan.warnings),
        "poster_time": plan.poster_time,
        "renditions": [
            {"name": r.name, "label": r.label, "file": f"{r.name}.mp4", "width": w, "height": h,
             "bytes": (staging / f"{r.name}.mp4").stat().st_size}
            for r, w, h in plan.renditions
        ],
        "posters": [{"width": w, "height": h, "jpg": f"poster-{w}.jpg", "webp": f"poster-{w}.webp"}
                    for w, h in plan.poster_sizes],
        "storyboard": {"file": "storyboard.jpg", "tiles": tiles, "interval": interval,
                       "columns": STORYBOARD_COLUMNS, "width": STORYBOARD_WIDTH,
                       "height": _tile_height(plan)},
    }


def _tile_height(plan: Plan) -> int:
    _, width, height = plan.renditions[0]
    return _even(STORYBOARD_WIDTH * height / width)
