"""Caption tracks kept from the last build: reading a caption file (detecting its encoding,
parsing, cleaning, checking) was most of a rebuild's time at 1,000 clips, and an unchanged file
gives the same track every time.

An entry is keyed by the file's bytes and everything else the reading depends on (the clip's
slug and length, the language, the reading-speed limit, clipportal's own code), and holds the
cleaned cues and the warnings. Files that fail to read are never kept, so their errors are
reported on every build. The memo is one JSON file, `build/caption-memo.json`, rewritten with
the entries this build used: it stays the size of the portal's captions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clipportal.captions.parse import CaptionTrack, Cue
from clipportal.errors import Problem
from clipportal.paths import write_text_atomically

MEMO_FILE = Path("build") / "caption-memo.json"
PACKAGE = Path(__file__).parent.parent
"""All of clipportal: reading a caption file goes through the catalog, settings and errors
too."""

Reader = Callable[[], tuple[CaptionTrack, list[Problem], str]]
"""Reads a caption file: the checked track, its warnings and its WebVTT text."""


class CaptionMemo:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries = _load(path)
        self.used: dict[str, Any] = {}
        self.salt = _code_digest()

    def track(self, data: bytes, parts: tuple[Any, ...],
              read: Reader) -> tuple[CaptionTrack, list[Problem], str]:
        """The checked track of a caption file whose bytes are `data`, its warnings and its
        WebVTT text, from the memo or from `read` (which may raise; then nothing is kept)."""
        key = self._key(data, parts)
        entry = self.entries.get(key)
        if entry is None:
            entry = _entry(*read())
        self.used[key] = entry
        return _track(entry), _problems(entry), str(entry["vtt"])

    def text(self, parts: tuple[Any, ...], make: Callable[[], str]) -> str:
        """Any other text made from JSON-able `parts` alone (a storyboard track)."""
        key = self._key(b"", parts)
        entry = self.entries.get(key)
        if entry is None:
            entry = {"text": make()}
        self.used[key] = entry
        return str(entry["text"])

    def save(self) -> None:
        write_text_atomically(self.path, json.dumps(self.used, ensure_ascii=False))

    def _key(self, data: bytes, parts: tuple[Any, ...]) -> str:
        digest = hashlib.sha256(self.salt.encode())
        digest.update(json.dumps(parts, ensure_ascii=False).encode("utf-8") + b"\0" + data)
        return digest.hexdigest()[:40]


def _load(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _code_digest() -> str:
    """clipportal's own code: a change to how captions are read must not serve old tracks."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _entry(track: CaptionTrack, problems: list[Problem], vtt: str) -> dict[str, Any]:
    return {"slug": track.slug, "lang": track.lang, "source": track.source,
            "cues": [[c.start, c.end, c.text, c.line] for c in track.cues],
            "problems": [[p.path, p.message, p.hint, p.line, p.severity] for p in problems],
            "vtt": vtt}


def _track(entry: dict[str, Any]) -> CaptionTrack:
    cues = tuple(Cue(float(s), float(e), str(t), int(n)) for s, e, t, n in entry["cues"])
    return CaptionTrack(entry["slug"], entry["lang"], entry["source"], cues)


def _problems(entry: dict[str, Any]) -> list[Problem]:
    return [Problem(path, message, hint, line, severity)
            for path, message, hint, line, severity in entry["problems"]]
