"""Reading the values editors write in clip files, leniently where the meaning is certain.

Editors are not programmers: they quote dates because YAML guides tell them to, type digits
and colons in full width with a Japanese input method, write `tags: 業務フロー` for a list
of one, or the topic's Japanese name instead of its id. Each of those is accepted when it
can mean only one thing; anything that could mean two things is refused with a hint that
shows the exact text to write. Every function raises `FieldError` in plain words.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

ALLOWED_KEYS = (
    "title", "topic", "description", "date", "speakers", "tags", "poster", "chapters", "video",
)
# Japanese names editors may give a key (suggestions only: a wrong key is still an error)
KEY_ALIASES = {
    "タイトル": "title", "題名": "title", "表題": "title", "件名": "title",
    "トピック": "topic", "テーマ": "topic", "分類": "topic",
    "説明": "description", "概要": "description", "説明文": "description",
    "日付": "date", "収録日": "date", "公開日": "date", "撮影日": "date",
    "話し手": "speakers", "話者": "speakers", "講師": "speakers", "出演者": "speakers",
    "タグ": "tags", "キーワード": "tags", "サムネイル": "poster", "ポスター": "poster",
    "チャプター": "chapters", "目次": "chapters", "動画": "video", "ファイル": "video",
    "name": "title", "category": "topic", "summary": "description", "speaker": "speakers",
    "keywords": "tags", "thumbnail": "poster", "thumb": "poster", "file": "video",
    "source": "video", "src": "video",
}
DATE_HINT = "write the date as YYYY-MM-DD, e.g. 2024-06-01"
# Separators IMEs produce between year, month and day: hyphens, dashes, minus, 長音 ー.
_SEP = "[-/.\u2010-\u2015\u2212\u30fc]"
_YMD = re.compile(rf"(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})", re.ASCII)
_YMD_KANJI = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?", re.ASCII)
_ERA = re.compile(rf"(令和|平成|R|H)(元|\d{{1,2}})(?:年|{_SEP})(\d{{1,2}})(?:月|{_SEP})"
                  r"(\d{1,2})日?", re.ASCII | re.IGNORECASE)
_YEAR_LAST = re.compile(rf"(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{4}})", re.ASCII)
_SHORT_YEAR = re.compile(rf"(\d{{2}})(?:{_SEP}|年)(\d{{1,2}})(?:{_SEP}|月)(\d{{1,2}})日?",
                         re.ASCII)
_NO_YEAR = re.compile(rf"(\d{{1,2}})(?:{_SEP}|月)(\d{{1,2}})日?", re.ASCII)
_TIME_OF_DAY = re.compile(rf"(\d{{4}}\s*{_SEP}\s*\d{{1,2}}\s*{_SEP}\s*\d{{1,2}})\s*[Tt ]\s*"
                          r"\d{1,2}:\d{2}\S*", re.ASCII)
# era → (the year before its first year, its first day, the day after its last)
_ERAS = {
    "令和": (2018, dt.date(2019, 5, 1), dt.date.max),
    "平成": (1988, dt.date(1989, 1, 8), dt.date(2019, 5, 1)),
}
_ERA_LETTERS = {"r": "令和", "h": "平成"}
_CLOCK = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)", re.ASCII)
_SECONDS = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(?:秒|s|sec)?", re.ASCII)
_KANJI_TIME = re.compile(r"(?=\d)(?:(\d+)時間)?(?:(\d+)分)?(?:(\d+(?:\.\d+)?)秒)?", re.ASCII)
_SEPARATORS = {",", "，", "、"}
_OPEN, _CLOSE = "(（「『[［【", ")）」』]］】"


class FieldError(ValueError):
    """A value that cannot be used, with what to write instead."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def folded(text: str) -> str:
    """Full-width letters, digits and punctuation made half-width; outer spaces (also the
    full-width space, which NFKC turns into a plain one) removed."""
    return unicodedata.normalize("NFKC", text).strip()


