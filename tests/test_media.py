"""The media pipeline on real ffmpeg: every kind of source comes out right, broken sources
give one clear error, outputs are verified, the cache runs no ffmpeg when nothing changed.

Sources are tiny clips made once per session (tests/media_sources.py); each test runs
`run_job` and then probes what it wrote with PyAV (or measures it with ffmpeg's ebur128).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import stat
import subprocess
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import media_sources  # tests/ is on pytest's pythonpath
import pytest

from clipportal.errors import ClipportalError, MediaError
from clipportal.media import ffmpeg_runner as tool
from clipportal.media import jobs as media
from clipportal.media.cache import MediaCache, file_sha256
from clipportal.media.hls import read_playlist
from clipportal.media.jobs import EncodeSettings, Limits, MediaJob, build_command, plan_job, run_job
from clipportal.media.output_checks import image_size, moov_before_mdat
from clipportal.media.probe import measure_loudness, probe
from clipportal.settings import DEFAULT_LADDER, Rendition

pytestmark = pytest.mark.slow

FAST = EncodeSettings(DEFAULT_LADDER, "ultrafast", 4.0, 96, -16.0, (320, 640, 1280))

Encoded = tuple[dict[str, Any], Path]


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sources")
    makers = {**media_sources.SOURCES, **media_sources.BROKEN}
    return {name: make(folder) for name, make in makers.items()}


@pytest.fixture(scope="session")
def encode(sources: dict[str, Path],
           tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Encoded]:
    """Encode a source once per (name, settings) for the whole session."""
    cache = MediaCache(tmp_path_factory.mktemp("cache"))
    done: dict[tuple[Any, ...], Encoded] = {}

    def run(name: str, encode: EncodeSettings = FAST, poster: float | None = None,
            chapters: tuple[float, ...] = ()) -> Encoded:
        key = (name, encode, poster, chapters)
        if key not in done:
            path = sources[name]
            job = MediaJob(name, path.name, file_sha256(path), encode, poster,
                           chapter_times=chapters)
            manifest = run_job(job, path.parent, cache)
            done[key] = manifest, cache.entry(manifest.key)
        return done[key]

    return run


def rendition(encoded: Encoded, index: int = -1) -> Path:
    manifest, folder = encoded
    return folder / manifest.renditions[index].file


def first_frame(path: Path) -> av.VideoFrame:
    with av.open(str(path)) as container:
        return next(container.decode(video=0))


def packet_times(path: Path, keyframes_only: bool = False) -> list[float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [float(p.pts * p.time_base) for p in container.demux(stream)
                 if p.pts is not None and (p.is_keyframe or not keyframes_only)]
    return sorted(times)


def mean_luma(path: Path) -> float:
    """Mean luma (0–255) of a still, from the decoded picture (no numpy needed)."""
    frame = first_frame(path).reformat(format="gray")
    plane = frame.planes[0]
    data = bytes(plane)
    rows = [data[y * plane.line_size:y * plane.line_size + frame.width]
            for y in range(frame.height)]
    return sum(sum(row) for row in rows) / (frame.width * frame.height)


def integrated_lufs(path: Path, tmp_path: Path) -> float:
    """Integrated loudness as ffmpeg's own ebur128 filter measures it."""
    log = tmp_path / f"{path.stem}-r128.txt"
    subprocess.run([tool.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(path),
                    "-map", "0:a", "-af", f"ebur128=metadata=1,ametadata=mode=print"
                    f":key=lavfi.r128.I:file={log}", "-f", "null", "-"], check=True)
    values = [line.split("=")[1] for line in log.read_text().splitlines()
              if line.startswith("lavfi.r128.I=")]
    return float(values[-1])


# --- every kind of source ------------------------------------------------------------------


