"""Generate test sources of every kind that breaks naive video pipelines, with ffmpeg.

Each `make_*` function writes one small clip into `folder` and returns its path. They work
with imageio-ffmpeg's ffmpeg 9 and Debian's ffmpeg 5.1 (rotation is written differently).
Used by tests/test_media.py (tiny clips) and scripts/bench_media.py (longer ones).
"""

from __future__ import annotations

import functools
import math
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

from clipportal.media.ffmpeg_runner import ffmpeg_exe

FAST = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
# speech-like sound: pink noise in 0.6 s bursts with quiet gaps (exercises loudness gating)
SPEECHY = "anoisesrc=c=pink:a={amp}:d={d}:r=48000,volume='if(lt(mod(t,1),0.6),1,0.05)':eval=frame"


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly; raise with its message if it fails."""
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args],
                            capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"ffmpeg {' '.join(args)}: {result.stderr[-800:]}")


@functools.cache
def has_display_rotation() -> bool:
    """ffmpeg ≥ 7 writes rotation with `-display_rotation`; 5.1 with a `rotate` tag."""
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-h", "full"], capture_output=True,
                            text=True, check=False)
    return "display_rotation" in result.stdout


def _picture(size: str, rate: float, duration: float, kind: str = "testsrc2") -> list[str]:
    return ["-f", "lavfi", "-i", f"{kind}=s={size}:r={rate:g}:d={duration:g}"]


def _sine(duration: float, extra: str = "") -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=f=440:d={duration:g}:r=48000{extra}"]


def make_plain(folder: Path, name: str = "plain.mp4", size: str = "320x180",
               duration: float = 2, rate: float = 30) -> Path:
    """Square pixels, progressive, mono AAC: the easy case."""
    out = folder / name
    ffmpeg(*_picture(size, rate, duration), *_sine(duration), *FAST, "-c:a", "aac",
           "-shortest", str(out))
    return out


def make_camera(folder: Path, name: str = "camera.mp4", size: str = "1920x1080",
                duration: float = 60, rate: float = 30) -> Path:
    """Camera-like: moving detail with mild sensor noise, stereo voice-like sound, at the
    16 Mbit/s a phone records 1080p30 with (the phone's own encoder already removed most
    noise; stronger noise would measure the noise, not the ladder)."""
    out = folder / name
    ffmpeg(*_picture(size, rate, duration), "-f", "lavfi", "-i",
           SPEECHY.format(amp=0.3, d=duration), "-vf", "noise=alls=4:allf=t",
           "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "16M", "-maxrate", "20M",
           "-bufsize", "20M", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2", "-shortest",
           str(out))
    return out


FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
         "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
SLIDE_LINES = ("業務フローを書き出す", "1. 始まりと終わりを決める", "2. 手順を順番に並べる",
               "3. 所要時間を測る", "4. 抜け漏れを確かめる", "5. 改善案をまとめる")


def make_slides(folder: Path, name: str = "slides.mp4", size: str = "1920x1080",
                duration: float = 60, slide_seconds: float = 6) -> Path:
    """Slides-like: static text on a plain background that changes every few seconds, with a
    voice-like sound (a talk recorded from a screen). Needs a font; without one the text is
    replaced by testsrc's large digits."""
    out = folder / name
    height = int(size.split("x")[1])
    font = next((f for f in FONTS if Path(f).is_file()), None)
    layers = ["drawbox=x=0:y=0:w=iw:h=ih/9:c=0x203060:t=fill"]
    count = max(1, math.ceil(duration / slide_seconds))
    for i in range(count):
        if font is None:
            break
        text = folder / f"{Path(name).stem}-slide{i}.txt"
        lines = [SLIDE_LINES[0], *SLIDE_LINES[1:1 + i % 5 + 1]]
        text.write_text("\n".join(lines), encoding="utf-8")
        layers.append(f"drawtext=fontfile={font}:textfile={text}:expansion=none"
                      f":fontsize={height // 18}:line_spacing={height // 40}:fontcolor=0x202020"
                      f":x=w/10:y=h/6:enable='between(t,{i * slide_seconds:g},"
                      f"{(i + 1) * slide_seconds:g})'")
    background = (f"color=c=0xf4f4ef:s={size}:r=30:d={duration:g}" if font else
                  f"testsrc=s={size}:r=1/{slide_seconds:g}:d={duration:g},fps=30")
    ffmpeg("-f", "lavfi", "-i", background, "-f", "lavfi", "-i",
           SPEECHY.format(amp=0.2, d=duration), "-vf", ",".join(layers),
           "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-shortest", str(out))
    return out


