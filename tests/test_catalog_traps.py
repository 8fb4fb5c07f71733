"""What editors really type into clip files: quoted dates, full-width digits, a single word for
a list, the topic's Japanese name, a misspelt key, stray spaces. Each is either read exactly as
meant, or refused with exactly one error on the line where it happened, with a hint that an
editor can follow (never a path inside the program's source)."""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_catalog import GOOD, make_project, problems_of

from clipportal.catalog.clips import Clip, load_catalog, scan_catalog
from clipportal.catalog.fields import ALLOWED_KEYS, edit_distance, parse_date, parse_time
from clipportal.errors import Problem
from clipportal.settings import DEFAULT_TOPICS, Settings

# Words that YAML 1.1 would silently turn into something else (1.10 → 1.1, yes → True,
# 012 → 10, 1:05 → 65, 2024-06-01 → a date) next to ordinary Japanese words.
WORDS = ["業務フロー", "所要時間", "RPA", "申請", "職員", "1.10", "yes", "No", "012", "on",
         "2024-06-01", "1:05", "v2", "第3回", "キャッシュレス", "AI-OCR"]
SCHEMA = Path(__file__).parent.parent / "src" / "clipportal" / "schema" / "clip.schema.json"
FULL_WIDTH = str.maketrans("0123456789:-./", "０１２３４５６７８９：－．／")


@dataclass(frozen=True)
class Intended:
    title: str
    topic: str
    description: str
    date: dt.date
    speakers: tuple[str, ...]
    tags: tuple[str, ...]
    poster: float
    chapters: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class Variant:
    lines: list[str]
    line: int
    """1-based line the editor changed."""
    accept: bool
    """Whether the change must be read as meant (else: exactly one error on `line`)."""


words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3, unique=True).map(tuple)


@st.composite
def intended_clips(draw: st.DrawFn) -> Intended:
    starts = sorted(draw(st.sets(st.integers(0, 3599), max_size=3)))
    return Intended(
        title=" ".join(draw(words)), topic=draw(st.sampled_from(list(DEFAULT_TOPICS))),
        description=draw(st.sampled_from(["", "現状の業務フローを洗い出します。"])),
        date=draw(st.dates(dt.date(2000, 1, 1), dt.date(2035, 12, 31))),
        speakers=draw(words), tags=draw(words), poster=draw(st.integers(0, 5999)) / 10,
        chapters=tuple((s, draw(st.sampled_from(WORDS))) for s in starts),
    )


def render(clip: Intended) -> list[str]:
    """The clip file as an editor following CONTRIBUTING.md writes it, one key per line."""
    lines = [f"title: {clip.title}", f"topic: {clip.topic}"]
    if clip.description:
        lines += ["description: |", f"  {clip.description}"]
    lines += [f"date: {clip.date.isoformat()}", f"speakers: [{', '.join(clip.speakers)}]",
              f"tags: [{', '.join(clip.tags)}]", f"poster: {clip.poster}"]
    if clip.chapters:
        lines.append("chapters:")
        lines += [f'  - {{start: "{_mss(s)}", title: {t}}}' for s, t in clip.chapters]
    return lines


def _mss(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}".replace(".0", "")


def _index(lines: list[str], key: str) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))


def _set(lines: list[str], key: str, value: str, accept: bool = True) -> Variant:
    i = _index(lines, key)
    return Variant([*lines[:i], f"{key}: {value}", *lines[i + 1:]], i + 1, accept)


def _era(date: dt.date) -> str:
    if date < dt.date(2019, 5, 1):
        return date.isoformat()
    year = date.year - 2018
    return f"令和{'元' if year == 1 else year}年{date.month}月{date.day}日"


DATE_FORMS: list[Callable[[dt.date], str]] = [
    lambda d: f'"{d.isoformat()}"', lambda d: f"'{d.isoformat()}'",
    lambda d: d.isoformat().translate(FULL_WIDTH), lambda d: f"{d:%Y/%m/%d}",
    lambda d: f"{d.year}/{d.month}/{d.day}", lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.year}年{d.month}月{d.day}日".translate(FULL_WIDTH), _era,
    lambda d: f"{d.isoformat()} 10:30",
]
POSTER_FORMS: list[Callable[[float], str]] = [
    lambda p: f'"{p}"', lambda p: str(p).translate(FULL_WIDTH), lambda p: f'"{_mss(p)}"',
    lambda p: f'"{_mss(p).translate(FULL_WIDTH)}"', lambda p: f"{_mss(p)}", lambda p: f"{p}秒",
]
LIST_FORMS: list[Callable[[tuple[str, ...]], str]] = [
    lambda ws: ", ".join(ws), lambda ws: "、".join(ws), lambda ws: f"［{', '.join(ws)}］",
    lambda ws: "[" + "、".join(ws) + "]", lambda ws: "\n" + "\n".join(f"  - {w}" for w in ws),
]


