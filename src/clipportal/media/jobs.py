"""Media jobs: one clip in, a verified cache entry out (rendition ladder, posters, chapter
thumbnails, storyboard, optional HLS).

A `MediaJob` is a picklable description with no absolute paths; `run_job` turns it into a
cache entry. Everything is decoded once: one ffmpeg pass normalises the picture (rotation,
deinterlacing, constant frame rate, square pixels, 8-bit SDR) and `split`s it into every
rendition and still. Loudness is measured in-process first (PyAV + ebur128) so the pass can
apply one linear gain, which keeps speech dynamics intact (single-pass loudnorm pumps).
"""

from __future__ import annotations

import contextlib
import logging
import math
from dataclasses import asdict, dataclass, field, fields, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import ffmpeg

from clipportal import __version__
from clipportal.errors import MediaError, Problem
from clipportal.media import manifest as m
from clipportal.media.cache import MediaCache, job_key
from clipportal.media.ffmpeg_runner import (
    ProgressCallback,
    ffmpeg_exe,
    ffmpeg_version,
    has_filter,
    run_ffmpeg,
)
from clipportal.media.hls import muxer_options, write_hls
from clipportal.media.manifest import Manifest, inside_clip, stored_duration
from clipportal.media.output_checks import verify_outputs
from clipportal.media.probe import HDR_TRANSFERS, Loudness, MediaFacts, measure_loudness, probe
from clipportal.settings import Rendition, Settings

log = logging.getLogger(__name__)
MAX_FPS = 30
STANDARD_RATES = tuple(Fraction(r) for r in (Fraction(24000, 1001), 24, 25,
                                              Fraction(30000, 1001), 30, 50,
                                              Fraction(60000, 1001), 60))
STORYBOARD_COLUMNS = 10
STORYBOARD_MAX_TILES = 100
STORYBOARD_WIDTH = 160
CHAPTER_WIDTH = 320
CAP_RATIO = 1.2
"""A rung taller than the source is kept at the source's height when the source is at least
this much taller than the rung below (a 480p source gets 360p and 480p, not 360p alone)."""
FALLBACK_DELAY_S = 100_000
"""Added to the fallback frame's time so that any frame a still chose comes before it."""
POSTER_SEARCH_S = 10.0
"""How far past the automatic poster time to look for a frame that is not black."""
BLACK_PERCENT = 98
"""A frame with more near-black pixels than this is a fade or leader, never a poster."""
STILL_FORMATS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("jpg", {"q:v": 4}), ("webp", {"c:v": "libwebp", "quality": 72}))
TRUE_PEAK_DBTP = -1.5
MAX_GAIN_DB = 30.0
"""Louder than this would mostly raise noise: very quiet recordings stay somewhat quiet."""


_DEFAULTS = Settings()
"""Where the defaults below come from: each option's default is declared once, in Settings."""


@dataclass(frozen=True)
class EncodeSettings:
    """The part of the settings that changes encoded output (and so the cache key)."""

    ladder: tuple[Rendition, ...]
    preset: str
    gop_seconds: float
    audio_kbps: int
    loudness_lufs: float | None
    poster_widths: tuple[int, ...]
    hls: bool = _DEFAULTS.hls

    @classmethod
    def from_settings(cls, settings: Settings) -> EncodeSettings:
        return cls(**_same_names(cls, settings))


@dataclass(frozen=True)
class Limits:
    """Caps on what a source may be; they reject input, they do not change output."""

    max_duration_s: float = _DEFAULTS.max_duration_s
    max_source_mb: float = _DEFAULTS.max_source_mb
    max_source_height: int = _DEFAULTS.max_source_height

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(**_same_names(cls, settings))


def _same_names(part: type[Any], settings: Settings) -> dict[str, Any]:
    """The settings a part of them names: its fields are Settings options of the same name."""
    return {f.name: getattr(settings, f.name) for f in fields(part)}


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


MEDIA_REVISION = 2
"""Bumped whenever the ffmpeg graph or the outputs change, so cached entries made by older
code are never served (2: full-range sources come out limited-range)."""


