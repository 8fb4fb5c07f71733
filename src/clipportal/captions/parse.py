"""Caption tracks: read every SRT, WebVTT or SBV file editors bring; write strict WebVTT.

Reading is lenient with what tools write (missing index lines, unpadded timestamps, CR/CRLF
line ends, `<font>` and `{\\an8}` tags, WebVTT headers and NOTE/STYLE blocks) and repairs,
with a warning naming the line, what editors mistype where the meaning is clear (see
`caption_timing`). Writing is strict, because a browser silently drops a whole track that
its parser rejects.

The rule: every non-empty line ends up in a cue, or in an error (`CaptionError`) that names
its line and says how to fix it. A caption must never vanish behind a warning.
"""

from __future__ import annotations

import html
import logging
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from clipportal.captions.charsets import UnknownEncodingError, decode_text
from clipportal.captions.timing import (
    BadTiming,
    Timing,
    example,
    half_width,
    is_fullwidth_number,
    is_number,
    looks_like_timing,
    read_timing,
    repair_text,
    snippet,
    timing_form,
    vtt_time,
)
from clipportal.errors import CONTROL_CHARACTERS, CaptionError, Problem
from clipportal.paths import is_valid_slug

logger = logging.getLogger(__name__)

CAPTION_EXTENSIONS = ("srt", "vtt", "sbv")
MAX_CAPTION_BYTES = 16 * 1024 * 1024
"""Caption files are kilobytes; anything this big is a wrong file, not captions."""

# BCP 47 (RFC 5646) without the grandfathered irregular tags.
_LANG_TAG = re.compile(
    r"""(?ix)
    (?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})   # language (with extlangs)
    (?:-[a-z]{4})?                                 # script
    (?:-(?:[a-z]{2}|\d{3}))?                       # region
    (?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*            # variants
    (?:-[a-wyz\d](?:-[a-z\d]{2,8})+)*              # extensions
    (?:-x(?:-[a-z\d]{1,8})+)?                      # private use
    |x(?:-[a-z\d]{1,8})+
    """
)

_NEWLINE = re.compile(r"\r\n|\r|\n")
_ASS_OVERRIDE = re.compile(r"\{\\[^{}]*\}")
# Ruby readings (<rt>) would run into the base text once tags are gone; the base text is
# what was said, so readings and their fallback parentheses (<rp>) are dropped.
_RUBY_EXTRA = re.compile(r"<(rt|rp)\b[^<>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_MARKUP = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)([\s./][^<>]*)?>|<\d[\d:.]*>")
_ANY_TAG = re.compile(r"<[^<>]*>")
_INDEX = re.compile(r"[0-9]+")
_VTT_BLOCKS = re.compile(r"(?:NOTE|STYLE|REGION)(?:\s|$)")
_KEPT_TAGS = frozenset("biu")

_LABELS = {
    "ja": "日本語",
    "en": "English",
    "ja-x-easy": "やさしい日本語",
    "zh": "中文（簡体字）",
    "zh-hans": "中文（簡体字）",
    "zh-hant": "中文（繁體字）",
    "ko": "한국어",
    "pt": "Português",
    "es": "Español",
    "vi": "Tiếng Việt",
}
_TRADITIONAL_REGIONS = frozenset({"tw", "hk", "mo"})


@dataclass(frozen=True)
class Cue:
    """One caption cue, cleaned: its text is a valid WebVTT cue payload."""

    start: float
    """Seconds."""
    end: float
    """Seconds."""
    text: str
    """Only <b>, <i>, <u> and <v Name> tags, balanced; other &, <, > escaped; lines by "\\n"."""
    line: int
    """1-based line of the cue's timing line in the source file."""

    def plain_text(self) -> str:
        """The words alone, one line, for transcripts and search (callers escape it)."""
        return html.unescape(_ANY_TAG.sub("", self.text)).replace("\n", " ")


