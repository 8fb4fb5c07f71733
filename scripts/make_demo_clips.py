"""Render the demo clips in videos/ as Japanese text slides.

Why: this repository is itself a working clipportal portal, and its tests, screenshots and
browser checks need real H.264/AAC clips with meaningful frames (posters, chapters) without
shipping recorded training footage. Slides rendered by ffmpeg are small (a few hundred KB
each), reproducible, and show Japanese text, so a broken font or caption pipeline is visible.

Each clip is a sequence of slides (title plus one or two lines) over a background colour of
its topic, with a silent audio track (the portal normalises loudness to -16 LUFS, which
would turn any test tone into a loud beep). Slide boundaries fall on whole seconds and match
the `chapters:` in videos/<slug>.yml, so keep the two in step when editing either.

Usage:
    python scripts/make_demo_clips.py            # regenerate every clip
    python scripts/make_demo_clips.py --only flow-mapping-steps
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIDEOS = ROOT / "videos"

WIDTH, HEIGHT, FPS = 1280, 720, 25
S = WIDTH // 640
"""Scale of the slide layout, which was designed at 640x360."""
SAMPLE_RATE = 48000

SAFE_PATH = re.compile(r"^[\w./+-]+$")
"""Paths we put into a filtergraph unquoted; anything else would need ffmpeg's escaping."""


@dataclass(frozen=True)
class Topic:
    """How clips of one topic look and sound."""

    label: str
    background: str
    accent: str
    tone_hz: int


@dataclass(frozen=True)
class Slide:
    """One full-screen text slide."""

    title: str
    lines: tuple[str, ...]
    seconds: int


@dataclass(frozen=True)
class Clip:
    """One demo clip: the file stem and its slides, shown in order."""

    slug: str
    topic: str
    slides: tuple[Slide, ...]

    @property
    def seconds(self) -> int:
        return sum(slide.seconds for slide in self.slides)

    def starts(self) -> list[int]:
        """Start second of every slide (the chapter boundaries)."""
        starts, t = [], 0
        for slide in self.slides:
            starts.append(t)
            t += slide.seconds
        return starts


TOPICS = {
    "goal-setting": Topic("目標設定", "0x1f4e79", "0x6fa8dc", 330),
    "flow-mapping": Topic("業務フローの可視化", "0x2e6b3f", "0x93c47d", 294),
    "tool-selection": Topic("ツール選定", "0x5b3a7a", "0xb4a7d6", 262),
    "testimonials": Topic("職員の声", "0x8a4b1e", "0xf6b26b", 392),
}


def s(title: str, *lines: str, seconds: int = 7) -> Slide:
    """Shorthand for the table below: a slide of 7 seconds unless told."""
    return Slide(title, lines, seconds)