def test_rotated_phone_clip_stays_portrait(encode: Callable[..., Encoded],
                                           sources: dict[str, Path]) -> None:
    assert probe(sources["rotated"], "x").video.rotation in (90, 270)  # type: ignore[union-attr]
    encoded = encode("rotated")
    assert [(r.width, r.height) for r in encoded[0].renditions] == [(360, 640)]
    frame = first_frame(rendition(encoded))
    assert (frame.width, frame.height) == (360, 640)
    assert not frame.rotation  # the pixels are upright; no display matrix left to apply
    assert all(p.width < p.height for p in encoded[0].posters)


def test_non_square_pixels_become_square_keeping_the_shape(
        encode: Callable[..., Encoded]) -> None:
    encoded = encode("anamorphic")  # 720×576 at 16:15 is shown 768×576 (4:3)
    sizes = [(r.width, r.height) for r in encoded[0].renditions]
    assert sizes == [(480, 360), (768, 576)]
    for index in range(len(sizes)):
        with av.open(str(rendition(encoded, index))) as container:
            stream = container.streams.video[0]
            assert stream.sample_aspect_ratio in (None, 0, Fraction(1))
            assert Fraction(stream.codec_context.width, stream.codec_context.height) \
                == Fraction(4, 3)


def test_odd_sizes_become_even(encode: Callable[..., Encoded]) -> None:
    manifest, folder = encode("odd")  # 641×361
    for item in manifest.renditions + manifest.posters:
        assert item.width % 2 == 0 and item.height % 2 == 0
    assert (manifest.renditions[0].width, manifest.renditions[0].height) == (640, 360)
    assert first_frame(folder / "360p.mp4").width == 640


def test_interlaced_source_is_deinterlaced(encode: Callable[..., Encoded],
                                           sources: dict[str, Path]) -> None:
    facts = probe(sources["interlaced"], "x")
    assert facts.video is not None and facts.video.interlaced
    job = MediaJob("i", "interlaced.mp4", "0", FAST)
    args = build_command(job, facts, plan_job(job, facts), sources["interlaced"], Path("/o"))
    assert "bwdif" in " ".join(args)
    encoded = encode("interlaced")
    out = probe(rendition(encoded), "x")
    assert out.video is not None and not out.video.interlaced
    assert encoded[0].fps == 25  # one frame per interlaced frame, not per field


def test_progressive_source_gets_no_deinterlacer(sources: dict[str, Path]) -> None:
    facts = probe(sources["plain"], "x")
    job = MediaJob("p", "plain.mp4", "0", FAST)
    assert "bwdif" not in " ".join(build_command(job, facts, plan_job(job, facts),
                                                 sources["plain"], Path("/o")))


def test_variable_frame_rate_becomes_constant(encode: Callable[..., Encoded],
                                              sources: dict[str, Path]) -> None:
    source_steps = {round(b - a, 4) for a, b in itertools_pairs(packet_times(sources["vfr"]))}
    assert len(source_steps) > 1
    encoded = encode("vfr")
    steps = {round(b - a, 4) for a, b in itertools_pairs(packet_times(rendition(encoded)))}
    assert steps == {round(1 / 30, 4)}
    assert encoded[0].fps == 30


def itertools_pairs(values: list[float]) -> list[tuple[float, float]]:
    return list(itertools.pairwise(values))


@pytest.mark.parametrize("name", ["surround", "plain"])
def test_surround_and_mono_sound_become_stereo_aac(encode: Callable[..., Encoded],
                                                  sources: dict[str, Path], name: str) -> None:
    facts = probe(sources[name], "x")
    assert facts.audio is not None and facts.audio.channels == {"surround": 6, "plain": 1}[name]
    out = probe(rendition(encode(name)), "x")
    assert out.audio is not None
    assert (out.audio.codec, out.audio.profile, out.audio.channels, out.audio.sample_rate) \
        == ("aac", "LC", 2, 48000)


