"""Captions: every real-world caption file in, strict WebVTT and exact Japanese text out.

Real files only: committed samples in tests/data/captions/ plus files written here with
Python's codecs. The strict check runs the W3C validator's parser (npm webvtt-parser@2.2.0)
through tests/js/validate_vtt.mjs.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import webvtt
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from clipportal.captions.parse import (
    CaptionTrack,
    Cue,
    check_track,
    language_label,
    parse_caption_name,
    read_captions,
)
from clipportal.captions.webvtt import chapters_webvtt, write_webvtt
from clipportal.errors import CaptionError, Problem

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "captions"
VALIDATOR = Path(__file__).parent / "js" / "validate_vtt.mjs"
NODE = shutil.which("node")
PARSER_INSTALLED = (ROOT / "node_modules" / "webvtt-parser" / "parser.js").is_file()

SENTENCES = (
    "業務フローを書き出します",
    "まず、現状の手順を付箋に書きましょう。",
    "所要時間は１件あたり１５分です",
    "「申請手続き」のデジタル化",
)
# Every encoding a Japanese office sends, as (codec, prefix bytes).
ENCODINGS = {
    "utf-8": ("utf-8", b""),
    "utf-8-bom": ("utf-8", b"\xef\xbb\xbf"),
    "utf-16-le-bom": ("utf-16-le", b"\xff\xfe"),
    "utf-16-be-bom": ("utf-16-be", b"\xfe\xff"),
    "utf-16-le": ("utf-16-le", b""),
    "cp932": ("cp932", b""),
    "shift_jis": ("shift_jis", b""),
    "euc_jp": ("euc_jp", b""),
    "iso2022_jp": ("iso2022_jp", b""),
}


# ----------------------------------------------------------------------------- helpers


def read(path: Path, lang: str = "ja") -> tuple[CaptionTrack, list[Problem]]:
    return read_captions(path, f"captions/{path.name}", "intro", lang)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    codec, prefix = ENCODINGS.get(encoding, (encoding, b""))
    path.write_bytes(prefix + text.encode(codec))
    return path


def timings(track: CaptionTrack) -> list[tuple[float, float, str]]:
    return [(c.start, c.end, c.text) for c in track.cues]


def srt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, minutes, secs = millis // 3_600_000, millis // 60_000 % 60, millis // 1000 % 60
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis % 1000:03d}"


def as_srt(cues: Sequence[tuple[float, float, str]], newline: str = "\n") -> str:
    blocks = [
        f"{i}{newline}{srt_time(s)} --> {srt_time(e)}{newline}{t.replace(chr(10), newline)}"
        for i, (s, e, t) in enumerate(cues, 1)
    ]
    return (newline * 2).join(blocks) + newline


def as_vtt(cues: Sequence[tuple[float, float, str]]) -> str:
    return "WEBVTT\n\n" + as_srt(cues).replace(",", ".")


def as_sbv(cues: Sequence[tuple[float, float, str]]) -> str:
    def clock(seconds: float) -> str:
        return srt_time(seconds)[1:].replace(",", ".")

    return "\n\n".join(f"{clock(s)},{clock(e)}\n{t}" for s, e, t in cues) + "\n"


FORMATS: dict[str, Callable[[Sequence[tuple[float, float, str]]], str]] = {
    "srt": as_srt,
    "vtt": as_vtt,
    "sbv": as_sbv,
}


def strict_errors(paths: Sequence[Path], mode: str | None = None) -> dict[str, Any]:
    """Run the W3C validator's parser on WebVTT files; {path: {"errors": [...], "cues": n}}."""
    if NODE is None:
        pytest.skip("node is not installed, so the strict WebVTT parser (npm) cannot run")
    if not PARSER_INSTALLED:
        pytest.fail("run `npm ci` (or `npm i -E webvtt-parser@2.2.0`) in the repository root")
    args = [NODE, str(VALIDATOR), *([f"--mode={mode}"] if mode else []), *map(str, paths)]
    done = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def assert_strict(texts: Sequence[str], tmp_path: Path, mode: str | None = None) -> None:
    paths = [tmp_path / f"strict-{i}.vtt" for i in range(len(texts))]
    for path, text in zip(paths, texts, strict=True):
        path.write_text(text, encoding="utf-8")
    report = strict_errors(paths, mode)
    failures = {path: found for path, found in report.items() if found["errors"]}
    assert not failures, failures


def read_back_with_webvtt_py(text: str) -> list[tuple[int, int, str, str | None]]:
    captions = webvtt.from_string(text, strict=True).captions
    return [
        (c.start_time.in_milliseconds(), c.end_time.in_milliseconds(), c.raw_text, c.identifier)
        for c in captions
    ]


# ------------------------------------------------------------------------------ names


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("intro.ja.srt", ("intro", "ja", "srt")),
        ("intro.srt", ("intro", "ja", "srt")),
        ("intro.ja-x-easy.vtt", ("intro", "ja-x-easy", "vtt")),
        ("flow-mapping-2.en.sbv", ("flow-mapping-2", "en", "sbv")),
        ("intro.zh-hant.vtt", ("intro", "zh-Hant", "vtt")),
        ("intro.pt-br.SRT", ("intro", "pt-BR", "srt")),
        ("intro.ja.txt", None),
        ("intro.ja.srt.bak", None),
        ("Intro.ja.srt", None),
        ("-intro.ja.srt", None),
        ("intro.ja.x.srt", None),
        ("intro..srt", None),
        ("intro.ja_JP.srt", None),
        (".srt", None),
        ("intro", None),
    ],
)
def test_parse_caption_name(filename: str, expected: tuple[str, str, str] | None) -> None:
    assert parse_caption_name(filename, "ja") == expected