def make_rotated(folder: Path, name: str = "portrait.mp4", size: str = "640x360",
                 duration: float = 2) -> Path:
    """A phone clip held upright: stored landscape with a 90° display rotation."""
    return rotate(make_plain(folder, f"stored-{name}", size, duration), folder / name)


def rotate(stored: Path, out: Path) -> Path:
    """Copy `stored` to `out` with a 90° display rotation (and delete `stored`)."""
    if has_display_rotation():
        ffmpeg("-display_rotation", "90", "-i", str(stored), "-c", "copy", str(out))
    else:
        ffmpeg("-i", str(stored), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(out))
    stored.unlink()
    return out


def make_anamorphic(folder: Path, name: str = "anamorphic.mp4") -> Path:
    """PAL DV-like 720×576 with 16:15 pixels: shown 768×576."""
    out = folder / name
    ffmpeg(*_picture("720x576", 25, 1.5), *_sine(1.5), "-vf", "setsar=16/15", *FAST,
           "-c:a", "aac", "-shortest", str(out))
    return out


def make_interlaced(folder: Path, name: str = "interlaced.mp4") -> Path:
    """25i, top field first, coded as interlaced (the field order is in the stream)."""
    out = folder / name
    ffmpeg(*_picture("720x576", 50, 1.5), *_sine(1.5), "-vf",
           "tinterlace=interleave_top,fieldorder=tff", "-flags", "+ildct+ilme", *FAST,
           "-x264-params", "tff=1", "-c:a", "aac", "-shortest", str(out))
    return out


def make_vfr(folder: Path, name: str = "vfr.mp4") -> Path:
    """Variable frame rate: 30 fps with frames dropped unevenly (like a phone under load)."""
    out = folder / name
    ffmpeg(*_picture("320x240", 30, 2), *_sine(2), "-vf",
           "select='not(eq(mod(n\\,5)\\,1))*not(eq(mod(n\\,7)\\,3))'", "-fps_mode", "vfr",
           *FAST, "-c:a", "aac", "-shortest", str(out))
    return out


def make_surround(folder: Path, name: str = "surround.mp4") -> Path:
    """5.1 AAC sound."""
    out = folder / name
    ffmpeg(*_picture("320x180", 30, 2), "-f", "lavfi", "-i",
           SPEECHY.format(amp=0.3, d=2) + ",aformat=channel_layouts=5.1", *FAST,
           "-c:a", "aac", "-shortest", str(out))
    return out


def make_silent(folder: Path, name: str = "silent.mp4") -> Path:
    """Picture only, no audio stream; 640×480 so that it gets two renditions."""
    out = folder / name
    ffmpeg(*_picture("640x480", 30, 1.5), *FAST, str(out))
    return out


def make_loudness(folder: Path, name: str, gain_db: float, duration: float = 3) -> Path:
    """Speech-like sound (pink noise and a tone, in bursts) at a chosen level: -20 dB gives
    about -37 LUFS (a quiet lapel microphone), +9 dB about -8 LUFS (mastered far too loud)."""
    out = folder / name
    sound = (f"anoisesrc=c=pink:a=0.5:d={duration:g}:r=48000[n];sine=f=220:d={duration:g}"
             f":r=48000,volume=2[t];[n][t]amix=inputs=2:normalize=0,"
             f"volume='if(lt(mod(t,1),0.6),1,0.05)':eval=frame,volume={gain_db:g}dB")
    ffmpeg(*_picture("320x180", 30, duration), "-f", "lavfi", "-i", sound, *FAST, "-c:a", "aac",
           "-b:a", "192k", "-shortest", str(out))
    return out


