"""Portal settings: topics, the rendition ladder and limits, read from the `clipportal` plugin
entry in `mkdocs.yml`.

The core reads mkdocs.yml itself (tolerating MkDocs-specific YAML tags) so that `clipportal
check` and the media pipeline never need MkDocs; the MkDocs plugin passes the same mapping
through `settings_from_mapping`, so there is one source of truth for defaults and validation.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from clipportal.catalog.yamltext import explain_error
from clipportal.errors import CatalogError, Problem

log = logging.getLogger(__name__)

DEFAULT_TOPICS: dict[str, str] = {
    "goal-setting": "目標設定",
    "flow-mapping": "業務フローの可視化",
    "tool-selection": "ツール選定",
    "testimonials": "職員の声",
}


@dataclass(frozen=True)
class Rendition:
    """One rung of the ladder: an H.264 MP4 at most `height` pixels tall (never upscaled)."""

    name: str
    height: int
    crf: int
    maxrate_kbps: int
    label: str = ""
    """Japanese label shown in the quality menu, e.g. 標準 / 高画質."""

    @property
    def bufsize_kbps(self) -> int:
        return self.maxrate_kbps * 2


DEFAULT_LADDER: tuple[Rendition, ...] = (
    Rendition("360p", 360, 27, 900, "標準"),
    Rendition("720p", 720, 26, 2500, "高画質"),
)


@dataclass(frozen=True)
class Settings:
    """Everything a build needs to know besides the clips themselves."""

    topics: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TOPICS))
    """Topic id → Japanese name, in display order."""
    language: str = "ja"
    """The site language; `captions/<slug>.srt` means this language."""
    ladder: tuple[Rendition, ...] = DEFAULT_LADDER
    """Renditions, smallest first."""
    preset: str = "medium"
    """x264 preset: slower presets give smaller files for the same quality."""
    gop_seconds: float = 4.0
    """Fixed keyframe interval, the same in every rendition so they switch cleanly."""
    audio_kbps: int = 96
    """AAC-LC stereo bitrate."""
    loudness_lufs: float | None = -16.0
    """EBU R128 integrated loudness target; false (or null) keeps the source level."""
    poster_widths: tuple[int, ...] = (320, 640, 1280)
    """Poster widths for srcset (never wider than the source)."""
    hls: bool = False
    """Also write an HLS (fMP4) playlist over the ladder."""
    max_duration_s: float = 600.0
    """Clips longer than this are rejected (digests are short)."""
    max_source_mb: float = 2048.0
    """Sources larger than this are rejected."""
    max_source_height: int = 4320
    """Sources taller than this (after rotation) are rejected."""
    max_cps: float = 6.0
    """Reading-speed limit for Japanese captions, characters per second (a warning above it);
    broadcast guidance is about 4, and short cues need some room above that."""


_TOP_KEYS = {
    "topics", "ladder", "preset", "gop_seconds", "audio_kbps", "loudness_lufs",
    "poster_widths", "hls", "max_duration_s", "max_source_mb", "max_source_height", "max_cps",
}
_PRESETS = {
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
    "veryslow",
}


class _TolerantLoader(yaml.SafeLoader):
    """A safe loader that reads MkDocs' own tags (`!ENV`, `!!python/name:`) as plain values."""


def _construct_unknown(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_TolerantLoader.add_multi_constructor("!", _construct_unknown)
_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_unknown)


def _read_config(config_file: Path) -> dict[str, Any]:
    """mkdocs.yml as a mapping ({} when it is not one); CatalogError, in plain words with the
    line, when unreadable (the parser's own text only with --verbose)."""
    text = _config_text(config_file)
    try:
        data = yaml.load(text, Loader=_TolerantLoader)
    except yaml.YAMLError as exc:
        log.debug("%s: %s", config_file.name, exc)
        found = explain_error(text, exc)
        raise CatalogError(Problem(config_file.name, f"the site configuration cannot be read: "
                                   f"{found.message}", found.hint, found.line)) from None
    return data if isinstance(data, dict) else {}


def _config_text(config_file: Path) -> str:
    name = config_file.name
    try:
        raw = config_file.read_bytes()
    except OSError as exc:
        log.debug("reading %s failed", name, exc_info=True)
        raise CatalogError(Problem(name, f"cannot read the site configuration "
                                   f"({exc.strerror or 'no access'})",
                                   "check that mkdocs.yml is a readable file")) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogError(Problem(name, "the site configuration is not UTF-8 text",
                                   "save mkdocs.yml as UTF-8",
                                   raw[: exc.start].count(b"\n") + 1)) from None


def read_plugin_mapping(config_file: Path) -> dict[str, Any]:
    """The options given to the `clipportal` plugin in mkdocs.yml ({} when none)."""
    data = _read_config(config_file)
    mapping = _find_plugin(data.get("plugins") or [])
    mapping.setdefault("_language", _site_language(data))
    return mapping


def effective_site_dir(project: Path, configured: Path) -> Path:
    """Where the site is written: MkDocs' default `site` becomes build/site (the portal
    layout); any other `site_dir` is kept. The plugin and the CLI both ask here."""
    root = project.resolve()
    site = (root / configured).resolve()
    return root / "build" / "site" if site == root / "site" else site


def read_site_dir(project: Path) -> Path:
    """The site folder for the project, from mkdocs.yml's `site_dir`."""
    try:
        given = _read_config(project / "mkdocs.yml").get("site_dir")
    except CatalogError:
        given = None
    return effective_site_dir(project, Path(given if isinstance(given, str) and given
                                            else "site"))