@dataclass(frozen=True)
class CaptionTrack:
    """The cues of one caption file, for one clip in one language."""

    slug: str
    lang: str
    """BCP 47 tag, e.g. "ja", "en", "ja-x-easy"."""
    source: str
    """Project-relative path with "/", for messages."""
    cues: tuple[Cue, ...]


@dataclass(frozen=True)
class _Line:
    number: int
    text: str


@dataclass(frozen=True)
class _RawCue:
    line: int
    start: float
    end: float
    payload: tuple[str, ...]


@dataclass(frozen=True)
class _Issue:
    """An error found while parsing, before it is given the file's path."""

    line: int
    message: str
    hint: str


@dataclass(frozen=True)
class _Repair:
    """A line read by repairing it: `names` are keys of `repair_text`."""

    line: int
    names: tuple[str, ...]
    shown: str


@dataclass(frozen=True)
class _Parsed:
    cues: tuple[_RawCue, ...] = ()
    errors: tuple[_Issue, ...] = ()
    repairs: tuple[_Repair, ...] = ()


# ---------------------------------------------------------------------------- names


def parse_caption_name(filename: str, site_lang: str) -> tuple[str, str, str] | None:
    """`intro.ja.srt` -> ("intro", "ja", "srt"); `intro.srt` -> ("intro", site_lang, "srt").

    None when the extension is not srt/vtt/sbv, the slug is not a valid one (paths.py),
    or the language is not a BCP 47 tag.
    """
    stem, _, ext = PurePosixPath(filename.replace("\\", "/")).name.rpartition(".")
    slug, dot, lang = stem.partition(".")
    lang = _canonical_lang(lang) if dot else site_lang
    if ext.lower() not in CAPTION_EXTENSIONS or not is_valid_slug(slug):
        return None
    return (slug, lang, ext.lower()) if _LANG_TAG.fullmatch(lang) else None


def _canonical_lang(tag: str) -> str:
    # RFC 5646 case conventions: "zh-hant-tw" -> "zh-Hant-TW"; private use stays lower.
    parts = tag.split("-")
    return "-".join(_canonical_subtag(part, i, parts) for i, part in enumerate(parts))


def _canonical_subtag(part: str, index: int, parts: list[str]) -> str:
    after_singleton = any(len(p) == 1 for p in parts[:index])
    if index == 0 or after_singleton:
        return part.lower()
    if len(part) == 4 and part.isalpha():
        return part.title()
    return part.upper() if len(part) == 2 else part.lower()


def language_label(lang: str) -> str:
    """The name of a language in that language, for a <track label>; else the tag itself."""
    key = lang.lower()
    if key in _LABELS:
        return _LABELS[key]
    primary, *rest = key.split("-")
    if "x" in rest or primary not in _LABELS:
        return lang
    return _LABELS["zh-hant"] if primary == "zh" and _is_traditional(rest) else _LABELS[primary]


def _is_traditional(subtags: list[str]) -> bool:
    return "hant" in subtags or (
        "hans" not in subtags and bool(_TRADITIONAL_REGIONS.intersection(subtags))
    )


# -------------------------------------------------------------------------- reading


def read_captions(
    path: Path, source: str, slug: str, lang: str
) -> tuple[CaptionTrack, list[Problem]]:
    """Read an SRT, WebVTT or SBV file into a cleaned track, plus warnings.

    Raises CaptionError when the file cannot be decoded, or when any line of text would not
    reach a cue (every error names its line); the warnings come along in the error.
    """
    text = _decode(_read_bytes(path, source), source, lang)
    lines = _split_lines(text)
    kind = _sniff(lines, path.suffix.lower().lstrip("."))
    parsed = _parse(lines, kind)
    cues, warnings = _clean_cues(parsed, source, kind)
    errors = [_problem(source, e.line, e.message, e.hint) for e in parsed.errors]
    if errors:
        raise CaptionError(sorted([*errors, *warnings], key=lambda p: p.line or 0))
    if not cues:
        raise CaptionError(_no_cues(source, warnings))
    return CaptionTrack(slug, lang, source, tuple(cues)), warnings


