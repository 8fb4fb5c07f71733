"""Portal settings: topics, the rendition ladder and limits, read from the `clipportal` plugin
entry in `mkdocs.yml`.

The core reads mkdocs.yml itself (tolerating MkDocs-specific YAML tags) so that `clipportal
check` and the media pipeline never need MkDocs; the MkDocs plugin passes the same mapping
through `settings_from_mapping`, so there is one source of truth for defaults and validation.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from clipportal.catalog.yamltext import explain_error
from clipportal.errors import CatalogError, Problem

log = logging.getLogger(__name__)
OPTION = "clipportal.option"
"""The metadata key under which a Settings field holds its `Option`."""
DEFAULT: Any = object()
"""What a Reader returns to keep the option's default."""

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


Reader = Callable[[str, Any, str], tuple[Any, list[Problem]]]
"""Reads one given option value (name, value, source file): the value Settings stores, and the
problems that stop it being used (the value is ignored when there are any)."""


@dataclass(frozen=True)
class Option:
    """One plugin option's declaration, kept in the metadata of its Settings field."""

    types: tuple[type, ...]
    """What YAML may give: MkDocs' plugin schema lets these through (see site/mkdocs_plugin)."""
    doc: str
    """One line for people who write mkdocs.yml (the README's option table says more)."""
    read: Reader
    """Checks a given value and converts it; by default a type check against `types`."""


def option(default: Any, types: tuple[type, ...], doc: str, *, check: Reader | None = None,
           read: Reader | None = None) -> Any:
    """A Settings field that is a plugin option. `check` runs after the type check (and may
    convert the value); `read` replaces both, for options whose own message is clearer (there
    a null value keeps the default). A dict or list default is copied for each Settings."""
    spec = Option(types, doc, _null_is_default(read) if read else _typed(types, check))
    if isinstance(default, dict | list):
        return field(default_factory=lambda: copy.copy(default), metadata={OPTION: spec})
    return field(default=default, metadata={OPTION: spec})


def _typed(types: tuple[type, ...], check: Reader | None) -> Reader:
    def read(name: str, value: Any, source: str) -> tuple[Any, list[Problem]]:
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            return None, [Problem(source, f"clipportal option '{name}' has the wrong type",
                                  f"expected {' or '.join(t.__name__ for t in types)}")]
        return check(name, value, source) if check else (value, [])
    return read


def _null_is_default(read: Reader) -> Reader:
    def null_or_read(name: str, value: Any, source: str) -> tuple[Any, list[Problem]]:
        return (DEFAULT, []) if value is None else read(name, value, source)
    return null_or_read


def _read_topics(name: str, topics: Any, source: str) -> tuple[Any, list[Problem]]:
    if not isinstance(topics, dict) or not topics or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in topics.items()
    ):
        return None, [Problem(source, "clipportal 'topics' must map topic ids to names",
                              "write e.g. `flow-mapping: 業務フローの可視化` under topics:")]
    names = [v.strip() for v in topics.values()]
    return {k: v.strip() for k, v in topics.items()}, [
        Problem(source, f"two clipportal topics are named '{twice}'",
                "give each topic its own name (clip files may use the name in place of the id)")
        for twice in sorted({n for n in names if names.count(n) > 1})]


def _read_ladder(name: str, ladder: Any, source: str) -> tuple[Any, list[Problem]]:
    try:
        rungs = [_rung(item) for item in (ladder if isinstance(ladder, list) else [None])]
    except (TypeError, KeyError, ValueError, AttributeError):
        return None, [Problem(source, "each clipportal 'ladder' entry needs a height (and may "
                              "set name, crf, maxrate_kbps, label)",
                              "write e.g. `- {height: 360, crf: 27, maxrate_kbps: 900}`")]
    if not rungs or any(r.height < 144 or r.height % 2 for r in rungs):
        return None, [Problem(source, "ladder heights must be even numbers of at least 144",
                              "use e.g. 360 and 720")]
    return tuple(sorted(rungs, key=lambda r: r.height)), []


def _rung(item: Any) -> Rendition:
    height = int(item["height"])
    return Rendition(name=str(item.get("name", f"{height}p")), height=height,
                     crf=int(item.get("crf", 26)),
                     maxrate_kbps=int(item.get("maxrate_kbps", 2500)),
                     label=str(item.get("label", f"{height}p")))


def _read_widths(name: str, widths: Any, source: str) -> tuple[Any, list[Problem]]:
    if isinstance(widths, list) and widths and all(
        isinstance(w, int) and w > 0 for w in widths
    ):
        return tuple(sorted(widths)), []
    return None, [Problem(source, "poster_widths must be a list of positive integers",
                          "write e.g. [320, 640, 1280]")]


def _check_loudness(name: str, value: Any, source: str) -> tuple[Any, list[Problem]]:
    if value is True:
        return None, [Problem(source, "loudness_lufs takes a number such as -16, or false to "
                              "keep the source level", "write -16 or false")]
    return (None if value is False else value), []


def _check_preset(name: str, value: Any, source: str) -> tuple[Any, list[Problem]]:
    if value in PRESETS:
        return value, []
    return None, [Problem(source, f"unknown x264 preset '{value}'",
                          f"use one of {', '.join(sorted(PRESETS))}")]


def _check_positive(name: str, value: Any, source: str) -> tuple[Any, list[Problem]]:
    if value is None or value > 0:
        return value, []
    return None, [Problem(source, f"clipportal option '{name}' must be at least 1",
                          f"write e.g. `{name}: 2`, or leave it out")]


