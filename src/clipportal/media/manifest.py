"""The media manifest: what one media job produced, as typed records.

It is the contract between the media stage and everything after it (tracks, pages, the MkDocs
adapter, HLS, the build fingerprint, the progress report). Only the cache converts it to and
from JSON (`to_json` / `from_json`); everywhere else it is these frozen dataclasses, so mypy
checks every field that crosses a module boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

DURATION_DIGITS = 3
MANIFEST_FILE = "manifest.json"
"""An entry's manifest, in build/cache/<key>/ and beside the media published at media_url."""
"""Durations are stored rounded to milliseconds; every rule comparing times with a clip's
length uses the stored value, so the media step and the pages never disagree."""


def stored_duration(seconds: float) -> float:
    return round(seconds, DURATION_DIGITS)


def inside_clip(start: float, duration: float) -> bool:
    """The one rule for "does this chapter start inside the clip" (stills, tracks, pages)."""
    return 0 <= start < duration


class ManifestFormatError(ValueError):
    """A manifest.json that is not what this version writes: the cache treats it as missing."""


@dataclass(frozen=True)
class Rendition:
    """One encoded MP4 of the ladder."""

    name: str
    label: str
    file: str
    width: int
    height: int
    bytes: int


@dataclass(frozen=True)
class Poster:
    width: int
    height: int
    jpg: str
    webp: str


@dataclass(frozen=True)
class Storyboard:
    """A seek-preview sprite: `tiles` tiles of width × height, `columns` a row, one every
    `interval` seconds."""

    file: str
    tiles: int
    interval: float
    columns: int
    width: int
    height: int


@dataclass(frozen=True)
class ChapterStill:
    time: float
    width: int
    height: int
    jpg: str
    webp: str


@dataclass(frozen=True)
class Hls:
    master: str
    playlists: tuple[str, ...]


@dataclass(frozen=True)
class Manifest:
    key: str
    slug: str
    duration: float
    has_audio: bool
    poster_time: float
    fps: float
    renditions: tuple[Rendition, ...]
    posters: tuple[Poster, ...]
    storyboard: Storyboard
    warnings: tuple[str, ...] = ()
    chapters: tuple[ChapterStill, ...] = ()
    loudness_gain_db: float | None = None
    hls: Hls | None = None
    files: dict[str, int] = field(default_factory=dict)
    """File name → size in bytes; the cache checks them before trusting an entry."""
    from_cache: bool = False
    """Not stored: whether this build found the entry (True) or encoded it (False)."""

    def file_names(self) -> list[str]:
        """Every published file of the entry (not the manifest itself)."""
        names = [r.file for r in self.renditions]
        names += [name for p in self.posters for name in (p.jpg, p.webp)]
        names += [name for c in self.chapters for name in (c.jpg, c.webp)]
        names += [self.hls.master, *self.hls.playlists] if self.hls else []
        return [*names, self.storyboard.file]

    def with_key(self, key: str, from_cache: bool) -> Manifest:
        return replace(self, key=key, from_cache=from_cache)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key, "slug": self.slug, "duration": self.duration,
            "has_audio": self.has_audio, "warnings": list(self.warnings),
            "poster_time": self.poster_time, "fps": self.fps,
            "renditions": [vars(r) for r in self.renditions],
            "posters": [vars(p) for p in self.posters],
            "storyboard": vars(self.storyboard),
            "chapters": [vars(c) for c in self.chapters],
            "files": dict(self.files),
        }
        if self.loudness_gain_db is not None:
            data["loudness_gain_db"] = self.loudness_gain_db
        if self.hls is not None:
            data["hls"] = {"master": self.hls.master, "playlists": list(self.hls.playlists)}
        return data

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        """Raise ManifestFormatError when `data` is not a manifest this version wrote."""
        try:
            return _from_json(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ManifestFormatError(str(exc)) from exc


def _from_json(data: dict[str, Any]) -> Manifest:
    hls = data.get("hls")
    gain = data.get("loudness_gain_db")
    return Manifest(
        key=str(data["key"]), slug=str(data["slug"]), duration=float(data["duration"]),
        has_audio=bool(data["has_audio"]), poster_time=float(data["poster_time"]),
        fps=float(data.get("fps") or 0),
        renditions=tuple(Rendition(**r) for r in data["renditions"]),
        posters=tuple(Poster(**p) for p in data["posters"]),
        storyboard=Storyboard(**data["storyboard"]),
        warnings=tuple(str(w) for w in data.get("warnings", [])),
        chapters=tuple(ChapterStill(**c) for c in data.get("chapters", [])),
        loudness_gain_db=None if gain is None else float(gain),
        hls=Hls(str(hls["master"]), tuple(hls["playlists"])) if hls else None,
        files={str(k): int(v) for k, v in data.get("files", {}).items()},
    )
