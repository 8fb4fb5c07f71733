"""Property: a caption is never lost without an error (issue 10).

Valid SRT, WebVTT and SBV files with Japanese cues are generated, then one typo from the
families editors actually make is put on one line. Reading the file must then either give
cues holding every text line of the file, or fail with an error on the damaged line. Typos
whose meaning is clear must be read (with a warning on that line); the others must fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_cli import portal

from clipportal.captions.parse import read_captions
from clipportal.errors import CaptionError, Problem

KANA = "".join(chr(c) for c in range(ord("ぁ"), ord("ん") + 1)) + "アイウエオカキクケコサシスセソ"
JAPANESE = KANA + "業務書出現状手順付所要時間申請福祉課職員目標設定会議資料" + "、。「」！？ー"
TEXT_LINE = st.text(JAPANESE, min_size=1, max_size=16)
FULL_WIDTH = str.maketrans("0123456789:", "０１２３４５６７８９：")
ARROWS = ("->", "=>", "ー>", "－＞", "ーー＞", "→", "−>", "—>", "--＞", "- ->", "-- >", "〜", "-")
SBV_COMMAS = ("、", "，", " , ", ", ", " ,")
SPACES = (" ", "\u3000")


@dataclass(frozen=True)
class Doc:
    """A caption file as lines, with what each line is: header, index, timing, text, blank."""

    fmt: str
    lines: tuple[str, ...]
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Damaged:
    doc: Doc
    line: int
    """1-based line of the damage (after the typo was applied)."""
    expect: str
    """"repair": read, with a warning on `line` when `warns`; "error"; or "either"."""
    warns: bool = True


def clock(millis: int, fmt: str) -> str:
    text = f"00:{millis // 60_000:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"
    return {"srt": text.replace(".", ","), "vtt": text, "sbv": text[1:]}[fmt]


@st.composite
def docs(draw: st.DrawFn) -> tuple[Doc, tuple[str, ...]]:
    """A valid caption file and its text lines."""
    fmt = draw(st.sampled_from(["srt", "vtt", "sbv"]))
    ids = fmt == "srt" or (fmt == "vtt" and draw(st.booleans()))
    count = draw(st.integers(1, 5))
    lines, roles = (["WEBVTT", ""], ["header", "blank"]) if fmt == "vtt" else ([], [])
    texts: list[str] = []
    clock_ms = 0
    for number in range(1, count + 1):
        start = clock_ms + draw(st.integers(0, 3000))
        clock_ms = start + draw(st.integers(1, 5000))
        sep = "," if fmt == "sbv" else " --> "
        cue_lines = draw(st.lists(TEXT_LINE, min_size=1, max_size=2))
        texts += cue_lines
        block = [*([str(number)] if ids else []), clock(start, fmt) + sep + clock(clock_ms, fmt)]
        lines += [*block, *cue_lines, ""]
        roles += [*(["index"] if ids else []), "timing", *["text"] * len(cue_lines), "blank"]
    return Doc(fmt, tuple(lines), tuple(roles)), tuple(texts)


def put(doc: Doc, i: int, line: str) -> Doc:
    return replace(doc, lines=(*doc.lines[:i], line, *doc.lines[i + 1 :]))


def delete(doc: Doc, i: int) -> Doc:
    return Doc(doc.fmt, doc.lines[:i] + doc.lines[i + 1 :], doc.roles[:i] + doc.roles[i + 1 :])


def insert_blank(doc: Doc, i: int) -> Doc:
    return Doc(
        doc.fmt, (*doc.lines[:i], "", *doc.lines[i:]), (*doc.roles[:i], "blank", *doc.roles[i:])
    )


def arrow(draw: st.DrawFn, doc: Doc, i: int) -> Damaged:
    if doc.fmt == "sbv":
        return Damaged(
            put(doc, i, doc.lines[i].replace(",", draw(st.sampled_from(SBV_COMMAS)))),
            i + 1,
            "repair",
        )
    return Damaged(
        put(doc, i, doc.lines[i].replace("-->", draw(st.sampled_from(ARROWS)))), i + 1, "repair"
    )


def full_width(draw: st.DrawFn, doc: Doc, i: int) -> Damaged:
    line = doc.lines[i]
    spots = [j for j, ch in enumerate(line) if ch in "0123456789:"]
    chosen = set(draw(st.lists(st.sampled_from(spots), min_size=1, unique=True)))
    typed = "".join(ch.translate(FULL_WIDTH) if j in chosen else ch for j, ch in enumerate(line))
    return Damaged(put(doc, i, typed), i + 1, "repair")


def ime_comma(draw: st.DrawFn, doc: Doc, i: int) -> Damaged:
    # The IME's 、 and 。 where , and . were meant.
    typed = doc.lines[i].replace(",", "、") if doc.fmt == "srt" else doc.lines[i].replace(".", "。")
    return Damaged(put(doc, i, typed), i + 1, "repair")


def separator(draw: st.DrawFn, doc: Doc, i: int) -> Damaged:
    old, new = (",", ".") if doc.fmt == "srt" else (".", ",")
    return Damaged(
        put(doc, i, doc.lines[i].replace(old, new, draw(st.sampled_from([1, 2])))), i + 1, "repair"
    )


def no_hours(draw: st.DrawFn, doc: Doc, i: int) -> Damaged:
    hour = "0:" if doc.fmt == "sbv" else "00:"
    times = doc.lines[i].split("," if doc.fmt == "sbv" else " --> ")
    which = draw(st.sampled_from([(0,), (1,), (0, 1)]))
    times = [t.removeprefix(hour) if k in which else t for k, t in enumerate(times)]
    typed = ("," if doc.fmt == "sbv" else " --> ").join(times)
    return Damaged(put(doc, i, typed), i + 1, "repair", warns=doc.fmt != "vtt")


def stray_space(draw: st.DrawFn, doc: Doc, i: int) -> Damaged:
    line = doc.lines[i]
    spots = [j for j in range(1, len(line)) if line[j - 1] in ":,.->" or line[j] in ":,.->"]
    j, space = draw(st.sampled_from(spots)), draw(st.sampled_from(SPACES))
    return Damaged(put(doc, i, line[:j] + space + line[j:]), i + 1, "repair")


def full_width_number(draw: st.DrawFn, doc: Doc, i: int) -> Damaged:
    return Damaged(put(doc, i, doc.lines[i].translate(FULL_WIDTH)), i + 1, "repair")


def no_blank_line(draw: st.DrawFn, doc: Doc, i: int) -> Damaged:
    return Damaged(delete(doc, i), i + 1, "repair", warns=False)


def no_timing_line(draw: st.DrawFn, doc: Doc, i: int) -> Damaged:
    return Damaged(delete(doc, i), i + 1, "error")


def swapped(draw: st.DrawFn, doc: Doc, i: int) -> Damaged:
    sep = "," if doc.fmt == "sbv" else " --> "
    start, end = doc.lines[i].split(sep)
    return Damaged(put(doc, i, end + sep + start), i + 1, "error")


def garbled(draw: st.DrawFn, doc: Doc, i: int) -> Damaged:
    line = doc.lines[i]
    how = draw(st.sampled_from(["letter", "cut", "words"]))
    if how == "words":
        return Damaged(put(doc, i, draw(TEXT_LINE)), i + 1, "error")
    # past the first colon: a cut that leaves a bare number ("0") is, by its shape, a cue
    # number whose timing line is missing, and is rightly reported on the line after it
    colon = line.find(":")
    j = draw(st.sampled_from([j for j, ch in enumerate(line) if ch.isdigit() and j > colon]))
    typed = (
        line[:j] + draw(st.sampled_from("OolIx字")) + line[j + 1 :] if how == "letter" else line[:j]
    )
    return Damaged(put(doc, i, typed), i + 1, "either")


def text_after(draw: st.DrawFn, doc: Doc, i: int) -> Damaged:
    return Damaged(
        put(doc, i, doc.lines[i] + draw(st.sampled_from(["", " "])) + draw(TEXT_LINE)),
        i + 1,
        "error",
    )


def blank_in_text(draw: st.DrawFn, doc: Doc, i: int) -> Damaged:
    return Damaged(insert_blank(doc, i), i + 2, "error")


def untouched(draw: st.DrawFn, doc: Doc, i: int) -> Damaged:
    return Damaged(doc, i + 1, "repair", warns=False)


Typo = Callable[[st.DrawFn, Doc, int], Damaged]


def targets(doc: Doc, typo: Typo) -> list[int]:
    """The lines a typo can go on."""
    roles = doc.roles
    timing = [i for i, r in enumerate(roles) if r == "timing"]
    return {
        full_width_number: [i for i, r in enumerate(roles) if r == "index"],
        no_blank_line: [i for i in range(len(roles) - 1) if roles[i] == "blank"],
        blank_in_text: [i for i in range(1, len(roles)) if roles[i - 1] == roles[i] == "text"],
        untouched: [0],
    }.get(typo, timing)


TYPOS: tuple[Typo, ...] = (
    arrow,
    full_width,
    ime_comma,
    separator,
    no_hours,
    stray_space,
    full_width_number,
    no_blank_line,
    no_timing_line,
    swapped,
    garbled,
    text_after,
    blank_in_text,
    untouched,
)


@st.composite
def damaged_docs(draw: st.DrawFn) -> tuple[Damaged, tuple[str, ...]]:
    doc, texts = draw(docs())
    typo = draw(st.sampled_from([t for t in TYPOS if targets(doc, t)]))
    event(f"{doc.fmt} {typo.__name__}")
    return typo(draw, doc, draw(st.sampled_from(targets(doc, typo)))), texts


def outcome(path: Path) -> tuple[list[str] | None, list[Problem]]:
    try:
        track, warnings = read_captions(path, f"captions/{path.name}", "clip", "ja")
    except CaptionError as err:
        return None, list(err.problems)
    return [c.text for c in track.cues], warnings


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=damaged_docs(), newline=st.sampled_from(["\n", "\r\n"]))
def test_property_a_typo_is_repaired_with_a_warning_or_is_an_error_on_its_line(
    tmp_path: Path, case: tuple[Damaged, tuple[str, ...]], newline: str
) -> None:
    damaged, texts = case
    path = tmp_path / f"clip.ja.{damaged.doc.fmt}"
    path.write_bytes(newline.join([*damaged.doc.lines, ""]).encode("utf-8"))
    cues, problems = outcome(path)
    errors = [p for p in problems if p.severity == "error"]
    if cues is None:
        assert damaged.expect != "repair", problems
        assert {p.line for p in errors} == {damaged.line}, problems
        assert all(p.hint for p in errors)
        return
    assert damaged.expect != "error", (cues, problems)
    shown = {line for cue in cues for line in cue.split("\n")}
    assert set(texts) <= shown, (texts, cues, problems)
    if damaged.expect == "repair":  # a garbled line read anyway needs no warning
        assert [p.line for p in problems] == ([damaged.line] if damaged.warns else []), problems


# ------------------------------------------------------------------------- end to end

CLIP = "title: 業務フローを書き出す\ntopic: flow-mapping\n"
FIRST_CUE = "1\n00:00:00,200 --> 00:00:00,900\n最初の字幕\n\n"


@pytest.mark.slow
def test_check_and_build_fail_on_a_lost_caption_and_publish_a_repaired_one(
    tmp_path: Path,
) -> None:
    root = portal(tmp_path, {"clip": CLIP})
    captions = root / "captions" / "clip.ja.srt"
    captions.write_text(f"{FIRST_CUE}2\n00:00:01,800 --> 00:00:01,000\n消える字幕\n", "utf-8")
    for command in ("check", "build"):
        failed = run_cli(command, str(root))
        assert failed.returncode == 1, (command, failed.stderr)
        assert "captions/clip.ja.srt:6: error: the cue ends before it starts" in failed.stderr
        assert "Traceback" not in failed.stderr

    captions.write_text(f"{FIRST_CUE}2\n00:00:01,000 -> 00:00:01,800\n消えない字幕\n", "utf-8")
    checked = run_cli("check", str(root))
    assert checked.returncode == 0, checked.stderr
    assert "captions/clip.ja.srt:6: warning: the arrow" in checked.stderr
    built = run_cli("build", str(root))
    assert built.returncode == 0, built.stderr
    [published] = (root / "build" / "site" / "media" / "clip").glob("ja.*.vtt")
    assert "00:00:01.000 --> 00:00:01.800\n消えない字幕" in published.read_text("utf-8")
    page = (root / "build" / "site" / "clips" / "clip" / "index.html").read_text("utf-8")
    assert "消えない字幕" in page  # the transcript