def test_caption_files_follow_the_clip_slug_rule() -> None:
    """One slug rule (paths.py): a caption name is valid exactly when its clip's name is."""
    from clipportal.paths import MAX_SLUG, is_valid_slug

    for slug in ("a" * MAX_SLUG, "a" * (MAX_SLUG + 1), "x-1", "-x", "x_1", "Ｘ"):
        parsed = parse_caption_name(f"{slug}.ja.srt", "ja")
        assert (parsed is not None) == is_valid_slug(slug), slug
    assert not is_valid_slug("a" * (MAX_SLUG + 1))


@pytest.mark.parametrize(
    ("lang", "label"),
    [
        ("ja", "日本語"),
        ("en", "English"),
        ("ja-x-easy", "やさしい日本語"),
        ("zh", "中文（簡体字）"),
        ("zh-Hans", "中文（簡体字）"),
        ("zh-CN", "中文（簡体字）"),
        ("zh-Hant", "中文（繁體字）"),
        ("zh-TW", "中文（繁體字）"),
        ("ko", "한국어"),
        ("pt", "Português"),
        ("pt-BR", "Português"),
        ("es", "Español"),
        ("vi", "Tiếng Việt"),
        ("ne", "ne"),
        ("ja-x-other", "ja-x-other"),
    ],
)
def test_language_label(lang: str, label: str) -> None:
    assert language_label(lang) == label


# ------------------------------------------------------------------ committed samples


def test_sample_cp932_crlf_srt_is_cleaned_and_warns() -> None:
    track, warnings = read(DATA / "sjis-crlf.ja.srt")
    assert timings(track) == [
        (1.0, 3.5, "業務フローを書き出します"),
        (4.5, 7.25, "まず、現状の手順を\n付箋に書きましょう。"),
        (9.0, 12.0, "所要時間は１件あたり１５分です"),
    ]
    assert [c.line for c in track.cues] == [2, 5, 14]
    assert [(w.line, w.severity) for w in warnings] == [(5, "warning"), (10, "warning")]
    assert "read as 00:00:04,500 --> 00:00:07,250" in warnings[0].message  # "." in SRT
    assert "no text" in warnings[1].message
    assert all(w.path == "captions/sjis-crlf.ja.srt" for w in warnings)


def test_sample_utf16le_srt() -> None:
    track, warnings = read(DATA / "utf16le-bom.ja.srt")
    assert timings(track) == [
        (0.5, 2.0, "申請手続きのデジタル化"),
        (2.0, 4.0, "<i>福祉課の職員に</i>聞きました"),
    ]
    assert warnings == []


def test_sample_webvtt_with_header_lines_style_note_region() -> None:
    track, warnings = read(DATA / "ffmpeg-header.ja.vtt")
    assert timings(track) == [
        (1.0, 3.0, "<v 福祉課 職員>ツール選定の &amp; 基準</v>"),
        (65.0, 67.5, "職員の声を<b>聞く</b>"),
    ]
    assert track.cues[0].plain_text() == "ツール選定の & 基準"
    assert warnings == []


def test_sample_eucjp_sbv() -> None:
    track, _ = read(DATA / "eucjp.ja.sbv")
    assert timings(track) == [
        (0.0, 2.0, "目標設定から始めます"),
        (2.0, 5.0, "会議の資料を作成します"),
    ]


def test_sample_cr_only_english() -> None:
    track, _ = read(DATA / "cr-only.en.srt", "en")
    assert timings(track) == [
        (1.0, 2.0, "Let's map the <i>workflow</i>."),
        (2.5, 4.0, "Q&amp;A: staff <u>voices</u>"),
    ]
    assert track.cues[1].plain_text() == "Q&A: staff voices"


def test_sample_utf16be_easy_japanese_keeps_inner_spaces() -> None:
    track, _ = read(DATA / "utf16be-bom.ja-x-easy.vtt", "ja-x-easy")
    assert timings(track) == [(0.0, 2.0, "これから　しごとの　ながれを　かきます")]


def test_every_sample_becomes_strict_webvtt_with_the_same_text(tmp_path: Path) -> None:
    samples = sorted(p for p in DATA.iterdir() if p.suffix in (".srt", ".vtt", ".sbv"))
    tracks = [read(p, "en" if ".en." in p.name else "ja")[0] for p in samples]
    outputs = [write_webvtt(t.cues) for t in tracks]
    assert_strict(outputs, tmp_path)
    for track, output in zip(tracks, outputs, strict=True):
        back = read_back_with_webvtt_py(output)
        assert [b[2] for b in back] == [c.text for c in track.cues]


# ------------------------------------------------------------- encodings x formats