# --- dates ----------------------------------------------------------------------------------

def parse_date(value: Any) -> dt.date:
    """A date from `2024-06-01`, quoted or not, `2024/6/1`, `2024年6月1日`, `令和6年6月1日`,
    `R6.6.1`, in half or full width; FieldError for anything else."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise FieldError(f"'date' must be a date like 2022-03-15, not {_shown(value)}", DATE_HINT)
    text = re.sub(r"\s+", "", _TIME_OF_DAY.sub(r"\1", folded(value)))  # a time of day is dropped
    for pattern in (_YMD, _YMD_KANJI):
        match = pattern.fullmatch(text)
        if match:
            return _real_date(value, *(int(g) for g in match.groups()))
    match = _ERA.fullmatch(text)
    if match:
        return _era_date(value, *match.groups())
    raise FieldError(f"'date' must be a date like 2022-03-15, not '{value}'",
                     _date_hint(text))


def _real_date(raw: str, year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise FieldError(f"'date' {raw.strip()} is not a real day (month {month}, day {day})",
                         "check the month and the day; " + DATE_HINT) from None


def _era_date(raw: str, era: str, year: str, month: str, day: str) -> dt.date:
    name = _ERA_LETTERS.get(era.lower(), era)
    offset, first, after = _ERAS[name]
    date = _real_date(raw, offset + (1 if year == "元" else int(year)), int(month), int(day))
    if not first <= date < after:
        until = "" if after == dt.date.max else f" to {after - dt.timedelta(days=1)}"
        raise FieldError(f"'date' {raw.strip()} is not a day of the {name} era (from {first}"
                         f"{until})", DATE_HINT)
    return date


def _date_hint(text: str) -> str:
    """The exact text to write, when the value can be read in one way only."""
    match = _YEAR_LAST.fullmatch(text)
    if match:
        first, second, year = (int(g) for g in match.groups())
        readings = sorted({f"{year}-{m:02}-{d:02}" for m, d in ((first, second), (second, first))
                           if _is_day(year, m, d)})
        if readings:
            return "write the year first: " + " or ".join(readings) + (
                " (it could be either)" if len(readings) > 1 else "")
    match = _SHORT_YEAR.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return f"write the year with 4 digits, e.g. 20{year:02}-{month:02}-{day:02}"
    if _NO_YEAR.fullmatch(text):
        return "add the year: " + DATE_HINT
    return DATE_HINT


def _is_day(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


# --- times ----------------------------------------------------------------------------------

def parse_time(value: Any) -> float | None:
    """Seconds from `12.5`, `"1:05"`, `"1:02:03"`, `"１：０５"`, `"65秒"` or `"1分5秒"`; None when
    it is not a time (negative, not finite, seconds or minutes past 59)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) and value >= 0 else None
    if not isinstance(value, str):
        return None
    text = re.sub(r"\s+", "", folded(value))
    for read in (_plain_seconds, _clock, _kanji_time):
        seconds = read(text)
        if seconds is not None:
            return seconds
    return None


def _plain_seconds(text: str) -> float | None:
    match = _SECONDS.fullmatch(text)
    return float(match.group(1)) if match else None


def _clock(text: str) -> float | None:
    match = _CLOCK.fullmatch(text)
    if not match:
        return None
    hours, minutes, secs = match.groups()
    if (hours is not None and int(minutes) >= 60) or float(secs) >= 60:
        return None
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(secs)


def _kanji_time(text: str) -> float | None:
    match = _KANJI_TIME.fullmatch(text)
    if not match or not text:
        return None
    hours, minutes, secs = match.groups()
    if (hours and minutes and int(minutes) >= 60) or (minutes and secs and float(secs) >= 60):
        return None
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(secs or 0)


# --- lists ----------------------------------------------------------------------------------