def make_hdr(folder: Path, name: str = "hdr.mp4") -> Path:
    """10-bit BT.2020 PQ (HDR10-like) flags on a 10-bit H.264 clip."""
    out = folder / name
    ffmpeg(*_picture("320x180", 30, 1.5), "-vf",
           "format=yuv420p10le,setparams=color_trc=smpte2084:color_primaries=bt2020"
           ":colorspace=bt2020nc", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p10le", str(out))
    return out


def make_black_start(folder: Path, name: str = "black-start.mp4") -> Path:
    """Black for 2 s, then a picture for 1 s: an automatic poster must not be black."""
    out = folder / name
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=320x180:r=30:d=2", *_picture("320x180", 30, 1),
           *_sine(3), "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]",
           "-map", "2:a", *FAST, "-c:a", "aac", str(out))
    return out


def make_black(folder: Path, name: str = "black.mp4") -> Path:
    """Nothing but black (a recording with the lens cap on)."""
    out = folder / name
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=320x180:r=30:d=1.5", *_sine(1.5), *FAST,
           "-c:a", "aac", "-shortest", str(out))
    return out


def make_short_picture(folder: Path, name: str = "short-picture.mp4") -> Path:
    """The picture stops after 1 s while the sound runs 3 s (a trimmed video track)."""
    out = folder / name
    ffmpeg(*_picture("320x180", 30, 1), *_sine(3), *FAST, "-c:a", "aac", str(out))
    return out


def make_noisy(folder: Path, name: str = "noisy.mp4", size: str = "640x360") -> Path:
    """Full-frame random noise: what a bitrate cap is for."""
    out = folder / name
    ffmpeg(*_picture(size, 30, 2), "-vf", "noise=alls=100:allf=t+u", *FAST, "-crf", "20",
           str(out))
    return out


def make_cover_first(folder: Path, name: str = "cover-first.mp4") -> Path:
    """MP4 with cover art (an attached picture) that the demuxer lists *before* the real
    video: the cover is stored in moov/udta, which is moved in front of the tracks."""
    clip = make_plain(folder, f"plain-{name}")
    cover = folder / f"cover-{Path(name).stem}.jpg"
    ffmpeg(*_picture("64x64", 1, 1), "-frames:v", "1", str(cover))
    with_cover = folder / f"covered-{name}"
    ffmpeg("-i", str(cover), "-i", str(clip), "-map", "0", "-map", "1", "-c", "copy",
           "-disposition:v:0", "attached_pic", str(with_cover))
    out = folder / name
    out.write_bytes(_udta_first(with_cover.read_bytes()))
    for temp in (clip, cover, with_cover):
        temp.unlink()
    return out


def _udta_first(data: bytes) -> bytes:
    """Reorder the children of the top-level moov box to mvhd, udta, the rest. Sizes and
    offsets stay the same, so the file stays valid."""
    for kind, start, size in _boxes(data, 0, len(data)):
        if kind == b"moov":
            kids = list(_boxes(data, start + 8, start + size))
            order = sorted(kids, key=lambda k: {b"mvhd": 0, b"udta": 1}.get(k[0], 2))
            body = b"".join(data[s:s + n] for _, s, n in order)
            return data[:start + 8] + body + data[start + size:]
    raise ValueError("no moov box")


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    found = []
    while start + 8 <= end:
        size, kind = struct.unpack(">I4s", data[start:start + 8])
        found.append((kind, start, size))
        start += max(size, 8)
    return found


def make_data_stream(folder: Path, name: str = "timecode.mov") -> Path:
    """MOV with a timecode (tmcd) data track beside video and audio."""
    clip = make_plain(folder, f"plain-{Path(name).stem}.mp4")
    out = folder / name
    ffmpeg("-i", str(clip), "-c", "copy", "-timecode", "01:00:00:00", str(out))
    clip.unlink()
    return out