def test_every_encoding_and_format_gives_strict_webvtt(tmp_path: Path) -> None:
    cues = [(i * 2.0, i * 2.0 + 1.5, s) for i, s in enumerate(SENTENCES)]
    outputs = []
    for encoding in sorted(ENCODINGS):
        for fmt, render in sorted(FORMATS.items()):
            path = write(tmp_path / f"{encoding}.ja.{fmt}", render(cues), encoding)
            outputs.append(write_webvtt(read(path)[0].cues))
    assert all(out.count("業務フローを書き出します") == 1 for out in outputs)
    assert_strict(outputs, tmp_path)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_japanese_round_trips_in_every_encoding_and_format(
    tmp_path: Path, encoding: str, fmt: str
) -> None:
    cues = [(i * 2.0, i * 2.0 + 1.5, s) for i, s in enumerate(SENTENCES)]
    path = write(tmp_path / f"clip.ja.{fmt}", FORMATS[fmt](cues), encoding)
    track, warnings = read(path)
    assert timings(track) == cues
    assert warnings == []


# ------------------------------------------------------------------ undecodable files


def undecodable_samples() -> dict[str, bytes]:
    cues = [(i * 2.0, i * 2.0 + 1.5, s) for i, s in enumerate(SENTENCES)]
    rng = random.Random(4)
    return {
        "random": bytes(rng.randrange(256) for _ in range(2000)),
        "random-no-nul": bytes(rng.randrange(1, 256) for _ in range(2000)),
        "utf8+cp932": as_srt(cues).encode() + as_srt(cues).encode("cp932"),
        "cp932+utf8": as_srt(cues).encode("cp932") + as_srt(cues).encode(),
        "euc+cp932": as_srt(cues).encode("euc_jp") + as_srt(cues).encode("cp932"),
        "cp932+euc": as_srt(cues).encode("cp932") + as_srt(cues).encode("euc_jp"),
        "utf8-bom+cp932": b"\xef\xbb\xbf" + as_srt(cues).encode("cp932"),
        "utf16-bom-odd-length": b"\xff\xfe" + as_srt(cues).encode("utf-16-le") + b"\x00",
        "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    }


@pytest.mark.parametrize("name", sorted(undecodable_samples()))
def test_undecodable_file_is_an_error_naming_it(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.ja.srt"
    path.write_bytes(undecodable_samples()[name])
    with pytest.raises(CaptionError) as caught:
        read(path)
    problem = caught.value.problems[0]
    assert problem.path == f"captions/{name}.ja.srt"
    assert problem.severity == "error"
    assert "encoding" in problem.message
    assert "UTF-8" in problem.hint
    assert f"captions/{name}.ja.srt" in str(caught.value)


def test_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(CaptionError, match=r"captions/gone\.ja\.srt: error: cannot be read"):
        read(tmp_path / "gone.ja.srt")


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("1\n00:00:01,000 --> 00:00:0x,000\ntext\n", 2),
        ("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:61:00,000 --> 00:62:00,000\nx\n", 6),
        ("1\n00:00:01,000 -> 00:00:02,000\ntext\n\n2\n00:00:03,000 --> soon\nx\n", 6),
    ],
)
def test_unreadable_timing_is_an_error_with_its_line(
    tmp_path: Path, content: str, line: int
) -> None:
    with pytest.raises(CaptionError) as caught:
        read(write(tmp_path / "bad.ja.srt", content))
    errors = [p for p in caught.value.problems if p.severity == "error"]
    assert [p.line for p in errors] == [line]


@pytest.mark.parametrize(
    "content",
    [
        "",
        "\r\n\r\n",
        "WEBVTT\n\nNOTE nothing here\n",
        "1\n00:00:01,000 --> 00:00:02,000\n<font></font>\n",
    ],
)
def test_file_without_cues_is_an_error(tmp_path: Path, content: str) -> None:
    with pytest.raises(CaptionError, match="has no cues"):
        read(write(tmp_path / "empty.ja.srt", content))


# -------------------------------------------------------------------- lenient reading


def test_missing_index_lines_and_blank_lines(tmp_path: Path) -> None:
    content = (
        "00:00:01,000 --> 00:00:02,000\n一つ目\n"
        "2\n00:00:02,000 --> 00:00:03,000\n二つ目\n"
        "00:00:03,000 --> 00:00:04,000\n三つ目\n"
    )
    track, warnings = read(write(tmp_path / "a.ja.srt", content))
    assert [c.text for c in track.cues] == ["一つ目", "二つ目", "三つ目"]
    assert [c.line for c in track.cues] == [1, 4, 6]
    assert warnings == []


def test_index_lines_alone_are_not_text_but_full_width_numbers_are(tmp_path: Path) -> None:
    content = "1\n\n00:00:01,000 --> 00:00:02,000\n１５\n00:00:03,000 --> 00:00:04,000\n次\n"
    track, warnings = read(write(tmp_path / "a.ja.srt", content))
    assert [c.text for c in track.cues] == ["１５", "次"]
    assert warnings == []


