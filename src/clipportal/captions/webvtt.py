"""Writing WebVTT that strict parsers (the W3C validator's) accept: caption tracks, chapter
tracks and the storyboard (seek-preview) track. No header lines after `WEBVTT`, cue ids
`t-<seconds>` so a transcript line can link to its moment, times as HH:MM:SS.mmm."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

from clipportal.captions.parse import Cue, escape_cue_text, tidy_lines
from clipportal.captions.timing import vtt_time
from clipportal.errors import CONTROL_CHARACTERS
from clipportal.ids import unique_ids


def write_webvtt(cues: Sequence[Cue]) -> str:
    """A WebVTT file that strict parsers accept: no header lines, ids t-<seconds>."""
    ordered = sorted(_writable(cues), key=lambda c: _millis(c.start))
    ids = unique_ids(f"t-{_millis(c.start) // 1000}" for c in ordered)
    blocks = [
        _cue_block(cue_id, c.start, c.end, _payload(c.text))
        for cue_id, c in zip(ids, ordered, strict=True)
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)


def chapters_webvtt(chapters: Sequence[tuple[float, float, str]]) -> str:
    """A kind="chapters" WebVTT track from (start, end, title); titles are plain text."""
    cues = [Cue(start, end, _chapter_title(title), 0) for start, end, title in chapters]
    ordered = sorted(_writable(cues), key=lambda c: _millis(c.start))
    blocks = [_cue_block(f"chapter-{i}", c.start, c.end, c.text) for i, c in enumerate(ordered, 1)]
    return "WEBVTT\n\n" + "\n".join(blocks)


def _chapter_title(title: str) -> str:
    return escape_cue_text(" ".join(CONTROL_CHARACTERS.sub("", title).split()))


def _writable(cues: Sequence[Cue]) -> Iterator[Cue]:
    # Strict parsers reject an end not after the start; sub-millisecond cues would round
    # to exactly that, and NaN or negative times are not times.
    for cue in cues:
        finite = math.isfinite(cue.start) and math.isfinite(cue.end) and cue.start >= 0
        if finite and _millis(cue.end) > _millis(cue.start):
            yield cue


def _cue_block(cue_id: str, start: float, end: float, text: str) -> str:
    return f"{cue_id}\n{vtt_time(start)} --> {vtt_time(end)}\n{text}\n"


def _payload(text: str) -> str:
    # Defensive for cues built elsewhere: no blank lines, no "-->" inside the text.
    return tidy_lines(text.replace("-->", "--&gt;"))


def storyboard_webvtt(duration: float, tiles: int, interval: float, columns: int,
                      size: tuple[int, int], image: str) -> str:
    """A kind="metadata" track pointing each time range at its tile of the sprite (#xywh)."""
    width, height = size
    lines = ["WEBVTT", ""]
    for i in range(tiles):
        start = i * interval
        end = max(min(duration, start + interval), start + 0.001)
        x, y = (i % columns) * width, (i // columns) * height
        lines += [f"{vtt_time(start)} --> {vtt_time(end)}",
                  f"{image}#xywh={x},{y},{width},{height}", ""]
    return "\n".join(lines)


def _millis(seconds: float) -> int:
    return round(seconds * 1000)