CLIPS = (
    Clip(
        "goal-setting-basics",
        "goal-setting",
        (
            s("目標設定の基本", "業務改革は", "目標を決めることから始まります"),
            s("現状を書き出す", "今の仕事の進め方と", "困っていることを並べる"),
            s("理想の姿を描く", "住民にも職員にも", "うれしい状態を思い描く"),
            s("間に目標を置く", "現状と理想のあいだに", "届きそうな目標を決める"),
        ),
    ),
    Clip(
        "goal-realistic-target",
        "goal-setting",
        (
            s("現実的な目標を立てる", "理想だけでは前に進めない", seconds=6),
            s("理想と現状の差", "差が大きすぎると", "途中であきらめてしまう"),
            s("数字で測れる目標", "件数・時間・日数など", "測れるものを選ぶ"),
            s("段階に分ける", "一年目、二年目と", "小さな目標を積み重ねる"),
            s("まとめ", "現状と理想のあいだに", "現実的な目標を置こう"),
        ),
    ),
    Clip(
        "flow-mapping-steps",
        "flow-mapping",
        (
            s("業務フローを書き出す", "手順をひとつずつ見える形に"),
            s("始まりと終わりを決める", "受付から完了までを", "ひとつの流れとして扱う", seconds=8),
            s("手順を順番に並べる", "誰が・何を・どこで", "付せんに一枚ずつ書く", seconds=8),
            s("抜け漏れを確かめる", "担当者と一緒に", "流れを読み合わせる"),
        ),
    ),
    Clip(
        "flow-mapping-time",
        "flow-mapping",
        (
            s("手順ごとの所要時間", "どこに時間がかかっているか", seconds=8),
            s("時間を記録する", "一件ごとに", "開始と終了の時刻を書く", seconds=8),
            s("待ち時間も数える", "作業していない時間も", "所要時間に含める", seconds=8),
            s("時間のかかる手順から", "合計の大きい手順から", "改善を考える", seconds=8),
        ),
    ),
    Clip(
        "tool-selection-cloud",
        "tool-selection",
        (
            s("クラウドツールを選ぶ", "課題に合う道具を探す"),
            s("課題から考える", "ツールを先に決めず", "困りごとから出発する", seconds=8),
            s("候補を比べる", "費用・使いやすさ・", "セキュリティを比べる", seconds=8),
            s("小さく試す", "一つの係で試してから", "全体に広げる"),
        ),
    ),
    Clip(
        "tool-selection-rpa",
        "tool-selection",
        (
            s("RPAで定型作業を自動化", "パソコン作業をロボットに任せる"),
            s("向いている作業", "手順が決まっていて", "件数が多い作業"),
            s("向いていない作業", "判断が必要な作業や", "手順がよく変わる作業"),
            s("効果を確かめる", "導入前後の作業時間を", "比べて記録する"),
        ),
    ),
    Clip(
        "voices-goal-image",
        "testimonials",
        (
            s("職員の声", "「ゴールに向けて進む", "イメージができた」"),
            s("研修の前は", "改善したい気持ちはあっても", "何から始めるか迷っていた", seconds=8),
            s("研修のあとで", "目標が決まり", "係のみんなで同じ方向を向けた"),
        ),
    ),
    Clip(
        "voices-time-reduction",
        "testimonials",
        (
            s("職員の声", "作業時間を35%削減", seconds=6),
            s("取り組んだこと", "業務フローを書き出し", "手作業をRPAに置き換えた"),
            s("結果", "一件あたりの作業時間が", "35%短くなった"),
            s("これから", "空いた時間を", "住民対応に使いたい", seconds=6),
        ),
    ),
)


class DemoError(Exception):
    """A missing tool or font; the message says how to install it."""


def find_ffmpeg() -> str:
    """ffmpeg on PATH, else the binary bundled with imageio-ffmpeg."""
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise DemoError(
            "ffmpeg not found. Install it (apt-get install ffmpeg) or pip install imageio-ffmpeg."
        ) from exc
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def find_font(style: str) -> str:
    """File of Noto Sans CJK JP in `style` (Regular/Bold), found through fontconfig."""
    pattern = f"Noto Sans CJK JP:style={style}"
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{family}\t%{file}", pattern],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise DemoError("fc-match failed; apt-get install fontconfig fonts-noto-cjk") from exc
    family, _, path = found.partition("\t")
    if "Noto Sans CJK JP" not in family or not Path(path).is_file():
        raise DemoError(
            f"font 'Noto Sans CJK JP' ({style}) not found; apt-get install fonts-noto-cjk"
        )
    if not SAFE_PATH.match(path):
        raise DemoError(f"font path {path!r} has characters this script does not escape")
    return path


def drawtext(
    textfile: str,
    font: str,
    size: int,
    y: str,
    start: float,
    end: float,
    x: str = "(w-text_w)/2",
    color: str = "white",
) -> str:
    """A drawtext filter showing `textfile` between `start` and `end` seconds."""
    return (
        f"drawtext=fontfile={font}:textfile={textfile}:expansion=none"
        f":fontsize={size}:fontcolor={color}:x={x}:y={y}"
        f":enable='between(t,{start},{end})'"
    )


def slide_filters(
    slide: Slide, index: int, count: int, start: int, workdir: Path, fonts: tuple[str, str]
) -> list[str]:
    """drawtext filters for one slide; its texts are written to files in `workdir`."""
    regular, bold = fonts
    end = start + slide.seconds - 0.001
    texts = {f"s{index}-title.txt": slide.title, f"s{index}-page.txt": f"{index + 1} / {count}"}
    texts.update({f"s{index}-line{n}.txt": line for n, line in enumerate(slide.lines)})
    for name, text in texts.items():
        (workdir / name).write_text(text, encoding="utf-8")
    filters = [drawtext(f"s{index}-title.txt", bold, 36 * S, str(96 * S), start, end)]
    for n, _ in enumerate(slide.lines):
        filters.append(
            drawtext(
                f"s{index}-line{n}.txt",
                regular,
                26 * S,
                str((180 + 44 * n) * S),
                start,
                end,
                color="white@0.92",
            )
        )
    filters.append(
        drawtext(
            f"s{index}-page.txt",
            regular,
            18 * S,
            f"h-{32 * S}",
            start,
            end,
            x=f"w-text_w-{24 * S}",
            color="white@0.85",
        )
    )
    return filters