def _find_plugin(plugins: Any) -> dict[str, Any]:
    entries = plugins.items() if isinstance(plugins, dict) else (
        (next(iter(p.items())) if isinstance(p, dict) and p else (p, {})) for p in plugins
    )
    for name, options in entries:
        if name == "clipportal":
            return _plugin_options(options)
    return {}


def _plugin_options(options: Any) -> dict[str, Any]:
    if options is not None and not isinstance(options, dict):  # e.g. `topics：` (full width)
        raise CatalogError(Problem("mkdocs.yml", "the clipportal options are not written as "
                                   "`name: value` lines", "indent each option under "
                                   "`- clipportal:` and end its name with a half-width colon "
                                   "and a space, e.g. `topics:`"))
    return dict(options or {})


def _site_language(data: Mapping[str, Any]) -> str:
    theme = data.get("theme")
    language = theme.get("language") if isinstance(theme, dict) else None
    return str(language or "ja")


def load_settings(project: Path) -> Settings:
    """Settings for the project in `project` (defaults when mkdocs.yml has none)."""
    config_file = project / "mkdocs.yml"
    mapping = read_plugin_mapping(config_file) if config_file.is_file() else {}
    return settings_from_mapping(mapping, "mkdocs.yml")


def settings_from_mapping(mapping: Mapping[str, Any], source: str = "mkdocs.yml") -> Settings:
    """Validate the plugin options; raise CatalogError listing every bad one."""
    problems: list[Problem] = []
    options = {k: v for k, v in mapping.items() if not str(k).startswith("_") and k != "jobs"}
    for key in sorted(set(options) - _TOP_KEYS):
        problems.append(Problem(source, f"unknown clipportal option '{key}'",
                                f"allowed options: {', '.join(sorted(_TOP_KEYS))}"))
    values: dict[str, Any] = {"language": str(mapping.get("_language", "ja"))}
    _read_topics(options, values, problems, source)
    _read_ladder(options, values, problems, source)
    _read_scalars(options, values, problems, source)
    if problems:
        raise CatalogError(problems)
    return Settings(**values)


def _read_topics(options: Mapping[str, Any], values: dict[str, Any],
                 problems: list[Problem], source: str) -> None:
    topics = options.get("topics")
    if topics is None:
        return
    if not isinstance(topics, dict) or not topics or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in topics.items()
    ):
        problems.append(Problem(source, "clipportal 'topics' must map topic ids to names",
                                "write e.g. `flow-mapping: 業務フローの可視化` under topics:"))
        return
    names = [v.strip() for v in topics.values()]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem(source, f"two clipportal topics are named '{name}'",
                                "give each topic its own name (clip files may use the name "
                                "in place of the id)"))
    values["topics"] = {k: v.strip() for k, v in topics.items()}


def _read_ladder(options: Mapping[str, Any], values: dict[str, Any],
                 problems: list[Problem], source: str) -> None:
    ladder = options.get("ladder")
    if ladder is None:
        return
    rungs: list[Rendition] = []
    items: list[Any] = ladder if isinstance(ladder, list) else [None]
    for item in items:
        try:
            height = int(item["height"])
            rungs.append(Rendition(
                name=str(item.get("name", f"{height}p")), height=height,
                crf=int(item.get("crf", 26)), maxrate_kbps=int(item.get("maxrate_kbps", 2500)),
                label=str(item.get("label", f"{height}p")),
            ))
        except (TypeError, KeyError, ValueError, AttributeError):
            problems.append(Problem(
                source, "each clipportal 'ladder' entry needs a height (and may set name, "
                "crf, maxrate_kbps, label)",
                "write e.g. `- {height: 360, crf: 27, maxrate_kbps: 900}`"))
            return
    if not rungs or any(r.height < 144 or r.height % 2 for r in rungs):
        problems.append(Problem(source, "ladder heights must be even numbers of at least 144",
                                "use e.g. 360 and 720"))
        return
    values["ladder"] = tuple(sorted(rungs, key=lambda r: r.height))


_SCALARS: dict[str, tuple[type, ...]] = {
    "preset": (str,), "gop_seconds": (int, float), "audio_kbps": (int,),
    "loudness_lufs": (int, float, bool, type(None)), "hls": (bool,), "max_duration_s": (int, float),
    "max_source_mb": (int, float), "max_source_height": (int,), "max_cps": (int, float),
}


def _read_scalars(options: Mapping[str, Any], values: dict[str, Any],
                  problems: list[Problem], source: str) -> None:
    for key, types in _SCALARS.items():
        if key not in options:
            continue
        value = options[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            problems.append(Problem(source, f"clipportal option '{key}' has the wrong type",
                                    f"expected {' or '.join(t.__name__ for t in types)}"))
        elif key == "loudness_lufs" and isinstance(value, bool):
            if value:
                problems.append(Problem(source, "loudness_lufs takes a number such as -16, or "
                                        "false to keep the source level", "write -16 or false"))
            else:
                values[key] = None
        elif key == "preset" and value not in _PRESETS:
            problems.append(Problem(source, f"unknown x264 preset '{value}'",
                                    f"use one of {', '.join(sorted(_PRESETS))}"))
        else:
            values[key] = value
    widths = options.get("poster_widths")
    if widths is not None:
        if isinstance(widths, list) and widths and all(
            isinstance(w, int) and w > 0 for w in widths
        ):
            values["poster_widths"] = tuple(sorted(widths))
        else:
            problems.append(Problem(source, "poster_widths must be a list of positive integers",
                                    "write e.g. [320, 640, 1280]"))