@pytest.mark.parametrize(
    ("timing", "start", "end"),
    [
        ("0:0:1,5 --> 0:0:2,25", 1.5, 2.25),
        ("00:00:01.500 --> 00:00:02.250", 1.5, 2.25),
        ("00:01.500 --> 00:02.250", 1.5, 2.25),
        ("1:02:03,004-->1:02:04,5", 3723.004, 3724.5),
        ("00:00:01 --> 00:00:02", 1.0, 2.0),
        ("00:00:01,000 --> 00:00:02,000 X1:40 X2:600 Y1:20 Y2:50", 1.0, 2.0),
        ("  00:00:01,000   -->   00:00:02,000  ", 1.0, 2.0),
    ],
)
def test_timestamp_variants(tmp_path: Path, timing: str, start: float, end: float) -> None:
    track, _ = read(write(tmp_path / "a.ja.srt", f"1\n{timing}\nテキスト\n"))
    assert (track.cues[0].start, track.cues[0].end) == (start, end)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_ends_give_the_same_cues_and_line_numbers(tmp_path: Path, newline: str) -> None:
    cues = [(1.0, 2.0, "一行目\n二行目"), (3.0, 4.0, "三行目")]
    track, _ = read(write(tmp_path / "a.ja.srt", as_srt(cues, newline)))
    assert timings(track) == cues
    assert [c.line for c in track.cues] == [2, 7]


def test_trailing_text_is_an_error_on_its_line(tmp_path: Path) -> None:
    # Line 5 is only a DOS end-of-file mark (Ctrl-Z), which is not text.
    content = as_srt([(1, 2, "本文")]) + "\n\x1a\n--\nGenerated by SubtitleTool 1.0\n"
    with pytest.raises(CaptionError) as caught:
        read(write(tmp_path / "a.ja.srt", content))
    assert [(p.line, p.severity) for p in caught.value.problems] == [(6, "error")]
    assert "text with no timing line above it: '--'" in caught.value.problems[0].message


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ('<font color="red">赤い字</font>', "赤い字"),
        ("{\\an8}上に表示", "上に表示"),
        ("{\\i1}斜体{\\i0}", "斜体"),
        ("<b>太字</b>と<i>斜体</i>と<u>下線</u>", "<b>太字</b>と<i>斜体</i>と<u>下線</u>"),
        ("<B>大文字</B>", "<b>大文字</b>"),
        ("<b class='x'>属性</b>", "<b>属性</b>"),
        ("<v.loud 司会>どうぞ", "<v 司会>どうぞ</v>"),
        ("<v>名前なし</v>", "名前なし"),
        ("<v A>入れ子<v B>不可</v>", "<v A>入れ子不可</v>"),
        ("<b><i>交差</b></i>", "<b><i>交差</i></b>"),
        ("</i>閉じだけ", "閉じだけ"),
        ("<i>閉じ忘れ", "<i>閉じ忘れ</i>"),
        ("<c.yellow>色</c><lang en>en</lang><ruby>漢字<rt>かんじ</rt></ruby>", "色en漢字"),
        ("時間<00:00:01.500>経過", "時間経過"),
        ("a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"),
        ("&lt;i&gt;文字&lt;/i&gt; &amp; &nbsp;", "&lt;i&gt;文字&lt;/i&gt; &amp;"),
        ("一行目<br>二行目", "一行目\n二行目"),
        ("  前後の空白  \n\t次の行 ", "前後の空白\n次の行"),
        ("制御\x01文字\x07", "制御文字"),
        ("A --> B という流れ", "A --&gt; B という流れ"),  # spoken text, not a timing
    ],
)
def test_cue_text_is_cleaned(tmp_path: Path, raw: str, clean: str | None) -> None:
    path = write(tmp_path / "a.ja.srt", f"1\n00:00:01,000 --> 00:00:02,000\n{raw}\n")
    if clean is None:  # unreadable
        with pytest.raises(CaptionError):
            read(path)
        return
    assert read(path)[0].cues[0].text == clean


def test_empty_cues_are_dropped_with_a_warning(tmp_path: Path) -> None:
    content = as_srt([(4, 5, "<i> </i>"), (6, 7, "残る")])
    track, warnings = read(write(tmp_path / "a.ja.srt", content))
    assert [c.text for c in track.cues] == ["残る"]
    assert [(w.line, w.severity) for w in warnings] == [(2, "warning")]
    assert "no text and was dropped" in warnings[0].message


def test_zero_and_negative_durations_are_errors_not_dropped_cues(tmp_path: Path) -> None:
    content = as_srt([(1, 1, "ゼロ"), (3, 2, "負"), (6, 7, "残る")])
    with pytest.raises(CaptionError) as caught:
        read(write(tmp_path / "a.ja.srt", content))
    assert [(p.line, p.severity) for p in caught.value.problems] == [(2, "error"), (6, "error")]
    assert "starts and ends at the same time" in caught.value.problems[0].message
    assert "ends before it starts (00:00:03,000 --> 00:00:02,000)" in str(caught.value)


def test_webvtt_without_blank_line_after_header(tmp_path: Path) -> None:
    content = "WEBVTT - from a tool\nKind: captions\n00:00:01.000 --> 00:00:02.000\n字幕\n"
    track, warnings = read(write(tmp_path / "a.ja.vtt", content))
    assert [c.text for c in track.cues] == ["字幕"]
    assert warnings == []


def test_content_decides_the_format_not_the_extension(tmp_path: Path) -> None:
    vtt_named_srt = write(tmp_path / "a.ja.srt", as_vtt([(1, 2, "中身はWebVTT")]))
    sbv_named_vtt = write(tmp_path / "b.ja.vtt", as_sbv([(1, 2, "中身はSBV")]))
    assert read(vtt_named_srt)[0].cues[0].text == "中身はWebVTT"
    assert read(sbv_named_vtt)[0].cues[0].text == "中身はSBV"


# ------------------------------------------------- typos: repaired, or an error on their line