def _read_bytes(path: Path, source: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_CAPTION_BYTES:
            raise CaptionError(_problem(source, None, f"is {size} bytes, too big for captions"))
        return path.read_bytes()
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise CaptionError(_problem(source, None, f"cannot be read: {reason}")) from err


def _decode(data: bytes, source: str, lang: str) -> str:
    try:
        decoded = decode_text(data, lang)
    except UnknownEncodingError as err:
        raise CaptionError(
            _problem(
                source,
                None,
                f"cannot tell which text encoding it uses: {err}",
                "save it as UTF-8 (メモ帳: 名前を付けて保存 → 文字コード「UTF-8」)",
            )
        ) from None
    logger.debug("%s: read as %s", source, decoded.encoding)
    return decoded.text.removeprefix("\ufeff")


def _split_lines(text: str) -> list[_Line]:
    # Only CR, LF and CRLF end lines (as in WebVTT); str.splitlines would also split on
    # form feeds and U+2028 and shift every line number after them.
    return [_Line(i, line) for i, line in enumerate(_NEWLINE.split(text), start=1)]


def _sniff(lines: list[_Line], extension: str) -> str:
    first = next((line.text.strip() for line in lines if not _is_blank(line.text)), "")
    if first.startswith("WEBVTT"):
        return "vtt"
    forms = [timing_form(line.text) for line in lines]
    arrows, commas = forms.count("arrow"), forms.count("comma")
    # The format most timing lines are written in; a tie (one of each) is the extension's.
    if arrows > commas or (arrows and arrows == commas and extension != "sbv"):
        return "vtt" if extension == "vtt" else "srt"
    return "sbv" if commas else extension


def _is_blank(text: str) -> bool:
    return not CONTROL_CHARACTERS.sub("", text).strip()


def _blocks(lines: list[_Line]) -> Iterator[tuple[_Line, ...]]:
    block: list[_Line] = []
    for line in [*lines, _Line(0, "")]:
        if not _is_blank(line.text):
            block.append(line)
        elif block:
            yield tuple(block)
            block = []


def _parse(lines: list[_Line], kind: str) -> _Parsed:
    blocks = list(_blocks(lines))
    header = bool(blocks) and blocks[0][0].text.strip().startswith("WEBVTT")
    return _merge(
        _parse_block(block, kind, header and i == 0, _starts_with_timing(blocks[i + 1 :], kind))
        for i, block in enumerate(blocks)
    )


def _starts_with_timing(blocks: list[tuple[_Line, ...]], kind: str) -> bool:
    return bool(blocks) and read_timing(blocks[0][0].text, kind) is not None


def _merge(parts: Iterable[_Parsed]) -> _Parsed:
    done = list(parts)
    return _Parsed(
        tuple(cue for part in done for cue in part.cues),
        tuple(error for part in done for error in part.errors),
        tuple(repair for part in done for repair in part.repairs),
    )


def _parse_block(block: tuple[_Line, ...], kind: str, header: bool, numbered: bool) -> _Parsed:
    reads = [read_timing(line.text, kind) for line in block]
    starts = [(i, r) for i, r in enumerate(reads) if r and _is_start(block, i, r, kind)]
    if not starts:
        return _stray_block(block, kind, header, numbered)
    ends = [_text_end(block, i, kind) for i, _ in starts[1:]] + [len(block)]
    segments = [_segment(block, i, end, read) for (i, read), end in zip(starts, ends, strict=True)]
    lead = _Parsed() if header else _lead(block[: starts[0][0]], kind)
    return _merge([lead, *segments])


def _is_start(block: tuple[_Line, ...], i: int, read: Timing | BadTiming, kind: str) -> bool:
    # Where a timing belongs (a block's first line, after its cue number or id, or after a
    # cue number when the blank line is missing) any timing-like line is one. Inside cue
    # text only one written like a caption timing is: 「９：００〜１７：００」 is words.
    slot = i == 0 or (i == 1 and _is_label(block[0].text, kind))
    if slot or (kind != "sbv" and _is_index(block[i - 1].text)):
        return True
    return read.strong or (isinstance(read, Timing) and not read.repairs)


def _is_label(text: str, kind: str) -> bool:
    """A cue's number (SRT) or id (WebVTT, any text) on the line before its timing."""
    return kind == "vtt" or (kind == "srt" and is_number(text))


def _is_index(text: str) -> bool:
    return bool(_INDEX.fullmatch(text.strip()))


def _text_end(block: tuple[_Line, ...], timing: int, kind: str) -> int:
    # Without the blank line between SRT cues, the number before a timing is its index.
    numbered = kind != "sbv" and _is_index(block[timing - 1].text)
    return timing - 1 if numbered else timing


def _segment(block: tuple[_Line, ...], start: int, end: int, read: Timing | BadTiming) -> _Parsed:
    line = block[start]
    if isinstance(read, BadTiming):
        # The text under an unreadable timing is named by this error, not lost silently.
        return _Parsed(errors=(_Issue(line.number, read.message, read.hint),))
    cue = _RawCue(line.number, read.start, read.end, tuple(x.text for x in block[start + 1 : end]))
    repairs = (_Repair(line.number, read.repairs, read.shown),) if read.repairs else ()
    return _Parsed(cues=(cue,), repairs=repairs)


def _lead(lines: tuple[_Line, ...], kind: str) -> _Parsed:
    # The line right before a block's first timing is its cue number or id, not text.
    if not lines or not _is_label(lines[-1].text, kind):
        return _orphans(lines, kind)
    label = lines[-1]
    repairs = (_Repair(label.number, ("number",), half_width(label.text).strip()),)
    numbered = _Parsed(repairs=repairs if is_fullwidth_number(label.text) else ())
    return _merge([_orphans(lines[:-1], kind), numbered])


def _stray_block(block: tuple[_Line, ...], kind: str, header: bool, numbered: bool) -> _Parsed:
    # Header lines, NOTE/STYLE/REGION blocks and a cue number with its timing in the next
    # block are not text; anything else without a timing is an error.
    if header or (kind == "vtt" and _VTT_BLOCKS.match(block[0].text)):
        return _Parsed()
    if len(block) == 1 and kind != "sbv" and is_number(block[0].text) and numbered:
        return _lead(block, kind)
    if len(block) == 1 and kind != "sbv" and is_number(block[0].text):
        return _Parsed(errors=(_stray_number(block[0]),))
    return _orphans(block[1:] if _is_index(block[0].text) and kind != "sbv" else block, kind)


def _orphans(lines: tuple[_Line, ...], kind: str) -> _Parsed:
    # One error for a run of lines no timing leads to, on its first line: the lines after
    # it are the same mistake (a missing or misplaced timing line or blank line).
    if not lines:
        return _Parsed()
    first = lines[0]
    if looks_like_timing(first.text):
        message = f"cannot read the cue timing {snippet(first.text)!r}"
        hint = f"write it as {example(kind)} (hours:minutes:seconds, then milliseconds)"
    else:
        message = f"text with no timing line above it: {snippet(first.text)!r}"
        hint = (
            "if it belongs to the caption above, delete the blank line above it; "
            f"if it is a new caption, add a timing line such as {example(kind)} above it"
        )
    return _Parsed(errors=(_Issue(first.number, message, hint),))


def _stray_number(line: _Line) -> _Issue:
    return _Issue(
        line.number,
        f"a number with no timing line after it: {snippet(line.text)!r}",
        "delete it if it is a leftover cue number; if it is caption text, add a timing line "
        "above it",
    )


def _no_cues(source: str, warnings: Sequence[Problem]) -> list[Problem]:
    hint = "a caption file needs lines like 00:00:01,000 --> 00:00:03,000 followed by text"
    # The first few warnings say why cues were dropped; a binary file would give hundreds.
    return [_problem(source, None, "has no cues with text", hint), *warnings[:5]]


# ------------------------------------------------------------------------- cleaning


def _clean_cues(parsed: _Parsed, source: str, kind: str) -> tuple[list[Cue], list[Problem]]:
    warnings = _repair_warnings(source, parsed.repairs, kind)
    cues: list[Cue] = []
    for raw in parsed.cues:
        cue = Cue(raw.start, raw.end, clean_cue_text("\n".join(raw.payload)), raw.line)
        empty = not "".join(cue.plain_text().split())
        cues += [] if empty else [cue]
        warnings += [_warning(source, cue.line, "cue has no text and was dropped")] if empty else []
    return cues, sorted(warnings, key=lambda p: p.line or 0)


def _repair_warnings(source: str, repairs: Sequence[_Repair], kind: str) -> list[Problem]:
    # One warning per kind of repair, on its first line: a file typed in full-width mode
    # would otherwise give one per cue.
    groups: dict[tuple[str, ...], list[_Repair]] = {}
    for repair in repairs:
        groups.setdefault(repair.names, []).append(repair)
    return [_repair_warning(source, group, kind) for group in groups.values()]


def _repair_warning(source: str, group: list[_Repair], kind: str) -> Problem:
    first, rest = group[0], group[1:]
    texts = [repair_text(name, kind) for name in first.names]
    message = "; ".join(message for message, _ in texts)
    hint = "; ".join(dict.fromkeys(hint for _, hint in texts))
    return _warning(source, first.line, f"{message}; read as {first.shown}{_also(rest)}", hint)


def _also(rest: list[_Repair]) -> str:
    if not rest:
        return ""
    lines = ", ".join(str(r.line) for r in rest[:5])
    more = f" and {len(rest) - 5} more" if len(rest) > 5 else ""
    return f" (also on line{'s' if len(rest) > 1 else ''} {lines}{more})"


def clean_cue_text(raw: str) -> str:
    """Turn SRT/WebVTT cue text into a safe WebVTT payload (see `Cue.text`)."""
    builder = _PayloadBuilder()
    text = _RUBY_EXTRA.sub("", _ASS_OVERRIDE.sub("", raw))
    position = 0
    for match in _MARKUP.finditer(text):
        builder.add_text(text[position : match.start()])
        builder.add_tag(match)
        position = match.end()
    builder.add_text(text[position:])
    return tidy_lines(builder.finish())


def tidy_lines(text: str) -> str:
    # A blank line would end the cue in WebVTT, so lines emptied by cleaning go.
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())


