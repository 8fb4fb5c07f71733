"""Timing lines of SRT, WebVTT and SBV files: read them, repairing what is clearly meant.

Editors type timings by hand, often with a Japanese input method in full-width mode:
`００：００：０５、０００ ー＞ …`. Where the meaning is unambiguous (full-width digits and
colons, an arrow typed as `->`, `→` or `ー＞`, `.` for `,`, a missing hour, stray spaces)
the line is read and the repair named, so the caller can warn. Where it is not (the end
before the start, text after the times, a frame number) the line is a `BadTiming` with a
message and a hint, so the caller can stop the build instead of losing the cue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from clipportal.errors import CONTROL_CHARACTERS

# Full-width forms an IME types, and its comma (、) and full stop (。) in place of , and .
_HALF_WIDTH = str.maketrans("０１２３４５６７８９：．，、。\u3000－＞＝", "0123456789:.,,. ->=")
# Pieces of an arrow: hyphens, minus, dashes, the long-vowel mark ー, box lines, tildes.
_DASHES = re.escape("-=~ー−—–‐‑―─〜～")
_ARROW = rf"(?:[{_DASHES}]\s?){{1,4}}>?|[→⇒⟶➔➡>]"
_ARROWISH = re.compile(rf"(?:[{_DASHES}]\s?){{1,4}}>|[→⇒⟶➔➡]|--")
# Hours are capped at 5 digits: an unbounded number could not become a float.
_CLOCK = r"\d{1,5}(?:\s*:\s*\d{1,3}){1,3}"
_CLOCKISH = re.compile(r"\d\s*:\s*\d")
_STRONG_START = re.compile(r"\s*\d{1,5}\s*:\s*\d{1,3}\s*(?::\s*\d|[.,]\s*\d)")
_SETTINGS = re.compile(r"(?:\s+[A-Za-z][\w-]*:\S*)*\s*")
_NUMBER = re.compile(r"\s*[0-9０-９]+\s*")
_DIGIT = re.compile(r"[0-9０-９]")

_EXAMPLE = {
    "srt": "00:00:05,000 --> 00:00:07,000",
    "vtt": "00:00:05.000 --> 00:00:07.000",
    "sbv": "0:00:05.000,0:00:07.000",
}
_FRACTION = {"srt": ",", "vtt": ".", "sbv": "."}
_REPAIRS = {
    "width": (
        "the timing is typed in full-width (全角) characters",
        "type timings in half-width (半角) characters",
    ),
    "arrow": (
        "the arrow between the times is not written as -->",
        "write the arrow as two hyphens and a greater-than sign: -->",
    ),
    "comma": ("the two times are not separated by a comma", "write SBV timings as {example}"),
    "separator": ("the milliseconds are not after '{fraction}'", "write times as {example}"),
    "hours": ("a time has no hours", "write the hours too, as in {example}"),
    "spacing": ("the timing has extra or missing spaces", "write it as {example}"),
    "number": (
        "the cue number is typed in full-width (全角) digits",
        "type cue numbers in half-width (半角) digits",
    ),
}


@dataclass(frozen=True)
class Timing:
    """A timing line that could be read."""

    start: float
    end: float
    repairs: tuple[str, ...]
    """What was not written the standard way: keys of `repair_text`."""
    strong: bool
    """Written like a caption timing (hours or milliseconds), unlike a time in a sentence."""
    shown: str
    """The timing as it was read, written the standard way for the format."""


@dataclass(frozen=True)
class BadTiming:
    """A line meant as a timing that cannot be read without guessing."""

    message: str
    hint: str
    strong: bool
    """Unmistakably a timing, even in the middle of cue text."""


@dataclass(frozen=True)
class _Clock:
    seconds: float
    has_hours: bool
    separator: str
    spaced: bool


def _stamp(name: str) -> str:
    fraction = rf"(?:\s*(?P<{name}_sep>[.,])\s*(?P<{name}_frac>\d{{1,9}}))?"
    return rf"(?P<{name}_all>(?P<{name}>{_CLOCK}){fraction})"


_TIMING = re.compile(
    rf"\s*{_stamp('a')}(?P<gap1>\s*)(?P<arrow>{_ARROW}|,)?(?P<gap2>\s*){_stamp('b')}(?P<rest>.*)"
)


# Each timing line is read by the format sniffing, the block parse and the look-ahead of the
# block before it; the answers are immutable, so a file's lines are worked out once.
@lru_cache(maxsize=4096)
def read_timing(text: str, kind: str) -> Timing | BadTiming | None:
    """Read a timing line of an "srt", "vtt" or "sbv" file; None if it is not meant as one."""
    if not _could_be_timing(text):
        return None
    match = _TIMING.fullmatch(half_width(text))
    if match is None or not (match["arrow"] or match["gap1"] or match["gap2"]):
        return _unreadable(text, kind) if looks_like_timing(text) else None
    return _interpret(text, match, kind)


def looks_like_timing(text: str) -> bool:
    """Two clock times, a clock time and an arrow, or a line starting with a caption-style
    time (00:00:05 or 00:05,000): meant as a timing, not as words."""
    folded = half_width(text)
    clocks = len(_CLOCKISH.findall(folded))
    arrow = bool(_ARROWISH.search(folded))
    return clocks >= 2 or (clocks == 1 and arrow) or bool(_STRONG_START.match(folded))


@lru_cache(maxsize=4096)
def timing_form(text: str) -> str | None:
    """ "arrow" (SRT, WebVTT) or "comma" (SBV) for a line meant as a timing, else None."""
    if not _could_be_timing(text):
        return None
    match = _TIMING.fullmatch(half_width(text))
    if match is not None and match["arrow"]:
        return "comma" if match["arrow"] == "," else "arrow"
    return "arrow" if looks_like_timing(text) and "-->" in text else None


def _could_be_timing(text: str) -> bool:
    # Every timing has a digit and a colon; most lines (cue text, cue numbers) have not,
    # and skipping them keeps a long file fast.
    return ("：" in text or ":" in text) and bool(_DIGIT.search(text))


def is_number(text: str) -> bool:
    """A cue number (SRT index), in half-width or full-width digits."""
    return bool(_NUMBER.fullmatch(text))


def is_fullwidth_number(text: str) -> bool:
    return is_number(text) and half_width(text) != text


def half_width(text: str) -> str:
    """Full-width digits, colons, commas, full stops and spaces as their ASCII forms."""
    return text if text.isascii() else text.translate(_HALF_WIDTH)


def example(kind: str) -> str:
    """A correct timing line for the format, for hints."""
    return _EXAMPLE.get(kind, _EXAMPLE["srt"])


def repair_text(repair: str, kind: str) -> tuple[str, str]:
    """(what was wrong, how to write it) for one of `Timing.repairs`."""
    message, hint = _REPAIRS[repair]
    fields = {"example": example(kind), "fraction": _FRACTION.get(kind, ",")}
    return message.format(**fields), hint.format(**fields)


def _interpret(text: str, match: re.Match[str], kind: str) -> Timing | BadTiming:
    start, end = _clock(match, "a"), _clock(match, "b")
    if start is None or end is None:
        return _unreadable(text, kind)
    shown = f"{format_time(start.seconds, kind)} --> {format_time(end.seconds, kind)}"
    shown = shown.replace(" --> ", ",") if kind == "sbv" else shown
    strong = start.has_hours or bool(start.separator)
    if not _SETTINGS.fullmatch(match["rest"]):
        return _text_after(match["rest"], strong)
    if end.seconds <= start.seconds:
        return _backwards(shown, end.seconds < start.seconds, strong)
    repairs = _repairs(match, kind, text, (start, end))
    return Timing(start.seconds, end.seconds, repairs, strong, shown)


def _clock(match: re.Match[str], name: str) -> _Clock | None:
    fields = [field.strip() for field in match[name].split(":")]
    separator, fraction = match[f"{name}_sep"] or "", match[f"{name}_frac"] or ""
    if len(fields) == 4 and not separator and len(fields[3]) == 3:
        separator, fraction = ":", fields.pop()  # 00:00:05:000, ":" before milliseconds
    if len(fields) == 4 or any(len(f) > 2 or int(f) > 59 for f in fields[-2:]):
        return None  # four fields with a 2-digit last one are frames: no fps to convert
    hours = int(fields[0]) if len(fields) == 3 else 0
    # The digits after the separator are a decimal fraction: "1,5" is 1.5 s, like "1,500".
    millis = int(fraction.ljust(3, "0")[:3])
    total = (hours * 3600 + int(fields[-2]) * 60 + int(fields[-1])) * 1000 + millis
    spaced = bool(re.search(r"\s", match[f"{name}_all"]))
    return _Clock(total / 1000, len(fields) == 3, separator, spaced)


def _repairs(
    match: re.Match[str], kind: str, text: str, clocks: tuple[_Clock, _Clock]
) -> tuple[str, ...]:
    arrow_ok = match["arrow"] == ("," if kind == "sbv" else "-->")
    gaps = (match["gap1"], match["gap2"])
    # A full-width arrow that is the wrong arrow anyway is reported once, as the arrow.
    spans = ["a_all", "gap1", "gap2", "b_all", *(["arrow"] if arrow_ok else [])]
    found = {
        "width": any(text[slice(*match.span(g))] != match[g] for g in spans),
        "comma" if kind == "sbv" else "arrow": not arrow_ok,
        "separator": any(c.separator not in ("", _FRACTION.get(kind, ",")) for c in clocks),
        "hours": kind != "vtt" and not all(c.has_hours for c in clocks),
        # A wrong arrow is reported on its own; its spacing comes right with it.
        "spacing": any(c.spaced for c in clocks)
        or (arrow_ok and gaps != (("", "") if kind == "sbv" else (" ", " "))),
    }
    return tuple(name for name, wrong in found.items() if wrong)


def format_time(seconds: float, kind: str) -> str:
    """00:01:02,500 (SRT), 00:01:02.500 (WebVTT) or 0:01:02.500 (SBV)."""
    total = round(seconds * 1000)
    hours, rest = divmod(total, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    text = f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
    if kind == "sbv":
        return text.removeprefix("0") if hours < 10 else text
    return text.replace(".", ",") if kind == "srt" else text


def vtt_time(seconds: float) -> str:
    """HH:MM:SS.mmm, as WebVTT wants it."""
    return format_time(seconds, "vtt")


def _unreadable(text: str, kind: str) -> BadTiming:
    folded = half_width(text)
    strong = bool(_STRONG_START.match(folded) and _ARROWISH.search(folded))
    hint = f"write it as {example(kind)} (hours:minutes:seconds, then milliseconds)"
    return BadTiming(f"cannot read the cue timing {snippet(text)!r}", hint, strong)


def _text_after(rest: str, strong: bool) -> BadTiming:
    return BadTiming(
        f"there is text after the timing: {snippet(rest)!r}",
        "put the caption text on its own line below the timing line",
        strong,
    )


def _backwards(shown: str, reversed_: bool, strong: bool) -> BadTiming:
    if reversed_:
        message = f"the cue ends before it starts ({shown})"
        hint = "the first time is the start and the second the end; fix the typo or swap them"
    else:
        message = f"the cue starts and ends at the same time ({shown})"
        hint = "make the end time later than the start time"
    return BadTiming(message, hint, strong)


def snippet(text: str) -> str:
    """The start of a line, cleaned of control characters, for a message."""
    text = CONTROL_CHARACTERS.sub("", text).strip()
    return text if len(text) <= 40 else text[:39] + "…"