def test_cover_art_listed_first_is_not_taken_for_the_video(
        encode: Callable[..., Encoded], sources: dict[str, Path]) -> None:
    with av.open(str(sources["cover_first"])) as container:
        first = container.streams.video[0]
        assert first.disposition & av.stream.Disposition.attached_pic
    facts = probe(sources["cover_first"], "x")
    assert facts.video is not None and facts.video.index == 1
    job = MediaJob("c", "cover-first.mp4", "0", FAST)
    assert "[0:v:1]" in " ".join(build_command(job, facts, plan_job(job, facts),
                                               sources["cover_first"], Path("/o")))
    out = probe(rendition(encode("cover_first")), "x")
    assert out.video is not None and (out.video.coded_width, out.video.coded_height) == (320, 180)
    assert abs(out.duration - 2) < 0.2 and packet_count(rendition(encode("cover_first"))) >= 55


def packet_count(path: Path) -> int:
    return len(packet_times(path))


def test_data_stream_is_ignored(encode: Callable[..., Encoded],
                                sources: dict[str, Path]) -> None:
    with av.open(str(sources["data_stream"])) as container:
        assert [s.type for s in container.streams].count("data") == 1
    with av.open(str(rendition(encode("data_stream")))) as container:
        assert sorted(s.type for s in container.streams) == ["audio", "video"]


def test_audio_stream_with_zero_channels_counts_as_no_sound(
        encode: Callable[..., Encoded], sources: dict[str, Path]) -> None:
    with av.open(str(sources["zero_channels"])) as container:
        assert container.streams.audio[0].codec_context.channels == 0
    assert probe(sources["zero_channels"], "x").audio is None
    manifest, folder = encode("zero_channels")
    assert manifest.has_audio is False
    with av.open(str(folder / manifest.renditions[0].file)) as container:
        assert [s.type for s in container.streams] == ["video"]


def test_silent_video_gets_no_sound_track_in_any_rendition(
        encode: Callable[..., Encoded]) -> None:
    manifest, folder = encode("silent")
    assert manifest.has_audio is False and len(manifest.renditions) == 2
    for item in manifest.renditions:
        with av.open(str(folder / item.file)) as container:
            assert [s.type for s in container.streams] == ["video"]


def test_hdr_source_is_flagged_and_comes_out_8_bit_sdr(encode: Callable[..., Encoded],
                                                       sources: dict[str, Path]) -> None:
    facts = probe(sources["hdr"], "x")
    assert facts.video is not None and facts.video.hdr and facts.video.bit_depth == 10
    manifest, folder = encode("hdr")
    assert any("HDR" in w for w in manifest.warnings)
    frame = first_frame(folder / manifest.renditions[0].file)
    assert frame.format.name == "yuv420p"
    if tool.has_filter("zscale"):  # tone-mapped: tagged BT.709, not PQ any more
        assert frame.color_trc == 1


@pytest.mark.parametrize("name", ["quiet", "loud"])
def test_loudness_is_normalised_to_minus_16_lufs(encode: Callable[..., Encoded],
                                                 sources: dict[str, Path], name: str,
                                                 tmp_path: Path) -> None:
    before = integrated_lufs(sources[name], tmp_path)
    assert abs(before + 16) > 4  # the source is far from the target
    after = integrated_lufs(rendition(encode(name)), tmp_path)
    assert abs(after + 16) <= 2, (before, after)


def test_in_process_loudness_agrees_with_ffmpeg(sources: dict[str, Path],
                                                tmp_path: Path) -> None:
    measured = measure_loudness(sources["quiet"], "quiet.mp4", 0)
    assert measured is not None
    assert abs(measured.integrated - integrated_lufs(sources["quiet"], tmp_path)) < 1.0


# --- the ladder ------------------------------------------------------------------------------


def test_never_upscales(encode: Callable[..., Encoded]) -> None:
    manifest, _ = encode("small480")  # 854×480: 360p and the source's own 480p, no 720p
    assert [(r.name, r.height) for r in manifest.renditions] == [("360p", 360),
                                                                          ("480p", 480)]
    assert all(r.height <= 480 for r in manifest.renditions)