def _check_media_url(name: str, value: Any, source: str) -> tuple[Any, list[Problem]]:
    url = value.strip()
    if not url:
        return "", []
    if not url.startswith(("https://", "http://")) or " " in url:
        return None, [Problem(source, f"media_url '{value}' is not a web address",
                              "write e.g. `media_url: https://media.example.jp/portal/`, or "
                              "leave it out to publish the media with the pages")]
    return url.rstrip("/") + "/", []  # the media paths are appended to it


PRESETS = frozenset({
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
    "veryslow",
})
_NUMBER = (int, float)


@dataclass(frozen=True)
class Settings:
    """Everything a build needs to know besides the clips themselves.

    Each plugin option is declared once, here, with `option(default, types, doc, check=…)`:
    the names `mkdocs.yml` may use, MkDocs' plugin schema (site/mkdocs_plugin.py), the
    loader's checks and the defaults of `EncodeSettings`/`Limits` (media/jobs.py) all come
    from these fields. To add an option (say `offline: bool`), add one field below and a row
    to the option table in README.md (tests/test_settings.py checks that they agree); if it
    changes encoded output, also name it in `EncodeSettings` so it joins the cache key.
    """

    # option() returns a dataclasses.Field, with a default_factory for this dict
    topics: dict[str, str] = option(  # noqa: RUF009
        DEFAULT_TOPICS, (dict,), "Topic id → Japanese name, in display order.", read=_read_topics)
    language: str = "ja"
    """The site language (the theme's, not a plugin option); `captions/<slug>.srt` means it."""
    ladder: tuple[Rendition, ...] = option(DEFAULT_LADDER, (list,), "Renditions, a list of "
                                           "{height, crf, maxrate_kbps, label, name}; stored "
                                           "smallest first.", read=_read_ladder)
    preset: str = option("medium", (str,), "x264 preset: slower presets give smaller files "
                         "for the same quality.", check=_check_preset)
    gop_seconds: float = option(4.0, _NUMBER, "Fixed keyframe interval, the same in every "
                                "rendition so they switch cleanly.")
    audio_kbps: int = option(96, (int,), "AAC-LC stereo bitrate.")
    loudness_lufs: float | None = option(-16.0, (*_NUMBER, bool, type(None)), "EBU R128 "
                                         "integrated loudness target; false (or null) keeps "
                                         "the source level.", check=_check_loudness)
    poster_widths: tuple[int, ...] = option((320, 640, 1280), (list,), "Poster widths for "
                                            "srcset (never wider than the source).",
                                            read=_read_widths)
    hls: bool = option(False, (bool,), "Also write an HLS (fMP4) playlist over the ladder.")
    max_duration_s: float = option(600.0, _NUMBER, "Clips longer than this (seconds) are "
                                   "rejected (digests are short).")
    max_source_mb: float = option(2048.0, _NUMBER, "Sources larger than this (MB) are rejected.")
    max_source_height: int = option(4320, (int,), "Sources taller than this (pixels, after "
                                    "rotation) are rejected.")
    max_cps: float = option(6.0, _NUMBER, "Reading-speed limit for Japanese captions, "
                            "characters per second (a warning above it); broadcast guidance is "
                            "about 4, and short cues need some room above that.")
    jobs: int | None = option(None, (int, type(None)), "Clips encoded at once (None: by CPU count; "
                              "`clipportal build --jobs` overrides it).", check=_check_positive)
    offline: bool = option(True, (bool,), "Offer saving clips to the phone for offline viewing "
                           "(a service worker, 端末に保存 buttons and the 保存済み page).")
    offline_rendition: str = option("", (str,), "The rendition saved for offline viewing, by "
                                    "name (e.g. 720p); empty: the smallest.")
    media_url: str = option("", (str,), "Publish the media apart from the pages: videos, "
                            "posters, stills and tracks load from this address (written to "
                            "build/media/ for upload); empty: beside the pages.",
                            check=_check_media_url)
    scheduler: str | None = option(None, (str, type(None)), "Dask scheduler address for the "
                                   "media jobs, e.g. tcp://10.0.0.5:8786 (extra "
                                   "`clipportal[dask]`; `--scheduler` and "
                                   "CLIPPORTAL_SCHEDULER override it).")


OPTIONS: dict[str, Option] = {f.name: f.metadata[OPTION] for f in fields(Settings)
                              if OPTION in f.metadata}
"""Every plugin option by name, in declaration order."""


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


def source_folders(project: Path) -> list[Path]:
    """The folders of hand-written site sources that mkdocs.yml names: `docs_dir` (default
    docs/) and the theme's `custom_dir` (template overrides), when given. Every file in them
    shapes the site."""
    try:
        config = _read_config(project / "mkdocs.yml")
    except CatalogError:
        config = {}
    docs = config.get("docs_dir")
    theme = config.get("theme")
    custom = theme.get("custom_dir") if isinstance(theme, dict) else None
    names = [docs if isinstance(docs, str) and docs else "docs"]
    names += [custom] if isinstance(custom, str) and custom else []
    return [project / name for name in names]


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
    options = {k: v for k, v in mapping.items() if not str(k).startswith("_")}
    problems = [Problem(source, f"unknown clipportal option '{key}'",
                        f"allowed options: {', '.join(sorted(OPTIONS))}")
                for key in sorted(set(options) - set(OPTIONS))]
    values: dict[str, Any] = {"language": str(mapping.get("_language", "ja"))}
    for name, spec in OPTIONS.items():
        if name in options:
            value, found = spec.read(name, options[name], source)
            problems += found
            if value is not DEFAULT:
                values[name] = value
    if problems:
        raise CatalogError(problems)
    return Settings(**values)