@dataclass(frozen=True)
class MediaJob:
    """Everything needed to turn one source into a cache entry: picklable, no absolute paths
    (it can run in another process or on another machine with the cache on shared storage)."""

    slug: str
    source: str
    """Project-relative path of the source clip."""
    source_sha256: str
    encode: EncodeSettings
    poster: float | None = None
    """Asked poster time in seconds (None: choose automatically)."""
    limits: Limits = field(default_factory=Limits)
    chapter_times: tuple[float, ...] = ()
    """Chapter start times in seconds; each gets a thumbnail."""

    def key(self, tool_version: str | None = None) -> str:
        return job_key("media", __version__, MEDIA_REVISION, tool_version or ffmpeg_version(),
                       self.source_sha256, asdict(self.encode), self.poster,
                       list(self.chapter_times))


@dataclass(frozen=True)
class Storyboard:
    interval: float
    tiles: int
    rows: int
    width: int
    height: int


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
    automatic_poster: bool = True
    deinterlace: bool = False
    tonemap: bool = False
    gain_db: float | None = None
    """Linear loudness gain; None keeps the source level."""
    limit_peaks: bool = False
    chapters: tuple[float, ...] = ()
    chapter_size: tuple[int, int] = (CHAPTER_WIDTH, 180)
    storyboard: Storyboard = Storyboard(1.0, 1, 1, STORYBOARD_WIDTH, 90)
    work_size: tuple[int, int] = (0, 0)
    """The size the picture is normalised to before `split`: the largest output."""


def plan_job(job: MediaJob, facts: MediaFacts, loudness: Loudness | None = None,
             can_tonemap: bool = False) -> Plan:
    """Decide renditions, stills, frame rate and filters; never upscale."""
    video = facts.video
    if video is None:
        raise MediaError(Problem(job.source, "the file has sound but no picture" if facts.audio
                                 else "the file has no video stream",
                                 "export the clip again with its picture (audio-only files "
                                 "are not supported)"))
    width, height = video.display_size
    if width < 16 or height < 16:
        raise MediaError(Problem(job.source, f"the picture size {width}×{height} is not usable",
                                 "export the clip again at a normal size"))
    rungs = _rungs(job.encode.ladder, width, height)
    posters = _poster_sizes(job.encode.poster_widths, width, height)
    picture_end = min(video.duration, facts.duration) if math.isfinite(video.duration) \
        else facts.duration
    poster_time, poster_note = _poster_time(job.poster, picture_end)
    gain, limit = _gain(job.encode.loudness_lufs, loudness)
    tonemap = video.hdr and can_tonemap
    warnings = [_hdr_note(video.transfer, tonemap)] if video.hdr else []
    return Plan(
        renditions=rungs, poster_time=poster_time, poster_sizes=posters,
        fps=_cfr_rate(video.fps), has_audio=facts.audio is not None,
        warnings=tuple(warnings + ([poster_note] if poster_note else [])),
        automatic_poster=job.poster is None, deinterlace=video.interlaced, tonemap=tonemap,
        gain_db=gain, limit_peaks=limit,
        chapters=_chapters(job.chapter_times, facts.duration, picture_end),
        chapter_size=_scaled_width(width, height, CHAPTER_WIDTH),
        storyboard=_storyboard(facts.duration, rungs[0][1], rungs[0][2]),
        work_size=max([(w, h) for _, w, h in rungs] + list(posters)))


def _hdr_note(transfer: int, tonemap: bool) -> str:
    kind = HDR_TRANSFERS.get(transfer, "HDR")
    if tonemap:
        return f"HDR source ({kind}): tone-mapped to SDR; colours may differ from the original"
    return (f"HDR source ({kind}): converted to 8-bit without tone mapping (this ffmpeg has no "
            "zscale filter); colours may look washed out on some phones")


def _even(value: float) -> int:
    """The nearest even number (H.264 4:2:0 needs even sizes), at least 2."""
    return max(2, round(value / 2) * 2)


def _scaled(width: int, height: int, short_side: int) -> tuple[int, int]:
    """Size with the shorter side `short_side` (portrait clips stay portrait), even numbers."""
    if width >= height:
        return _even(width * short_side / height), _even(short_side)
    return _even(short_side), _even(height * short_side / width)


def _scaled_width(width: int, height: int, target: int) -> tuple[int, int]:
    target = min(target, width)
    return _even(target), _even(target * height / width)