def test_tiny_source_gets_one_rendition_at_its_own_size(encode: Callable[..., Encoded]) -> None:
    manifest, _ = encode("plain")  # 320×180
    assert [(r.width, r.height) for r in manifest.renditions] == [(320, 180)]


def test_renditions_have_identical_keyframe_times(encode: Callable[..., Encoded]) -> None:
    encoded = encode("small480", dataclasses.replace(FAST, gop_seconds=0.5))
    low, high = (packet_times(rendition(encoded, i), keyframes_only=True) for i in (0, 1))
    assert low == high
    assert low == pytest.approx([0.5 * i for i in range(6)], abs=0.002)


def test_renditions_are_what_phones_play(encode: Callable[..., Encoded]) -> None:
    encoded = encode("hd", dataclasses.replace(FAST, preset="veryfast"))
    manifest, folder = encoded
    assert [r.height for r in manifest.renditions] == [360, 720]
    for item in manifest.renditions:
        path = folder / item.file
        out = probe(path, "x")
        assert out.video is not None and out.audio is not None
        assert (out.video.codec, out.video.profile, out.video.pix_fmt) == ("h264", "High",
                                                                          "yuv420p")
        assert (out.audio.codec, out.audio.profile, out.audio.channels) == ("aac", "LC", 2)
        assert moov_before_mdat(path)


def test_full_range_mjpeg_comes_out_limited_range_yuv420p(
        encode: Callable[..., Encoded]) -> None:
    manifest, folder = encode("full_range")
    out = probe(folder / manifest.renditions[0].file, "x")
    assert out.video is not None and out.video.pix_fmt == "yuv420p"
    assert out.audio is not None and out.audio.codec == "aac"


def test_bitrate_is_capped(encode: Callable[..., Encoded], sources: dict[str, Path]) -> None:
    rung = Rendition("360p", 360, 27, 300, "標準")
    manifest, folder = encode("noisy", dataclasses.replace(FAST, ladder=(rung,)))
    seconds = manifest.duration
    bits = (folder / "360p.mp4").stat().st_size * 8
    # VBV: at most the cap over the clip plus one buffer (the buffer is 2× the cap)
    assert bits <= rung.maxrate_kbps * 1000 * seconds + rung.bufsize_kbps * 1000
    assert sources["noisy"].stat().st_size * 8 > 5 * bits  # uncapped noise needs far more


# --- posters, chapter thumbnails, storyboard ---------------------------------------------------


def test_posters_in_webp_and_jpeg_at_three_widths(encode: Callable[..., Encoded]) -> None:
    manifest, folder = encode("hd")
    assert [(p.width, p.height) for p in manifest.posters] == [(320, 180), (640, 360),
                                                                        (1280, 720)]
    for poster in manifest.posters:
        for kind in ("jpg", "webp"):
            assert image_size(folder / getattr(poster, kind)) == (poster.width, poster.height)


def test_storyboard_sprite_has_a_tile_per_interval(encode: Callable[..., Encoded]) -> None:
    manifest, folder = encode("small480")  # 3 s: 3 tiles of 1 s in one 10-column row
    board = manifest.storyboard
    assert (board.tiles, board.interval, board.width, board.height) == (3, 1, 160, 90)
    assert image_size(folder / board.file) == (160 * 10, 90)


def test_asked_poster_time_is_honoured_even_when_black(encode: Callable[..., Encoded]) -> None:
    manifest, folder = encode("black_start", poster=0.5)
    assert manifest.poster_time == 0.5 and manifest.warnings == ()
    assert mean_luma(folder / "poster-320.jpg") < 10
    manifest, folder = encode("black_start", poster=2.5)
    assert mean_luma(folder / "poster-320.jpg") > 40