def make_zero_channel_audio(folder: Path, name: str = "zero-channels.mkv") -> Path:
    """Matroska whose audio track declares 0 channels (and a real video track): the
    Channels element (ID 0x9F) of the PCM track is patched from 1 to 0."""
    clip = folder / f"pcm-{name}"
    ffmpeg(*_picture("320x180", 30, 2), *_sine(2), *FAST, "-c:a", "pcm_s16le", "-shortest",
           str(clip))
    data = bytearray(clip.read_bytes())
    at = data.find(b"\x9f\x81\x01")
    if at < 0 or data.count(b"\x9f\x81\x01") != 1:
        raise RuntimeError("cannot find the Matroska Channels element")
    data[at + 2] = 0
    out = folder / name
    out.write_bytes(bytes(data))
    clip.unlink()
    return out


def make_truncated(folder: Path, name: str, keep: float = 0.3,
                   container: str = "mp4", faststart: bool = False) -> Path:
    """The first `keep` of a real 3 s clip (an interrupted copy or upload)."""
    whole = folder / f"whole-{name}"
    flags = ["-movflags", "+faststart"] if faststart else []
    ffmpeg(*_picture("320x180", 30, 3), *_sine(3), *FAST, "-c:a", "aac", *flags,
           "-shortest", "-f", "matroska" if container == "mkv" else "mp4", str(whole))
    data = whole.read_bytes()
    out = folder / name
    out.write_bytes(data[: int(len(data) * keep)])
    whole.unlink()
    return out


def make_audio_only(folder: Path, name: str = "audio-only.mp4") -> Path:
    out = folder / name
    ffmpeg(*_sine(2), "-c:a", "aac", str(out))
    return out


def make_no_streams(folder: Path, name: str = "no-streams.mkv") -> Path:
    """A valid Matroska file holding only a subtitle: no picture, no sound."""
    subtitle = folder / f"{Path(name).stem}.srt"
    subtitle.write_text("1\n00:00:00,000 --> 00:00:01,000\nこんにちは\n", encoding="utf-8")
    out = folder / name
    ffmpeg("-i", str(subtitle), str(out))
    subtitle.unlink()
    return out


def make_empty(folder: Path, name: str = "empty.mp4") -> Path:
    out = folder / name
    out.write_bytes(b"")
    return out


def make_text(folder: Path, name: str = "notes.mp4") -> Path:
    """A text file with a video name."""
    out = folder / name
    out.write_text("会議メモ: これは動画ではありません。\nMeeting notes, not a video.\n",
                   encoding="utf-8")
    return out


def make_full_range(folder: Path, name: str = "mjpeg.mkv") -> Path:
    """Motion JPEG in full-range yuvj420p (cameras, screen recorders), with PCM sound."""
    path = folder / name
    ffmpeg(*_picture("320x240", 25, 1.5), *_sine(1.5), "-c:v", "mjpeg", "-q:v", "5",
           "-c:a", "pcm_s16le", "-shortest", str(path))
    return path


SOURCES: dict[str, Callable[[Path], Path]] = {
    "plain": make_plain,
    "rotated": make_rotated,
    "anamorphic": make_anamorphic,
    "odd": lambda f: make_plain(f, "odd.mp4", "641x361", 1.5),
    "small480": lambda f: make_plain(f, "sd480.mp4", "854x480", 3),
    "hd": lambda f: make_plain(f, "hd.mp4", "1280x720", 1.5),
    "interlaced": make_interlaced,
    "vfr": make_vfr,
    "surround": make_surround,
    "silent": make_silent,
    "quiet": lambda f: make_loudness(f, "quiet.mp4", -20),
    "loud": lambda f: make_loudness(f, "loud.mp4", 9),
    "hdr": make_hdr,
    "black_start": make_black_start,
    "noisy": make_noisy,
    "short_picture": make_short_picture,
    "black": make_black,
    "cover_first": make_cover_first,
    "data_stream": make_data_stream,
    "zero_channels": make_zero_channel_audio,
    "full_range": make_full_range,
}

BROKEN: dict[str, Callable[[Path], Path]] = {
    "truncated_mp4": lambda f: make_truncated(f, "truncated.mp4"),
    "truncated_faststart_mp4": lambda f: make_truncated(f, "truncated-fs.mp4", faststart=True),
    "truncated_mkv": lambda f: make_truncated(f, "truncated.mkv", container="mkv"),
    "empty": make_empty,
    "text": make_text,
    "audio_only": make_audio_only,
    "no_streams": make_no_streams,
}