FIRST = "1\n00:00:01,000 --> 00:00:03,000\n最初の字幕\n\n"


def outcome(path: Path) -> tuple[list[str], list[Problem]]:
    """(cue texts, problems): no cue texts when reading failed."""
    try:
        track, warnings = read(path)
    except CaptionError as err:
        return [], list(err.problems)
    return [c.text for c in track.cues], warnings


@pytest.mark.parametrize(
    ("timing", "says"),
    [
        ("00:00:05,000 -> 00:00:07,000", "arrow"),  # the tester's file (issue 10)
        ("00:00:05,000 => 00:00:07,000", "arrow"),
        ("00:00:05,000 ー> 00:00:07,000", "arrow"),
        ("00:00:05,000 －＞ 00:00:07,000", "arrow"),
        ("00:00:05,000 ーー＞ 00:00:07,000", "arrow"),
        ("00:00:05,000 → 00:00:07,000", "arrow"),
        ("00:00:05,000 −> 00:00:07,000", "arrow"),
        ("00:00:05,000 —> 00:00:07,000", "arrow"),
        ("00:00:05,000 - -> 00:00:07,000", "arrow"),
        ("00:00:05,000 〜 00:00:07,000", "arrow"),
        ("00:00:05,000 00:00:07,000", "arrow"),
        ("００：００：０５，０００ --> ００：００：０７，０００", "full-width"),
        ("00:00:05、000 --> 00:00:07、000", "full-width"),  # the IME's comma
        ("00:00:05,000\u3000-->\u300000:00:07,000", "full-width"),
        ("00:00:05.000 --> 00:00:07.000", "after ','"),
        ("00:00:05:000 --> 00:00:07:000", "after ','"),
        ("00:05,000 --> 00:07,000", "no hours"),
        ("00:00:05 ,000 --> 00:00:07, 000", "spaces"),
        ("00: 00:05,000 --> 00:00:07,000", "spaces"),
        ("00:00:05,000-->00:00:07,000", "spaces"),
        ("00:00:05,000   -->  00:00:07,000", "spaces"),
    ],
)
def test_mistyped_srt_timing_is_read_with_a_warning_on_its_line(
    tmp_path: Path, timing: str, says: str
) -> None:
    path = write(tmp_path / "a.ja.srt", f"{FIRST}2\n{timing}\n消えない字幕\n")
    texts, problems = outcome(path)
    assert texts == ["最初の字幕", "消えない字幕"]
    assert [(p.line, p.severity) for p in problems] == [(6, "warning")]
    assert says in problems[0].message
    assert "read as 00:00:05,000 --> 00:00:07,000" in problems[0].message
    assert read(path)[0].cues[1].start == 5.0


@pytest.mark.parametrize(
    ("fmt", "timing", "says"),
    [
        ("vtt", "00:00:05,000 --> 00:00:07,000", "after '.'"),
        ("vtt", "００:００:０５.０００ --> 00:00:07.000", "full-width"),
        ("vtt", "00:05.000 -> 00:07.000", "arrow"),
        ("sbv", "0:00:05.000、0:00:07.000", "full-width"),
        ("sbv", "0:00:05,000,0:00:07,000", "after '.'"),
        ("sbv", "00:05.000,00:07.000", "no hours"),
        ("sbv", "0:00:05.000 , 0:00:07.000", "spaces"),
        ("sbv", "0:00:05.000 --> 0:00:07.000", "comma"),
    ],
)
def test_mistyped_vtt_and_sbv_timings_are_read_with_a_warning(
    tmp_path: Path, fmt: str, timing: str, says: str
) -> None:
    first = {
        "vtt": "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n最初の字幕\n\n",
        "sbv": "0:00:01.000,0:00:03.000\n最初の字幕\n\n",
    }[fmt]
    path = write(tmp_path / f"a.ja.{fmt}", f"{first}{timing}\n消えない字幕\n")
    texts, problems = outcome(path)
    assert texts == ["最初の字幕", "消えない字幕"]
    line = 6 if fmt == "vtt" else 4
    assert [(p.line, p.severity) for p in problems] == [(line, "warning")]
    assert says in problems[0].message


def test_one_warning_per_kind_of_repair_naming_the_other_lines(tmp_path: Path) -> None:
    cues = [(i * 2.0, i * 2.0 + 1.0, f"字幕{i}") for i in range(9)]
    content = as_srt(cues).replace("-->", "->")
    texts, problems = outcome(write(tmp_path / "a.ja.srt", content))
    assert len(texts) == 9
    assert [(p.line, p.severity) for p in problems] == [(2, "warning")]
    assert "(also on lines 6, 10, 14, 18, 22 and 3 more)" in problems[0].message


def test_full_width_cue_number_is_read_as_the_number(tmp_path: Path) -> None:
    content = f"{FIRST}１２\n00:00:05,000 --> 00:00:07,000\n消えない字幕\n"
    texts, problems = outcome(write(tmp_path / "a.ja.srt", content))
    assert texts == ["最初の字幕", "消えない字幕"]
    assert [(p.line, p.severity) for p in problems] == [(5, "warning")]
    assert "cue number" in problems[0].message and "read as 12" in problems[0].message