def test_poster_time_past_the_end_falls_back_inside_the_clip(
        encode: Callable[..., Encoded]) -> None:
    manifest, folder = encode("plain", poster=99.0)
    assert 0 <= manifest.poster_time < manifest.duration
    assert any("past the end" in w for w in manifest.warnings)
    assert image_size(folder / "poster-320.jpg") == (320, 180)


def test_poster_and_chapters_after_the_picture_ends_stay_inside_it(
        encode: Callable[..., Encoded]) -> None:
    # the sound runs to 3 s, the picture stops at 1 s
    manifest, folder = encode("short_picture", poster=2.0, chapters=(0.0, 2.0))
    assert manifest.poster_time < 1
    assert any("past the end of the picture" in w for w in manifest.warnings)
    assert [c.time for c in manifest.chapters] == [0.9, 0.9]
    for name in ("poster-320.jpg", "chapter-1.webp", "chapter-2.jpg"):
        assert mean_luma(folder / name) > 40


def test_automatic_poster_skips_black_frames(encode: Callable[..., Encoded]) -> None:
    manifest, folder = encode("black_start")  # black 0–2 s; the automatic time is 0 s
    assert manifest.poster_time < 2
    for poster in manifest.posters:
        assert mean_luma(folder / poster.jpg) > 40
        assert mean_luma(folder / poster.webp) > 40


def test_all_black_clip_still_gets_a_poster(encode: Callable[..., Encoded]) -> None:
    # every frame is dropped by the black filter: the first frame is the fallback (an output
    # that receives no frame at all would make ffmpeg fail)
    _, folder = encode("black", chapters=(0.0,))
    assert image_size(folder / "poster-320.webp") == (320, 180)
    assert mean_luma(folder / "poster-320.jpg") < 10


def test_chapter_thumbnails(encode: Callable[..., Encoded]) -> None:
    manifest, folder = encode("black_start", chapters=(0.0, 2.0, 9.0))
    chapters = manifest.chapters
    assert [c.time for c in chapters] == [1.0, 2.5]  # 1 s in; the one past the end dropped
    assert mean_luma(folder / chapters[0].jpg) < 10 < 40 < mean_luma(folder / chapters[1].jpg)
    for chapter in chapters:
        assert image_size(folder / chapter.webp) == (320, 180)


# --- optional HLS ------------------------------------------------------------------------------


def test_hls_reuses_the_mp4_renditions(encode: Callable[..., Encoded]) -> None:
    plain_manifest, _ = encode("small480")
    manifest, folder = encode("small480", dataclasses.replace(FAST, hls=True, gop_seconds=1.0))
    master = (folder / manifest.hls.master).read_text()
    assert master.count("#EXT-X-STREAM-INF") == 2 and "RESOLUTION=640x360" in master
    assert 'CODECS="avc1.' in master and "mp4a.40.2" in master
    for item in manifest.renditions:
        playlist = read_playlist(folder / f"{item.name}.m3u8")
        assert sum(playlist.durations) == pytest.approx(3, abs=0.1)
        assert playlist.end <= (folder / item.file).stat().st_size
        assert f'URI="{item.file}"' in (folder / f"{item.name}.m3u8").read_text()
        assert moov_before_mdat(folder / item.file)  # still a fast-start progressive MP4
    hls_bytes = sum(p.stat().st_size for p in folder.iterdir() if p.suffix in (".mp4", ".m3u8"))
    mp4_bytes = sum(r.bytes for r in plain_manifest.renditions)
    assert hls_bytes < 1.15 * mp4_bytes  # no second copy of the video


# --- broken media --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(media_sources.BROKEN))
def test_broken_source_gives_one_clear_error_and_caches_nothing(
        sources: dict[str, Path], tmp_path: Path, name: str) -> None:
    path = sources[name]
    cache = MediaCache(tmp_path / "cache")
    with pytest.raises(ClipportalError) as caught:
        run_job(MediaJob(name, path.name, file_sha256(path), FAST), path.parent, cache)
    assert type(caught.value) is MediaError
    (problem,) = caught.value.problems
    assert problem.path == path.name and problem.hint
    assert "Traceback" not in problem.message and "Error(" not in problem.message
    assert _cache_is_empty(cache)