def video_filter(clip: Clip, workdir: Path, fonts: tuple[str, str]) -> str:
    """The whole video filter chain: bands, topic label, then every slide's text."""
    topic = TOPICS[clip.topic]
    (workdir / "topic.txt").write_text(f"BPR研修 | {topic.label}", encoding="utf-8")
    filters = [
        f"drawbox=x=0:y=0:w=iw:h={8 * S}:color={topic.accent}:t=fill",
        f"drawbox=x=0:y=ih-{46 * S}:w=iw:h={46 * S}:color=black@0.25:t=fill",
        drawtext("topic.txt", fonts[0], 18 * S, f"h-{32 * S}", 0, clip.seconds, x=str(24 * S),
                 color="white@0.85"),
    ]
    for index, (slide, start) in enumerate(zip(clip.slides, clip.starts(), strict=True)):
        filters += slide_filters(slide, index, len(clip.slides), start, workdir, fonts)
    return ",".join(filters)


def ffmpeg_command(ffmpeg: str, clip: Clip, graph: str, output: Path) -> list[str]:
    """Arguments for rendering `clip`; bitexact flags keep re-runs byte-identical."""
    topic, seconds = TOPICS[clip.topic], clip.seconds
    keyframes = ",".join(str(t) for t in clip.starts())
    return [
        ffmpeg,
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"color=c={topic.background}:s={WIDTH}x{HEIGHT}:r={FPS}:d={seconds}",
        "-f",
        "lavfi",
        "-i",
        f"anullsrc=channel_layout=mono:sample_rate={SAMPLE_RATE}",
        "-filter_complex",
        f"[0:v]{graph}[v];[1:a]atrim=duration={seconds}[a]",
        "-map",
        "[v]",
        "-map",
        "[a]",
        "-t",
        str(seconds),
        "-c:v",
        "libx264",
        "-preset",
        "slow",
        "-tune",
        "stillimage",
        "-crf",
        "28",
        "-pix_fmt",
        "yuv420p",
        "-g",
        str(FPS * 5),
        "-force_key_frames",
        keyframes,
        "-c:a",
        "aac",
        "-b:a",
        "48k",
        "-ac",
        "1",
        "-map_metadata",
        "-1",
        "-fflags",
        "+bitexact",
        "-flags:v",
        "+bitexact",
        "-flags:a",
        "+bitexact",
        "-movflags",
        "+faststart",
        str(output),
    ]


def render(ffmpeg: str, clip: Clip, fonts: tuple[str, str]) -> Path:
    """Render one clip to videos/<slug>.mp4, leaving no partial file on failure."""
    output = VIDEOS / f"{clip.slug}.mp4"
    partial = output.with_suffix(".part.mp4")
    with tempfile.TemporaryDirectory(prefix="clipportal-demo-") as tmp:
        graph = video_filter(clip, Path(tmp), fonts)
        result = subprocess.run(
            ffmpeg_command(ffmpeg, clip, graph, partial.resolve()),
            cwd=tmp,
            capture_output=True,
            text=True,
        )
    if result.returncode != 0 or not partial.is_file() or partial.stat().st_size < 10_000:
        partial.unlink(missing_ok=True)
        raise DemoError(f"ffmpeg failed for {clip.slug}:\n{result.stderr.strip()}")
    partial.replace(output)
    return output


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Render the demo clips into videos/.")
    parser.add_argument(
        "--only",
        metavar="SLUG",
        action="append",
        choices=[clip.slug for clip in CLIPS],
        help="render just this clip (repeatable)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    clips = [clip for clip in CLIPS if not args.only or clip.slug in args.only]
    try:
        ffmpeg = find_ffmpeg()
        fonts = (find_font("Regular"), find_font("Bold"))
        VIDEOS.mkdir(exist_ok=True)
        for clip in clips:
            output = render(ffmpeg, clip, fonts)
            size_kb = output.stat().st_size / 1024
            print(f"{output.relative_to(ROOT)}  {clip.seconds:3d} s  {size_kb:6.0f} KB")
    except DemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