def test_mistyped_timing_with_the_blank_line_missing_starts_a_new_cue(tmp_path: Path) -> None:
    content = f"{FIRST.rstrip()}\n2\n00:00:05,000 ー＞ 00:00:07,000\n消えない字幕\n"
    texts, problems = outcome(write(tmp_path / "a.ja.srt", content))
    assert texts == ["最初の字幕", "消えない字幕"]
    assert [(p.line, p.severity) for p in problems] == [(5, "warning")]


def test_ime_typed_sample_in_cp932_reads_every_caption() -> None:
    track, warnings = read(DATA / "ime-typed.ja.srt")
    assert [c.text for c in track.cues] == [
        "全角で入力した時刻です",
        "矢印も全角です",
        "区切りは読点",
    ]
    assert [(c.start, c.end) for c in track.cues] == [(1.0, 3.5), (4.0, 6.0), (6.5, 8.25)]
    assert [(w.line, w.severity) for w in warnings] == [
        (1, "warning"),
        (2, "warning"),
        (6, "warning"),
    ]
    assert "cue number" in warnings[0].message and "also on lines 5, 9" in warnings[0].message
    assert "full-width" in warnings[1].message and "also on line 10" in warnings[1].message
    assert "arrow" in warnings[2].message


@pytest.mark.parametrize(
    ("content", "line", "says"),
    [
        # the end before the start, or no time at all: which time is wrong is a guess
        (f"{FIRST}2\n00:00:07,000 --> 00:00:05,000\n字幕\n", 6, "ends before it starts"),
        (f"{FIRST}2\n00:00:05,000 --> 00:00:05,000\n字幕\n", 6, "same time"),
        (f"{FIRST}2\n00:00:0x,000 --> 00:00:07,000\n字幕\n", 6, "cannot read the cue timing"),
        (f"{FIRST}2\n00:00:05:12 --> 00:00:07:00\n字幕\n", 6, "cannot read the cue timing"),
        (f"{FIRST}2\n00:00:05,000 -> 00:00:07,000 字幕\n", 6, "text after the timing"),
        (f"{FIRST}2\n00:00:05,000 -> 00:00:07,000字幕\n", 6, "text after the timing"),
        # text that no timing line leads to
        (f"{FIRST}2\n字幕\n", 6, "no timing line above it: '字幕'"),
        (f"{FIRST}2\n2024\n", 6, "no timing line above it: '2024'"),
        (f"{FIRST}字幕\n", 5, "no timing line above it"),
        ("1\n00:00:01,000 --> 00:00:03,000\n一行目\n\n二行目\n", 5, "no timing line above"),
        (f"{FIRST}2\n00:00:05,000 --> 00:00:07,000\n\n字幕\n", 8, "no timing line above"),
        (f"{FIRST}42\n", 5, "a number with no timing line after it"),
        (f"{FIRST}2\n３\n00:00:05,000 --> 00:00:07,000\n字幕\n", 5, "no timing line above"),
        # the blank line is missing, so this would have become text of the cue above
        (f"{FIRST.rstrip()}\n2\n00:00:0x,000 --> 00:00:07,000\n字幕\n", 5, "cannot read"),
        # a time in the words: it split the cue and dropped 「の会議」
        ("1\n10:00 --> 11:00 の会議\n", 2, "text after the timing"),
    ],
)
def test_lost_caption_text_is_an_error_naming_its_line(
    tmp_path: Path, content: str, line: int, says: str
) -> None:
    texts, problems = outcome(write(tmp_path / "a.ja.srt", content))
    errors = [p for p in problems if p.severity == "error"]
    assert texts == [] and [p.line for p in errors] == [line], problems
    assert says in errors[0].message and errors[0].hint
    assert errors[0].path == "captions/a.ja.srt"


@pytest.mark.parametrize(
    ("name", "content", "line", "says"),
    [
        (
            "a.ja.vtt",
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000 align:start 字幕\n",
            3,
            "text after the timing",
        ),
        (
            "a.ja.vtt",
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000 positon 10%\n字幕\n",
            3,
            "text after the timing: 'positon 10%'",
        ),
        (
            "a.ja.vtt",
            "WEBVTT\n\nintro\n字幕\n\n00:00:03.000 --> 00:00:04.000\n次\n",
            3,
            "no timing line above",
        ),
        (
            "a.ja.sbv",
            "0:00:01.000,0:00:02.000\n字幕\n\n0:00:0x.000,0:00:04.000\n次\n",
            4,
            "cannot read the cue timing",
        ),
        ("a.ja.sbv", "0:00:01.000,0:00:02.000\n字幕\n\n次の字幕\n", 4, "no timing line above"),
    ],
)
def test_lost_caption_text_in_vtt_and_sbv_is_an_error(
    tmp_path: Path, name: str, content: str, line: int, says: str
) -> None:
    texts, problems = outcome(write(tmp_path / name, content))
    errors = [p for p in problems if p.severity == "error"]
    assert texts == [] and [p.line for p in errors] == [line], problems
    assert says in errors[0].message


def test_times_inside_cue_text_stay_text(tmp_path: Path) -> None:
    content = (
        "1\n00:00:01,000 --> 00:00:03,000\n受付は\n９：００〜１７：００\n10:00 --> 11:00 の会議\n"
    )
    texts, problems = outcome(write(tmp_path / "a.ja.srt", content))
    assert texts == ["受付は\n９：００〜１７：００\n10:00 --&gt; 11:00 の会議"]
    assert problems == []