@st.composite
def variants(draw: st.DrawFn, clip: Intended) -> Variant:
    lines = render(clip)
    kind = draw(st.sampled_from(["date", "poster", "list", "topic", "chapter", "key",
                                 "spaces", "wide-space"]))
    if kind == "date":
        return _set(lines, "date", draw(st.sampled_from(DATE_FORMS))(clip.date))
    if kind == "poster":
        return _set(lines, "poster", draw(st.sampled_from(POSTER_FORMS))(clip.poster))
    if kind == "list":
        key = draw(st.sampled_from(["speakers", "tags"]))
        form = draw(st.sampled_from(LIST_FORMS))
        return _set(lines, key, form(getattr(clip, key)).replace(": \n", ":\n"))
    if kind == "topic":
        name = DEFAULT_TOPICS[clip.topic]
        wide = clip.topic.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
        return _set(lines, "topic", draw(st.sampled_from(
            [name, f" {name}　", wide, clip.topic.title()])))
    if kind == "chapter" and clip.chapters:
        return _full_width_chapter(lines, draw(st.integers(0, len(clip.chapters) - 1)))
    if kind == "key":
        return _misspelt(lines, draw)
    return _spaced(lines, draw, wide=kind == "wide-space")


def _full_width_chapter(lines: list[str], n: int) -> Variant:
    i = _index(lines, "chapters") + 1 + n
    start = re.search(r'start: "([^"]+)"', lines[i])
    assert start
    changed = lines[i].replace(start.group(1), start.group(1).translate(FULL_WIDTH))
    return Variant([*lines[:i], changed, *lines[i + 1:]], i + 1, True)


def _misspelt(lines: list[str], draw: st.DrawFn) -> Variant:
    keys = [line.split(":")[0] for line in lines if re.match(r"[a-z]+:", line)]
    key = draw(st.sampled_from(keys))
    wrong = key
    for _ in range(draw(st.integers(1, 2))):
        wrong = _edit(wrong, draw)
    if wrong in ALLOWED_KEYS or not 1 <= edit_distance(wrong, key) <= 2:
        return Variant(lines, 1, True)  # the edits cancelled out: nothing to check
    i = _index(lines, key)
    return Variant([*lines[:i], wrong + lines[i][len(key):], *lines[i + 1:]], i + 1, False)


def _edit(word: str, draw: st.DrawFn) -> str:
    at = draw(st.integers(0, len(word) - 1))
    letter = draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz"))
    edits = [word[:at] + word[at + 1:], word[:at] + letter + word[at:],
             word[:at] + letter + word[at + 1:], word[:at] + word[at + 1:at + 2] + word[at]
             + word[at + 2:]]
    return draw(st.sampled_from([e for e in edits if len(e) >= 2]))


def _spaced(lines: list[str], draw: st.DrawFn, wide: bool) -> Variant:
    i = draw(st.integers(0, len(lines) - 1))
    line = lines[i]
    if wide:
        changed = line + draw(st.sampled_from(["\u3000", " \u3000", "\u3000\u3000 "]))
    else:
        changed = re.sub(r"^([a-z]+):", r"\1:" + " " * draw(st.integers(1, 4)), line) + "  "
    return Variant([*lines[:i], changed, *lines[i + 1:]], i + 1, True)


def _read(text: str) -> tuple[list[Clip], list[Problem]]:
    with tempfile.TemporaryDirectory() as folder:
        root = make_project(Path(folder), {"clip": text})
        catalog = scan_catalog(root, Settings())
        return list(catalog.clips), list(catalog.problems)