def parse_words(key: str, value: Any) -> tuple[str, ...]:
    """A list of short texts: a YAML list, or one line (`tags: 業務フロー, 所要時間`, also with
    、 or ，, or in full-width brackets ［…］). Separators inside brackets are kept, so
    `山田（福祉課、主任）` stays one speaker. A comma inside a list item was quoted on
    purpose and is kept."""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in "[［" and text[-1:] in "]］":  # ［…］ typed in full width
            text = text[1:-1]
        return tuple(w for w in _split(text, _SEPARATORS) if w)
    if not isinstance(value, list) or not all(isinstance(v, str) or v is None for v in value):
        raise FieldError(f"'{key}' must be a list of words",
                         f"write `{key}: [業務フロー, 所要時間]`")
    return tuple(w for v in value if v for w in _split(v, _SEPARATORS - {","}) if w)


def _split(text: str, separators: set[str]) -> list[str]:
    words, current, depth = [], "", 0
    for char in text:
        depth += (char in _OPEN) - (char in _CLOSE)
        if char in separators and depth <= 0:
            words.append(current.strip())
            current = ""
        else:
            current += char
    return [*words, current.strip()]


# --- topics ---------------------------------------------------------------------------------

def resolve_topic(text: str, topics: Mapping[str, str]) -> str:
    """The topic id for `text`: an id, or a topic's name as mkdocs.yml gives it (full width,
    letter case and spaces aside)."""
    if text in topics:
        return text
    wanted = _loose(text)
    found = [tid for tid, name in topics.items() if wanted in (_loose(tid), _loose(name))]
    if len(found) == 1:
        return found[0]
    if found:
        raise FieldError(f"topic '{text}' is the name of more than one topic",
                         "write the topic id: " + " or ".join(found))
    raise FieldError(f"unknown topic '{text}'", _topic_hint(wanted, topics))


def _loose(text: str) -> str:
    return re.sub(r"\s+", "", folded(text)).casefold()


def describe_topics(topics: Mapping[str, str]) -> str:
    return ", ".join(f"{tid} ({name})" for tid, name in topics.items())


def _topic_hint(wanted: str, topics: Mapping[str, str]) -> str:
    everything = f"the topics are {describe_topics(topics)} (set in mkdocs.yml)"
    scores = {tid: max(difflib.SequenceMatcher(None, wanted, _loose(t)).ratio()
                       for t in (tid, name)) for tid, name in topics.items()}
    best = max(scores, key=lambda tid: scores[tid], default=None)
    if best is None or scores[best] < 0.5:
        return everything
    return f"did you mean {best} ({topics[best]})? {everything}"


# --- keys -----------------------------------------------------------------------------------

def suggest_key(key: str) -> str | None:
    """The allowed key an unknown one was probably meant to be: a spelling mistake (up to two
    letters wrong), full-width letters, capitals, stray spaces, or a Japanese name."""
    loose = folded(key).rstrip(":").strip().casefold()
    if loose in ALLOWED_KEYS:
        return loose
    if loose in KEY_ALIASES:
        return KEY_ALIASES[loose]
    close = [(edit_distance(loose, k), k) for k in ALLOWED_KEYS]
    distance, best = min(close)
    if distance <= min(2, len(loose) - 1):
        return best
    prefixed = [k for k in ALLOWED_KEYS if len(loose) >= 3 and k.startswith(loose)]
    if len(prefixed) == 1:  # desc, chap
        return prefixed[0]
    matches = difflib.get_close_matches(loose, ALLOWED_KEYS, n=1, cutoff=0.6)
    return matches[0] if matches else None


def edit_distance(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of neighbours turning `a` into `b`."""
    rows = [list(range(len(b) + 1))]
    for i, char in enumerate(a, 1):
        row = [i]
        for j, other in enumerate(b, 1):
            row.append(min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (char != other)))
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _shown(value: Any) -> str:
    """A value of the wrong kind, named for an editor (never its Python repr)."""
    return "a list" if isinstance(value, list) else "a group of keys" if isinstance(
        value, dict) else f"'{value}'"