def test_every_error_is_reported_with_the_warnings(tmp_path: Path) -> None:
    content = (
        "1\n00:00:01,000 -> 00:00:02,000\n一\n\n2\n00:00:04,000 --> 00:00:03,000\n二\n\n"
        "三\n\n4\n00:00:05,000 --> 00:00:06,000\n四\n"
    )
    _, problems = outcome(write(tmp_path / "a.ja.srt", content))
    assert [(p.line, p.severity) for p in problems] == [
        (2, "warning"),
        (6, "error"),
        (9, "error"),
    ]


# --------------------------------------------------------------------------- checking


def track_of(*cues: tuple[float, float, str]) -> CaptionTrack:
    made = tuple(Cue(s, e, t, i * 4 + 2) for i, (s, e, t) in enumerate(cues))
    return CaptionTrack("intro", "ja", "captions/intro.ja.srt", made)


def test_check_track_warns_about_order_and_overlap() -> None:
    track = track_of((5, 6, "あ"), (1, 2, "い"), (1.5, 3, "う"))
    same, problems = check_track(track, None)
    assert same == track
    assert [(p.line, p.severity) for p in problems] == [(6, "warning"), (10, "warning")]
    assert "before the cue above it (line 2" in problems[0].message
    assert "still shown until 00:00:02.000" in problems[1].message


def test_check_track_trims_cues_past_the_end_and_refuses_cues_after_it() -> None:
    # a cue that starts after the end would never be shown: the editor's text would be lost
    # behind a warning, so it is an error on its own line
    track = track_of((1, 2, "あ"), (9, 12, "い"), (12.5, 13, "う"), (13, 14, "え"))
    fitted, problems = check_track(track, 10.0)
    assert [(c.start, c.end, c.text) for c in fitted.cues] == [(1, 2, "あ"), (9, 10.0, "い")]
    assert [(p.line, p.severity, "trimmed" in p.message) for p in problems] == [
        (6, "warning", True),
        (10, "error", False),
        (14, "error", False),
    ]
    assert "after the clip ends" in problems[1].message


def test_check_track_reading_speed_counts_characters_without_spaces() -> None:
    fast = "業務フローを書き出します"  # 12 characters in 1 second
    track = track_of((0, 1, fast), (1, 3, "ゆっくり　読めます"), (3, 4, "<b>a b c d e f g h</b>"))
    _, problems = check_track(track, None, max_cps=8.0)
    assert [p.line for p in problems] == [2]
    assert "12.0 characters/second" in problems[0].message
    assert check_track(track, None, max_cps=13.0)[1] == []


# --------------------------------------------------------------------------- writing


def test_write_webvtt_layout_and_unique_ids(tmp_path: Path) -> None:
    cues = [
        Cue(155.0, 156.0, "一", 1),
        Cue(155.5, 157.0, "二", 5),
        Cue(155.9, 158.0, "三", 9),
        Cue(3723.004, 3724.5, "<v 司会>四</v>", 13),
    ]
    text = write_webvtt(cues)
    assert text == (
        "WEBVTT\n\n"
        "t-155\n00:02:35.000 --> 00:02:36.000\n一\n\n"
        "t-155-2\n00:02:35.500 --> 00:02:37.000\n二\n\n"
        "t-155-3\n00:02:35.900 --> 00:02:38.000\n三\n\n"
        "t-3723\n01:02:03.004 --> 01:02:04.500\n<v 司会>四</v>\n"
    )
    assert_strict([text], tmp_path)


def test_write_webvtt_sorts_and_skips_what_strict_parsers_reject(tmp_path: Path) -> None:
    cues = [
        Cue(5, 6, "後", 1),
        Cue(1, 2, "先", 2),
        Cue(3, 3.0004, "短すぎ", 3),
        Cue(float("nan"), 4, "NaN", 4),
        Cue(7, 8, "空行\n\n入り -->", 5),
    ]
    text = write_webvtt(cues)
    assert [c[2] for c in read_back_with_webvtt_py(text)] == ["先", "後", "空行\n入り --&gt;"]
    assert_strict([text, write_webvtt([])], tmp_path)


def test_write_webvtt_reads_back_with_webvtt_py(tmp_path: Path) -> None:
    track, _ = read(DATA / "sjis-crlf.ja.srt")
    back = read_back_with_webvtt_py(write_webvtt(track.cues))
    assert back == [
        (round(c.start * 1000), round(c.end * 1000), c.text, f"t-{int(c.start)}")
        for c in track.cues
    ]


def test_chapters_webvtt_escapes_titles(tmp_path: Path) -> None:
    chapters = [(65.0, 120.0, "所要時間を<測る> & 記録"), (0.0, 65.0, "はじめに\n（概要）")]
    text = chapters_webvtt(chapters)
    assert text == (
        "WEBVTT\n\n"
        "chapter-1\n00:00:00.000 --> 00:01:05.000\nはじめに （概要）\n\n"
        "chapter-2\n00:01:05.000 --> 00:02:00.000\n所要時間を&lt;測る&gt; &amp; 記録\n"
    )
    assert_strict([text], tmp_path, mode="chapters")


def test_plain_text_unescapes_and_joins_lines() -> None:
    cue = Cue(0, 1, "<v 司会>Q&amp;A：\n<b>&lt;申請&gt;</b></v>", 1)
    assert cue.plain_text() == "Q&A： <申請>"