def _as_read(clip: Clip) -> Intended:
    return Intended(clip.title, clip.topic, clip.description.strip(), clip.date or dt.date.min,
                    clip.speakers, clip.tags, clip.poster or 0.0,
                    tuple((round(c.start), c.title) for c in clip.chapters))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_editor_variants_are_read_as_meant_or_refused_once_on_their_line(
        data: st.DataObject) -> None:
    clip = data.draw(intended_clips())
    variant = data.draw(variants(clip))
    clips, problems = _read("\n".join(variant.lines) + "\n")
    errors = [p for p in problems if p.severity == "error"]
    assert all("src/" not in p.hint and "src/" not in p.message for p in problems)
    if variant.accept:
        assert not errors, (variant.lines, errors)
        (read,) = clips
        assert read.poster == pytest.approx(clip.poster)
        assert _as_read(read) == replace(clip, poster=read.poster), variant.lines
    else:
        assert [(p.line, p.path) for p in errors] == [(variant.line, "videos/clip.yml")], errors
        assert not clips


def test_yaml_1_1_words_stay_the_text_written(tmp_path: Path) -> None:
    text = ("title: 1.10\ntopic: flow-mapping\ntags: [yes, 012, 2022-13-45, 1:05]\n"
            "speakers: [No]\nchapters:\n  - {start: 1:05, title: on}\n")
    make_project(tmp_path, {"clip": text})
    (clip,) = load_catalog(tmp_path, Settings()).clips
    assert (clip.title, clip.tags, clip.speakers) == ("1.10", ("yes", "012", "2022-13-45",
                                                               "1:05"), ("No",))
    assert [(c.start, c.title) for c in clip.chapters] == [(65.0, "on")]


def test_quoted_iso_date_is_a_date(tmp_path: Path) -> None:
    make_project(tmp_path, {"clip": GOOD.replace("2022-03-15", '"2022-03-15"')})
    (clip,) = load_catalog(tmp_path, Settings()).clips
    assert clip.date == dt.date(2022, 3, 15)


@pytest.mark.parametrize(("written", "words"), [
    ("15/03/2022", "write the year first: 2022-03-15"),
    ("06/01/2024", "2024-01-06 or 2024-06-01"),
    ("24/06/01", "4 digits, e.g. 2024-06-01"),
    ("6月1日", "add the year"),
    ("2022-02-30", "not a real day"),
    ("令和元年4月1日", "not a day of the 令和 era"),
])
def test_ambiguous_or_impossible_dates_get_one_precise_error(tmp_path: Path, written: str,
                                                             words: str) -> None:
    make_project(tmp_path, {"clip": GOOD.replace("2022-03-15", written)})
    (problem,) = [p for p in problems_of(tmp_path) if p.severity == "error"]
    assert problem.line == 5 and words in problem.message + problem.hint
    assert "(" not in problem.message or "day" in problem.message  # no exception text


def test_a_misspelt_key_is_one_error_on_its_own_line(tmp_path: Path) -> None:
    make_project(tmp_path, {"clip": GOOD.replace("title:", "tittle:", 1),
                            "wide": GOOD.replace("topic:", "ｔｏｐｉｃ:", 1),
                            "japanese": GOOD.replace("title:", "タイトル:", 1)})
    errors = sorted((p.path, p.line, p.message, p.hint) for p in problems_of(tmp_path)
                    if p.severity == "error")
    assert errors == [
        ("videos/clip.yml", 1, "unknown key 'tittle'", "did you mean 'title'?"),
        ("videos/japanese.yml", 1, "unknown key 'タイトル'", "did you mean 'title'?"),
        ("videos/wide.yml", 2, "unknown key 'ｔｏｐｉｃ'", "write it as `topic:` in half-width "
         "lower-case letters, with nothing before the colon"),
    ]


def test_a_missing_key_hint_stays_out_of_the_source_tree(tmp_path: Path) -> None:
    make_project(tmp_path, {"clip": GOOD.replace("title: 業務フローを書き出す\n", "")})
    (problem,) = [p for p in problems_of(tmp_path) if p.severity == "error"]
    assert problem.message == "missing required key 'title'" and "src/" not in problem.hint


def test_topic_by_its_japanese_name(tmp_path: Path) -> None:
    make_project(tmp_path, {"clip": GOOD.replace("flow-mapping", "業務フローの可視化")})
    (clip,) = load_catalog(tmp_path, Settings()).clips
    assert clip.topic == "flow-mapping"