def _cache_is_empty(cache: MediaCache) -> bool:
    leftovers = [p for p in cache.root.rglob("*") if p.name != tool.VERSION_MEMO]
    return not leftovers


def test_truncated_sources_say_so(sources: dict[str, Path], tmp_path: Path) -> None:
    cache = MediaCache(tmp_path / "cache")
    for name, words in (("truncated_faststart_mp4", "cut short"),
                        ("truncated_mkv", r"0\.9 s"), ("empty", "empty")):
        path = sources[name]
        with pytest.raises(MediaError, match=words):
            run_job(MediaJob(name, path.name, file_sha256(path), FAST), path.parent, cache)


def _remux(path: Path, *options: str) -> None:
    temp = path.with_name(f"damaged-{path.name}")
    media_sources.ffmpeg("-i", str(path), "-c", "copy", *options, str(temp))
    temp.replace(path)


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "duration": (lambda p: _remux(p, "-t", "0.5"), r"360p\.mp4 lasts 0\.5 s, the source 3\.0 s"),
    "streams": (lambda p: _remux(p, "-an"), r"360p\.mp4 lacks stereo AAC-LC sound"),
    "size": (lambda p: p.write_bytes(p.read_bytes()[:262]),  # the classic 262-byte MP4
             r"360p\.mp4 is missing or nearly empty"),
    "still": (lambda p: (p.parent / "poster-640.webp").unlink(), r"poster-640\.webp is missing"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_wrong_output_with_exit_code_0_is_caught(sources: dict[str, Path], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 damage: str) -> None:
    """ffmpeg exits 0 but an output is wrong (as with a truncated source): verification
    fails the job and nothing reaches the cache."""
    real = media.run_ffmpeg
    spoil, message = DAMAGE[damage]

    def then_damage(args: list[str], *rest: Any, **kwargs: Any) -> str:
        said = real(args, *rest, **kwargs)
        spoil(Path(next(a for a in args if a.endswith("360p.mp4"))))
        return said

    monkeypatch.setattr(media, "run_ffmpeg", then_damage)
    cache = MediaCache(tmp_path / "cache")
    path = sources["small480"]
    with pytest.raises(MediaError, match=message):
        run_job(MediaJob("s", path.name, file_sha256(path), FAST), path.parent, cache)
    assert _cache_is_empty(cache)


def test_a_failing_clip_does_not_stop_the_others(sources: dict[str, Path],
                                                 tmp_path: Path) -> None:
    from clipportal.catalog.clips import load_catalog
    from clipportal.pipeline import prepare
    from clipportal.settings import load_settings

    root = tmp_path / "portal"
    (root / "videos").mkdir(parents=True)
    (root / "mkdocs.yml").write_text("site_name: t\nplugins:\n  - clipportal:\n"
                                     "      preset: ultrafast\n", encoding="utf-8")
    for slug, name in (("good", "plain"), ("bad", "truncated_mkv")):
        (root / "videos" / f"{slug}{sources[name].suffix}").write_bytes(
            sources[name].read_bytes())
        (root / "videos" / f"{slug}.yml").write_text(
            f"title: {slug}\ntopic: goal-setting\n", encoding="utf-8")
    settings = load_settings(root)
    with pytest.raises(ClipportalError) as caught:
        prepare(root, settings, load_catalog(root, settings), jobs=2)
    errors = [p for p in caught.value.problems if p.severity == "error"]
    assert [p.path for p in errors] == ["videos/bad.mkv"]
    cached = [p for p in (root / "build" / "cache").iterdir() if (p / "manifest.json").is_file()]
    assert len(cached) == 1
    assert "good" in (cached[0] / "manifest.json").read_text()


# --- the cache -------------------------------------------------------------------------------


@pytest.fixture
def counted_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point clipportal at a wrapper that logs every ffmpeg process it starts."""
    real = tool.ffmpeg_exe()
    log = tmp_path / "ffmpeg-calls.log"
    log.touch()
    wrapper = tmp_path / "ffmpeg"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("CLIPPORTAL_FFMPEG", str(wrapper))
    _forget_tool()
    yield log
    _forget_tool()  # monkeypatch restores the environment after this


def _forget_tool() -> None:
    """What a new process would know: nothing (the functions are cached per process)."""
    for function in (tool.ffmpeg_exe, tool.ffmpeg_version, tool.has_filter):
        function.cache_clear()


def test_unchanged_clip_runs_no_ffmpeg_on_rebuild(sources: dict[str, Path], tmp_path: Path,
                                                  counted_ffmpeg: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    clip = root / "clip.mp4"
    clip.write_bytes(sources["plain"].read_bytes())
    cache = MediaCache(root / "cache")
    job = MediaJob("c", "clip.mp4", file_sha256(clip), FAST)
    seconds: list[float] = []
    first = run_job(job, root, cache, progress=seconds.append)
    assert not first.from_cache and len(counted_ffmpeg.read_text().splitlines()) >= 2
    assert seconds and max(seconds) <= first.duration + 0.5
    calls = counted_ffmpeg.read_text()
    _forget_tool()
    second = run_job(job, root, cache)
    assert second.from_cache and second.key == first.key
    assert counted_ffmpeg.read_text() == calls  # not even `ffmpeg -version`


def test_edited_source_is_encoded_again(sources: dict[str, Path], tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    clip = root / "clip.mp4"
    cache = MediaCache(root / "cache")
    results = []
    for name in ("plain", "vfr"):  # same path, new bytes
        clip.write_bytes(sources[name].read_bytes())
        results.append(run_job(MediaJob("c", "clip.mp4", file_sha256(clip), FAST), root, cache))
    assert results[0].key != results[1].key
    assert not results[1].from_cache and results[1].renditions[0].height == 240


def test_settings_that_change_output_change_the_key() -> None:
    job = MediaJob("c", "videos/c.mp4", "ab" * 32, FAST)
    key = job.key("ffmpeg version 9")
    changed = [
        dataclasses.replace(job, encode=dataclasses.replace(FAST, preset="medium")),
        dataclasses.replace(job, encode=dataclasses.replace(FAST, hls=True)),
        dataclasses.replace(job, encode=dataclasses.replace(FAST, loudness_lufs=None)),
        dataclasses.replace(job, encode=dataclasses.replace(FAST, ladder=DEFAULT_LADDER[:1])),
        dataclasses.replace(job, poster=3.0),
        dataclasses.replace(job, chapter_times=(0.0, 5.0)),
        dataclasses.replace(job, source_sha256="cd" * 32),
    ]
    keys = {c.key("ffmpeg version 9") for c in changed}
    assert len(keys) == len(changed) and key not in keys
    assert job.key("ffmpeg version 5.1") != key
    same = dataclasses.replace(job, slug="other", source="videos/moved.mp4",
                               limits=Limits(max_duration_s=5))
    assert same.key("ffmpeg version 9") == key  # names and limits do not change the output


def test_ffmpeg_version_is_remembered_in_the_cache_folder(tmp_path: Path,
                                                          counted_ffmpeg: Path) -> None:
    version = tool.ffmpeg_version(tmp_path)
    assert version.startswith("ffmpeg version")
    _forget_tool()
    assert tool.ffmpeg_version(tmp_path) == version
    assert len(counted_ffmpeg.read_text().splitlines()) == 1
    assert os.path.isfile(tmp_path / tool.VERSION_MEMO)


# --- in a real browser -------------------------------------------------------------------

PLAY = """async (src) => {
  const v = document.createElement('video');
  v.muted = true; v.playsInline = true; v.src = src; document.body.appendChild(v);
  await v.play().catch(() => null);
  for (let i = 0; i < 100; i++) {  // until frames are decoded (at most 5 s)
    if (v.currentTime > 0.2 && v.getVideoPlaybackQuality().totalVideoFrames > 0) break;
    await new Promise(r => setTimeout(r, 50));
  }
  const state = {width: v.videoWidth, height: v.videoHeight, time: v.currentTime,
                 frames: v.getVideoPlaybackQuality().totalVideoFrames,
                 audioBytes: v.webkitAudioDecodedByteCount, error: v.error && v.error.message};
  v.remove();
  return state;
}"""


@pytest.mark.browser
def test_every_kind_of_source_plays_in_chromium(encode: Callable[..., Encoded],
                                                browser: Any) -> None:
    from rangeserver import serve

    kinds = ["rotated", "anamorphic", "odd", "interlaced", "vfr", "surround", "cover_first",
             "data_stream", "zero_channels", "silent", "hdr"]
    cases = [(kind, encode(kind)) for kind in kinds]
    cases.append(("hls", encode("small480", dataclasses.replace(FAST, hls=True,
                                                                gop_seconds=1.0))))
    root = cases[0][1][1].parent
    page = browser.new_page()
    with serve(root) as url:
        page.goto(url)
        for kind, (manifest, folder) in cases:
            files = [(r.file, r) for r in manifest.renditions]
            if kind == "hls":  # the master playlist, played natively; starts on the first rung
                files = [(manifest.hls.master, manifest.renditions[0])]
            for file, item in files:
                state = page.evaluate(PLAY, f"{url}{folder.name}/{file}")
                assert state["frames"] > 0 and state["time"] > 0, (kind, file, state)
                if kind != "hls":
                    assert (state["width"], state["height"]) == (item.width, item.height)
                assert (state["audioBytes"] > 0) == manifest.has_audio, (kind, state)
    page.close()


# --- planning rules (no ffmpeg) --------------------------------------------------------------


@pytest.mark.parametrize(("fps", "expected"), [
    (29.6, Fraction(30000, 1001)), (30, Fraction(30)), (25, Fraction(25)),
    (59.94, Fraction(30000, 1001)), (50, Fraction(25)), (120, Fraction(30)),
    (12.5, Fraction(25, 2)), (0, Fraction(25)), (float("nan"), Fraction(25)),
])
def test_output_frame_rate_is_constant_standard_and_at_most_30(fps: float,
                                                               expected: Fraction) -> None:
    assert media._cfr_rate(fps) == expected


@pytest.mark.parametrize(("size", "expected"), [
    ((1920, 1080), [(640, 360), (1280, 720)]),
    ((1080, 1920), [(360, 640), (720, 1280)]),
    ((854, 480), [(640, 360), (854, 480)]),  # 480 ≥ 1.2 × 360: its own size as the top rung
    ((640, 400), [(576, 360)]),  # 400 < 1.2 × 360: only 360p
    ((320, 180), [(320, 180)]),  # below the ladder: one rendition at the source size
    ((3840, 1600), [(864, 360), (1728, 720)]),
])
def test_ladder_never_upscales(size: tuple[int, int], expected: list[tuple[int, int]]) -> None:
    assert [(w, h) for _, w, h in media._rungs(DEFAULT_LADDER, *size)] == expected


def test_missing_ffmpeg_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIPPORTAL_FFMPEG", "/nonexistent/ffmpeg")
    _forget_tool()
    try:
        with pytest.raises(ClipportalError, match="cannot run '/nonexistent/ffmpeg'"):
            tool.run_ffmpeg(["-version"], "videos/x.mp4")
    finally:
        _forget_tool()