# ----------------------------------------------------------------- property tests

# Common (JIS level 1) kanji; 続 and 側 are also valid UTF-8 when encoded as EUC-JP.
KANJI = "業務書出現状手順付所要時間件申請続化福祉課職員聞目標設定会議資料作成選基準声始側"
ALPHABET = (
    "".join(chr(c) for c in range(ord("ぁ"), ord("ん") + 1))
    + "".join(chr(c) for c in range(ord("ァ"), ord("ヶ") + 1))
    + KANJI
    + "「」、。・ー！？（）１５"
    + "abcXYZ0189 &<!?.,-'\""
)
LINE = st.text(ALPHABET, min_size=1, max_size=20).map(str.strip).filter(bool)
CUE_TEXT = st.lists(LINE, min_size=1, max_size=3).map("\n".join)


@st.composite
def cue_lists(draw: st.DrawFn) -> list[tuple[float, float, str]]:
    texts = draw(st.lists(CUE_TEXT, min_size=1, max_size=6))
    gaps = draw(st.lists(st.integers(0, 5000), min_size=len(texts), max_size=len(texts)))
    lengths = draw(st.lists(st.integers(1, 8000), min_size=len(texts), max_size=len(texts)))
    cues, clock = [], 0
    for text, gap, length in zip(texts, gaps, lengths, strict=True):
        start = clock + gap
        cues.append((start / 1000, (start + length) / 1000, text))
        clock = start + length
    return cues


def reads_as_japanese(text: str) -> bool:
    # Six or more kanji and no kana at all in EUC-JP are the same bytes as half-width
    # katakana in CP932: genuinely ambiguous, and refused (see the test below).
    kanji = sum(1 for ch in text if ch in KANJI)
    return kanji < 6 or any("ぁ" <= ch <= "ヶ" for ch in text)


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cues=cue_lists(),
    encoding=st.sampled_from(sorted(ENCODINGS)),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_property_srt_in_any_encoding_reads_back_as_the_same_cues(
    tmp_path: Path, cues: list[tuple[float, float, str]], encoding: str, newline: str
) -> None:
    assume(encoding.startswith("utf") or reads_as_japanese("".join(t for *_, t in cues)))
    path = write(tmp_path / "p.ja.srt", as_srt(cues, newline), encoding)
    track, warnings = read(path)
    assert timings(track) == [(s, e, escaped(t)) for s, e, t in cues]
    assert warnings == []


@settings(
    max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.builds(
            lambda parts, enc: "".join(parts).encode(enc, errors="replace"),
            st.lists(
                st.sampled_from(
                    [
                        "1\n",
                        "00:00:01,000 --> 00:00:02,000\n",
                        "0:0:3.5 --> 0:0:1\n",
                        "\n",
                        "\r",
                        "WEBVTT\n",
                        "NOTE x\n",
                        "0:00:01.000,0:00:02.000\n",
                        "<v>",
                        "<b>",
                        "</i>",
                        "&amp",
                        "{\\an8}",
                        "-->",
                        "業務フロー",
                        "\x00",
                        "\ufeff",
                        "99999:59:59.999",
                    ]
                ),
                max_size=30,
            ),
            st.sampled_from(["utf-8", "cp932", "euc_jp", "utf-16"]),
        ),
    ),
    ext=st.sampled_from(["srt", "vtt", "sbv"]),
)
def test_property_any_bytes_give_cues_or_a_caption_error(
    tmp_path: Path, data: bytes, ext: str
) -> None:
    path = tmp_path / f"fuzz.ja.{ext}"
    path.write_bytes(data)
    try:
        track, _ = read(path)
    except CaptionError as err:
        assert err.problems and all(p.path == f"captions/{path.name}" for p in err.problems)
        return
    assert track.cues
    for cue in track.cues:
        assert cue.end > cue.start >= 0
        assert cue.plain_text().strip()
    read_back_with_webvtt_py(write_webvtt(track.cues))


RAW_TEXT = st.lists(
    st.one_of(
        st.text(ALPHABET + ">\n\t\x01\x1b", max_size=8),
        st.sampled_from(
            [
                "<b>",
                "</b>",
                "<i>",
                "</i>",
                "<u>",
                "</u>",
                "<v 司会>",
                "<v.a b>",
                "</v>",
                "<v>",
                "<font color=red>",
                "</font>",
                "<c.x>",
                "<ruby>",
                "<rt>",
                "</rt>",
                "&amp;",
                "&lt;",
                "&#60;",
                "&nbsp;",
                "&bogus;",
                "{\\an8}",
                "<00:00:01.000>",
                "<br/>",
                "<3",
                "- ->",
            ]
        ),
    ),
    max_size=12,
).map("".join)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.lists(RAW_TEXT, min_size=1, max_size=8))
def test_property_cleaned_text_always_passes_the_strict_parser(
    tmp_path: Path, texts: list[str]
) -> None:
    srt = as_srt([(i, i + 0.5, t.replace("-->", "->")) for i, t in enumerate(texts)])
    try:
        track, _ = read(write(tmp_path / "x.ja.srt", srt))
    except CaptionError:
        return  # nothing left after cleaning, or a text line that looks like a timing
    output = write_webvtt(track.cues)
    assert [c[2] for c in read_back_with_webvtt_py(output)] == [c.text for c in track.cues]
    assert_strict([output], tmp_path)