def test_unknown_topic_suggests_an_id_with_its_name(tmp_path: Path) -> None:
    make_project(tmp_path, {"clip": GOOD.replace("topic: flow-mapping", "topic: 業務フロー")})
    (problem,) = [p for p in problems_of(tmp_path) if p.severity == "error"]
    assert problem.line == 2 and problem.message == "unknown topic '業務フロー'"
    assert problem.hint.startswith("did you mean flow-mapping (業務フローの可視化)?")
    assert "goal-setting (目標設定)" in problem.hint


@pytest.mark.parametrize(("line", "words"), [
    ("topic： flow-mapping", "full-width colon"),
    ("topic:flow-mapping", "no space after 'topic:'"),
    ("\ttopic: flow-mapping", "tab"),
    (" topic: flow-mapping", "starts with spaces"),
])
def test_yaml_slips_are_named_on_their_own_line(tmp_path: Path, line: str, words: str) -> None:
    make_project(tmp_path, {"clip": GOOD.replace("topic: flow-mapping", line)})
    (problem,) = [p for p in problems_of(tmp_path) if p.severity == "error"]
    assert problem.line == 2 and words in problem.message, problem


def test_a_title_with_colon_or_comment(tmp_path: Path) -> None:
    make_project(tmp_path, {"colon": GOOD.replace("業務フローを書き出す", "業務改善: 35%削減"),
                            "comment": GOOD.replace("業務フローを書き出す", "第3回 #業務改善")})
    problems = problems_of(tmp_path)
    (colon,) = [p for p in problems if p.path == "videos/colon.yml"]
    assert colon.line == 1 and "double quotes" in colon.hint
    (comment,) = [p for p in problems if p.path == "videos/comment.yml"
                  and p.severity == "warning" and "comment" in p.message]
    assert comment.line == 1


def test_the_schema_accepts_what_the_loader_accepts() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    props = schema["properties"]
    date = re.compile(props["date"]["pattern"])
    time = re.compile(props["poster"]["oneOf"][1]["pattern"])
    day = dt.date(2024, 6, 1)
    for form in DATE_FORMS:
        text = form(day).strip("\"'")
        assert parse_date(text) == day and date.search(text), text
    for text in ("15/03/2022", "24/06/01", "6月1日", "yesterday"):
        assert not date.search(text)
    for text in ("12.5", "１２．５", "1:05", "１：０５", "1:02:03", "65秒", "1分5秒", "1時間"):
        assert parse_time(text) is not None and time.search(text), text
    for text in ("1,5", "abc", "1:2:3:4", "分"):
        assert parse_time(text) is None and not time.search(text), text
    assert set(props) == set(ALLOWED_KEYS)


@pytest.mark.parametrize("written", ["videos\\\\other name.mov", "other name.mov",
                                     "videos/other name.mov"])
def test_a_video_path_typed_on_windows_or_beside_the_clip_file(tmp_path: Path,
                                                               written: str) -> None:
    make_project(tmp_path, {"clip": GOOD + f'video: "{written}"\n'}, with_video=False)
    (tmp_path / "videos" / "other name.mov").write_bytes(b"\x00" * 2048)
    (clip,) = load_catalog(tmp_path, Settings()).clips
    assert clip.video_source == "videos/other name.mov"
    video = re.compile(json.loads(SCHEMA.read_text(encoding="utf-8"))["properties"]["video"]
                       ["pattern"])
    assert video.search(written.replace("\\\\", "\\"))


@pytest.mark.parametrize(("old", "new", "line", "words"), [
    ("tags: [業務フロー, 所要時間]", "tags: [業務フロー, 所要時間", 7, "not closed"),
    ("title: 業務フローを書き出す", 'title: "業務フローを書き出す', 1, "not closed"),
    ("title: はじめに}", "title: はじめに", 10, "not closed"),
    ("title: 業務フローを書き出す", "title: [速報] 業務フロー", 1, "starts with '['"),
    ("title: 業務フローを書き出す", "title: - 業務フロー", 1, "starts with '-'"),
    ("speakers: [福祉課 職員]", "speakers: [福祉課 職員]\x01", 6, "U+0001"),
])
def test_unclosed_brackets_quotes_and_odd_characters_are_named_where_they_are(
        tmp_path: Path, old: str, new: str, line: int, words: str) -> None:
    make_project(tmp_path, {"clip": GOOD.replace(old, new, 1)})
    (problem,) = [p for p in problems_of(tmp_path) if p.severity == "error"]
    assert problem.line == line and words in problem.message, problem