def _rungs(ladder: tuple[Rendition, ...], width: int,
           height: int) -> tuple[tuple[Rendition, int, int], ...]:
    short = min(width, height)
    fitting = [r for r in ladder if r.height <= short]
    if not fitting:  # smaller than the lowest rung: one rendition at the source size
        return ((_capped(ladder[0], short), *_scaled(width, height, short)),)
    taller = [r for r in ladder if r.height > short]
    if taller and short >= fitting[-1].height * CAP_RATIO:
        fitting.append(_capped(taller[0], short))
    return tuple((r, *_scaled(width, height, r.height)) for r in fitting)


def _capped(rung: Rendition, short: int) -> Rendition:
    """`rung` at the source's own height (rounded down to even): same quality settings."""
    height = max(2, short // 2 * 2)
    return Rendition(f"{height}p", height, rung.crf, rung.maxrate_kbps, rung.label)


def _poster_sizes(widths: tuple[int, ...], width: int, height: int) -> tuple[tuple[int, int], ...]:
    usable = [w for w in widths if w <= width] or [width]
    return tuple(_scaled_width(width, height, w) for w in usable)


def _poster_time(asked: float | None, duration: float) -> tuple[float, str]:
    if not math.isfinite(duration) or duration <= 0:
        return 0.0, ""
    automatic = round(min(duration * 0.3, max(0.0, duration - 3.0)), 3)
    if asked is None:
        return automatic, ""
    if 0 <= asked < duration - 0.1:
        return asked, ""
    return automatic, (f"poster time {asked:g} s is past the end of the picture "
                       f"({duration:.1f} s); used {automatic:g} s instead")


def _cfr_rate(fps: float) -> Fraction:
    """A constant output rate near the source's: snapped to a standard rate (VFR phone clips
    average 29.6 fps and mean 29.97), halved down to at most 30 fps (phones, data)."""
    if not math.isfinite(fps) or fps <= 1:
        return Fraction(25)
    rate = min(STANDARD_RATES, key=lambda r: abs(float(r) - fps))
    if abs(float(rate) - fps) > 0.03 * fps:
        rate = Fraction(max(2, round(fps * 2)), 2)
    while rate > MAX_FPS:
        rate /= 2
    return rate


def _gain(target: float | None, loudness: Loudness | None) -> tuple[float | None, bool]:
    """One linear gain to the target loudness; peaks it would push over the ceiling are
    caught by a limiter instead of lowering the whole clip."""
    if target is None or loudness is None:
        return None, False
    gain = round(min(MAX_GAIN_DB, target - loudness.integrated), 2)
    return gain, loudness.true_peak + gain > TRUE_PEAK_DBTP


def _chapters(times: tuple[float, ...], duration: float,
              picture_end: float) -> tuple[float, ...]:
    """A thumbnail time inside each chapter: 1 s in (past a cut or fade), or halfway when the
    chapter is shorter than 2 s; never past the last picture (the sound may run longer)."""
    inside = sorted(t for t in times if inside_clip(t, stored_duration(duration)))
    ends = [*inside[1:], duration] if inside else []
    return tuple(round(min(t + min(1.0, (end - t) / 2), max(0.0, picture_end - 0.1)), 3)
                 for t, end in zip(inside, ends, strict=True))


def _storyboard(duration: float, width: int, height: int) -> Storyboard:
    interval = max(1.0, math.ceil(duration / STORYBOARD_MAX_TILES)) \
        if math.isfinite(duration) else 1.0
    tiles = max(1, min(STORYBOARD_MAX_TILES, math.ceil(duration / interval)))
    return Storyboard(interval, tiles, math.ceil(tiles / STORYBOARD_COLUMNS),
                      STORYBOARD_WIDTH, _even(STORYBOARD_WIDTH * height / width))


def build_command(job: MediaJob, facts: MediaFacts, plan: Plan, source: Path, out: Path,
                  stills: bool = True) -> list[str]:
    """ffmpeg arguments (without the binary) for the single decode-once pass; `stills=False`
    leaves out posters, storyboard and chapter thumbnails (the benchmark's separate runs)."""
    assert facts.video is not None
    stream = ffmpeg.input(str(source))
    video = _normalised_video(stream[f"v:{facts.video.index}"], plan)
    count = len(plan.renditions) + (3 + len(plan.chapters) if stills else 0)
    split = video.filter_multi_output("split", count) if count > 1 else None
    branches = [split[i] for i in range(count)] if split is not None else [video]
    audios = _audio_branches(stream, facts, plan, len(plan.renditions))
    outputs = [
        _rendition_output(branches[i].filter("scale", w, h), audios[i] if audios else None,
                          out / f"{r.name}.mp4", r, job.encode, plan)
        for i, (r, w, h) in enumerate(plan.renditions)
    ]
    if stills:
        outputs += _still_branches(branches[len(plan.renditions):], plan, out)
    args: list[str] = ffmpeg.merge_outputs(*outputs).compile(cmd=ffmpeg_exe())
    return args[1:]


def _still_branches(branches: list[Any], plan: Plan, out: Path) -> list[Any]:
    """Posters, storyboard and chapter thumbnails. Each still that picks its frame by time
    falls back to the clip's first frame when its time yields none (an all-black search
    window, a picture that ends before the sound): an output that gets no frame at all makes
    ffmpeg fail (libwebp), so there must always be one."""
    poster, storyboard, first, *chapters = branches
    firsts = _first_frame_copies(first, 1 + len(chapters))
    outputs = _poster_outputs(poster, firsts[0], plan, out)
    outputs.append(_storyboard_output(storyboard, plan.storyboard, out))
    for i, (branch, time) in enumerate(zip(chapters, plan.chapters, strict=True)):
        outputs += _chapter_outputs(branch, firsts[1 + i], time, i + 1, plan, out)
    return outputs


def _first_frame_copies(video: Any, count: int) -> list[Any]:
    """The first frame, stamped far in the future so that `interleave` (which passes frames
    in time order) only lets it through when the still's own choice gave nothing."""
    first = video.trim(end_frame=1).filter("setpts", f"PTS+{FALLBACK_DELAY_S}/TB")
    if count == 1:
        return [first]
    split = first.filter_multi_output("split", count)
    return [split[i] for i in range(count)]


def _or_fallback(chosen: Any, fallback: Any, size: tuple[int, int]) -> Any:
    both = [chosen, fallback.filter("scale", size[0], size[1])]
    return ffmpeg.filter(both, "interleave", nb_inputs=2).trim(end_frame=1)


def _normalised_video(video: Any, plan: Plan) -> Any:
    """Deinterlace, constant frame rate, square pixels at the largest output size, 8-bit SDR
    4:2:0: done once, before `split`, so every output shares the work. ffmpeg has already
    applied any rotation (autorotate) before the graph."""
    if plan.deinterlace:  # one frame per frame: 50i becomes 25p, not 50p
        video = video.filter("bwdif", mode="send_frame", parity="auto", deint="all")
    video = video.filter("fps", fps=str(plan.fps))
    # out_range=tv: full-range sources (MJPEG, some phone and screen recorders) come out as
    # limited-range yuv420p, which every phone decodes, not yuvj420p.
    video = video.filter("scale", plan.work_size[0], plan.work_size[1],
                         out_range="tv").filter("setsar", 1)
    if plan.tonemap:
        video = _tonemapped(video)
    return video.filter("format", "yuv420p")


def _tonemapped(video: Any) -> Any:
    """HDR (PQ or HLG, BT.2020) to SDR BT.709 with Hable's curve, through linear light."""
    return (video.filter("zscale", t="linear", npl=100, pin="bt2020", min="bt2020nc")
            .filter("format", "gbrpf32le")
            .filter("zscale", p="bt709")
            .filter("tonemap", tonemap="hable", desat=0)
            .filter("zscale", t="bt709", m="bt709", r="tv"))


def _audio_branches(stream: Any, facts: MediaFacts, plan: Plan, count: int) -> list[Any]:
    """48 kHz stereo (5.1 is downmixed, mono doubled), at the measured gain."""
    if facts.audio is None:
        return []
    audio = (stream[f"a:{facts.audio.index}"].filter("aresample", 48000)
             .filter("aformat", sample_fmts="fltp", channel_layouts="stereo"))
    if plan.gain_db is not None:
        audio = audio.filter("volume", f"{plan.gain_db:.2f}dB")
    if plan.limit_peaks:  # level=0: a limiter only, not ffmpeg's default auto-levelling
        audio = audio.filter("alimiter", limit=f"{10 ** (TRUE_PEAK_DBTP / 20):.4f}", level=0)
    if count == 1:
        return [audio]
    split = audio.filter_multi_output("asplit", count)
    return [split[i] for i in range(count)]


def _rendition_output(video: Any, audio: Any | None, path: Path, rung: Rendition,
                      encode: EncodeSettings, plan: Plan) -> Any:
    # the same fixed GOP (no scene-cut keyframes) in every rung: renditions switch cleanly
    # and HLS segments line up
    gop = max(1, round(float(plan.fps) * encode.gop_seconds))
    options: dict[str, Any] = {
        "c:v": "libx264", "profile:v": "high", "preset": encode.preset, "crf": rung.crf,
        "maxrate": f"{rung.maxrate_kbps}k", "bufsize": f"{rung.bufsize_kbps}k",
        "g": gop, "keyint_min": gop, "sc_threshold": 0, "pix_fmt": "yuv420p",
        "movflags": "+faststart", "map_metadata": -1, "map_chapters": -1,
    }
    if encode.hls:  # the same file, fragmented per GOP, plus a byte-range playlist
        del options["movflags"]
        path, hls_options = muxer_options(path.parent, rung.name, encode.gop_seconds)
        options.update(hls_options)
    if audio is not None:
        options.update({"c:a": "aac", "profile:a": "aac_low", "b:a": f"{encode.audio_kbps}k"})
        return ffmpeg.output(video, audio, str(path), **options)
    return ffmpeg.output(video, str(path), **options)


def _poster_outputs(video: Any, fallback: Any, plan: Plan, out: Path) -> list[Any]:
    size = plan.poster_sizes[-1]
    if plan.automatic_poster:
        # among the frames from the poster time on, drop near-black ones (leaders, fades),
        # then take the most typical of about one second (the thumbnail filter)
        frame = (video.trim(start=plan.poster_time, end=plan.poster_time + POSTER_SEARCH_S)
                 .filter("scale", size[0], size[1])
                 .filter("blackframe", amount=0, threshold=32)
                 .filter("metadata", mode="select", key="lavfi.blackframe.pblack",
                         value=BLACK_PERCENT, function="less")
                 .filter("thumbnail", n=max(2, round(float(plan.fps)))))
    else:
        frame = (video.trim(start=plan.poster_time, end=plan.poster_time + 1)
                 .filter("scale", size[0], size[1]))
    return _still_outputs(_or_fallback(frame, fallback, size), plan.poster_sizes, out,
                          "poster-{w}")


def _still_outputs(frame: Any, sizes: tuple[tuple[int, int], ...], out: Path,
                   name: str) -> list[Any]:
    """JPEG and WebP of one frame at each size."""
    copies = frame.filter_multi_output("split", len(sizes) * 2)
    outputs = []
    for i, (w, h) in enumerate(sizes):
        for j, (ext, options) in enumerate(STILL_FORMATS):
            still = copies[i * 2 + j].filter("scale", w, h)
            outputs.append(ffmpeg.output(still, str(out / f"{name.format(w=w)}.{ext}"),
                                         **{"frames:v": 1, "update": 1, **options}))
    return outputs


def _chapter_outputs(video: Any, fallback: Any, time: float, number: int, plan: Plan,
                     out: Path) -> list[Any]:
    size = plan.chapter_size
    frame = video.trim(start=time, end=time + 1).filter("scale", size[0], size[1])
    return _still_outputs(_or_fallback(frame, fallback, size), (size,), out,
                          f"chapter-{number}")


def _storyboard_output(video: Any, board: Storyboard, out: Path) -> Any:
    """A seek-preview sprite: one small tile every `interval` seconds."""
    sprite = (video.filter("fps", fps=f"1/{board.interval:g}")
              .filter("scale", board.width, board.height)
              .filter("tile", f"{STORYBOARD_COLUMNS}x{board.rows}"))
    return ffmpeg.output(sprite, str(out / "storyboard.jpg"),
                         **{"frames:v": 1, "update": 1, "q:v": 5})


def cached_result(job: MediaJob, cache: MediaCache) -> Manifest | None:
    """The manifest of the job's complete cache entry, or None when it must be encoded."""
    key = job.key(ffmpeg_version(cache.root))
    found = cache.lookup(key)
    return None if found is None else found.with_key(key, from_cache=True)


def run_job(job: MediaJob, root: Path, cache: MediaCache,
            progress: ProgressCallback | None = None,
            on_duration: ProgressCallback | None = None) -> Manifest:
    """Produce (or find) the cache entry for `job`; return its manifest. `on_duration` hears
    the source's length before encoding starts, `progress` the seconds encoded so far."""
    found = cached_result(job, cache)
    if found is not None:
        return found
    key = job.key(ffmpeg_version(cache.root))
    source = root / job.source
    facts = probe(source, job.source)
    if on_duration is not None:
        on_duration(facts.duration)
    problems = limit_problems(job.source, facts, job.limits)
    if problems:
        raise MediaError(problems)
    plan = plan_job(job, facts, _loudness(job, facts, source),
                    bool(facts.video and facts.video.hdr and has_filter("zscale")))
    log.debug("%s: %s", job.source, plan)
    staging = _stage(cache, key)
    try:
        manifest = _encode(job, facts, plan, source, staging, _clamped(progress, facts.duration))
        cache.commit(key, staging, manifest.with_key(key, from_cache=False))
    except BaseException:
        _discard(cache, staging)
        raise
    return manifest.with_key(key, from_cache=False)


def _clamped(progress: ProgressCallback | None,
             duration: float) -> ProgressCallback | None:
    """ffmpeg reports the furthest time of any output, and a still's can pass the clip's end;
    a progress bar must never pass 100 %."""
    if progress is None or not math.isfinite(duration):
        return progress
    report = progress

    def clamped(seconds: float) -> None:
        report(min(seconds, duration))

    return clamped


def _loudness(job: MediaJob, facts: MediaFacts, source: Path) -> Loudness | None:
    if job.encode.loudness_lufs is None or facts.audio is None:
        return None
    return measure_loudness(source, job.source, facts.audio.index)


def _stage(cache: MediaCache, key: str) -> Path:
    try:
        return cache.stage(key)
    except FileNotFoundError:  # a failed job removed the empty staging root just then
        return cache.stage(key)


def _discard(cache: MediaCache, staging: Path) -> None:
    """Remove a failed job's staging folder, and the staging root once it is empty."""
    cache.discard(staging)
    with contextlib.suppress(OSError):  # other jobs are still staging
        staging.parent.rmdir()


def _encode(job: MediaJob, facts: MediaFacts, plan: Plan, source: Path, staging: Path,
            progress: ProgressCallback | None) -> Manifest:
    tail = run_ffmpeg(build_command(job, facts, plan, source, staging), job.source, progress)
    verify_outputs(job.source, staging, facts, plan, tail)
    manifest = _manifest(job, facts, plan, staging)
    if job.encode.hls:
        hls = write_hls(staging, manifest, job.encode.gop_seconds, job.source)
        return replace(manifest, hls=hls)
    return manifest


def _manifest(job: MediaJob, facts: MediaFacts, plan: Plan, staging: Path) -> Manifest:
    board = plan.storyboard
    return Manifest(
        key="", slug=job.slug, duration=stored_duration(facts.duration),
        has_audio=plan.has_audio, warnings=tuple(plan.warnings), poster_time=plan.poster_time,
        fps=round(float(plan.fps), 3),
        renditions=tuple(
            m.Rendition(r.name, r.label, f"{r.name}.mp4", w, h,
                        (staging / f"{r.name}.mp4").stat().st_size)
            for r, w, h in plan.renditions),
        posters=tuple(m.Poster(w, h, f"poster-{w}.jpg", f"poster-{w}.webp")
                      for w, h in plan.poster_sizes),
        storyboard=m.Storyboard("storyboard.jpg", board.tiles, board.interval,
                                STORYBOARD_COLUMNS, board.width, board.height),
        loudness_gain_db=plan.gain_db,
        chapters=_chapter_stills(job, plan),
    )


def _chapter_stills(job: MediaJob, plan: Plan) -> tuple[m.ChapterStill, ...]:
    if not job.chapter_times:
        return ()
    width, height = plan.chapter_size
    return tuple(m.ChapterStill(t, width, height, f"chapter-{i}.jpg", f"chapter-{i}.webp")
                 for i, t in enumerate(plan.chapters, start=1))