class _PayloadBuilder:
    """Collects cue text and keeps the kept tags balanced (a mutable helper, not data)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.open: list[str] = []

    def add_text(self, text: str) -> None:
        plain = CONTROL_CHARACTERS.sub("", html.unescape(text).replace("\t", " "))
        self.parts.append(escape_cue_text(plain))

    def add_tag(self, match: re.Match[str]) -> None:
        closing, name, rest = match.group(1), (match.group(2) or "").lower(), match.group(3)
        if name == "br":
            self.parts.append("\n")
        elif closing:
            self._close(name)
        elif name in _KEPT_TAGS:
            self._open(name, f"<{name}>")
        elif name == "v":
            self._open_voice(_voice_name(rest or ""))

    def finish(self) -> str:
        self.parts += [f"</{name}>" for name in reversed(self.open)]
        self.open.clear()
        return "".join(self.parts)

    def _open(self, name: str, tag: str) -> None:
        self.open.append(name)
        self.parts.append(tag)

    def _open_voice(self, speaker: str) -> None:
        # WebVTT forbids a voice inside a voice and a voice without a name.
        if speaker and "v" not in self.open:
            self._open("v", f"<v {escape_cue_text(speaker)}>")

    def _close(self, name: str) -> None:
        # Closing an outer tag closes the ones opened inside it, so the result nests.
        if name not in self.open:
            return
        while self.open:
            inner = self.open.pop()
            self.parts.append(f"</{inner}>")
            if inner == name:
                return


def _voice_name(rest: str) -> str:
    annotation = re.sub(r"^(?:\.[^\s.]*)*", "", rest)
    return " ".join(CONTROL_CHARACTERS.sub("", html.unescape(annotation)).split())


def escape_cue_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ------------------------------------------------------------------------- checking


def check_track(
    track: CaptionTrack, duration: float | None, max_cps: float = 8.0
) -> tuple[CaptionTrack, list[Problem]]:
    """Warn about cue order, overlaps and reading speed; cues past the clip's end are errors.

    Cues starting at or after `duration` are left out (with an error) and cues ending after it
    trimmed (with a warning);
    the returned track is the one to publish.
    """
    problems = [*_order_problems(track), *_speed_problems(track, max_cps)]
    cues, end_problems = _fit_to_duration(track, duration)
    problems = sorted([*problems, *end_problems], key=lambda p: p.line or 0)
    return replace(track, cues=tuple(cues)), problems


def _order_problems(track: CaptionTrack) -> Iterator[Problem]:
    for previous, cue in zip(track.cues, track.cues[1:], strict=False):
        if cue.start < previous.start:
            yield _warning(
                track.source,
                cue.line,
                f"cue starts at {vtt_time(cue.start)}, before the cue above it "
                f"(line {previous.line}, {vtt_time(previous.start)})",
                "cues out of order are usually a typo in a timing",
            )
        elif cue.start < previous.end:
            yield _warning(
                track.source,
                cue.line,
                f"cue starts at {vtt_time(cue.start)} while the cue above it "
                f"(line {previous.line}) is still shown until {vtt_time(previous.end)}",
                "overlapping cues show two captions at once; end the first one earlier",
            )


def _speed_problems(track: CaptionTrack, max_cps: float) -> Iterator[Problem]:
    for cue in track.cues:
        speed = reading_speed(cue)
        if speed > max_cps:
            yield _warning(
                track.source,
                cue.line,
                f"reading speed {speed:.1f} characters/second is above {max_cps:g}",
                "show the cue longer, or split or shorten the text",
            )


def reading_speed(cue: Cue) -> float:
    """Characters (without spaces) per second of display time."""
    chars = len("".join(cue.plain_text().split()))
    duration = cue.end - cue.start
    return chars / duration if duration > 0 else math.inf


def _fit_to_duration(
    track: CaptionTrack, duration: float | None
) -> tuple[list[Cue], list[Problem]]:
    if duration is None:
        return list(track.cues), []
    cues: list[Cue] = []
    problems: list[Problem] = []
    for cue in track.cues:
        fitted, problem = _fit_cue(cue, duration, track.source)
        cues += [fitted] if fitted else []
        problems += [problem] if problem else []
    return cues, problems


def _fit_cue(cue: Cue, duration: float, source: str) -> tuple[Cue | None, Problem | None]:
    end = vtt_time(duration)
    if cue.start >= duration:
        # an error, not a warning: the editor's text would silently not be published
        message = f"cue starts at {vtt_time(cue.start)}, after the clip ends ({end})"
        return None, Problem(path=source, line=cue.line, message=message,
                             hint="check the timing, or whether this caption file belongs "
                             "to another video", severity="error")
    if cue.end > duration:
        message = f"cue ends at {vtt_time(cue.end)}, after the clip ends ({end}); trimmed"
        return replace(cue, end=duration), _warning(source, cue.line, message)
    return cue, None


# ------------------------------------------------------------------------- problems


def _problem(source: str, line: int | None, message: str, hint: str = "") -> Problem:
    return Problem(path=source, line=line, message=message, hint=hint)


def _warning(source: str, line: int | None, message: str, hint: str = "") -> Problem:
    return Problem(path=source, line=line, message=message, hint=hint, severity="warning")
