"""The clip catalog: `videos/*.yml`, the clips beside them and `captions/*`, validated as a
whole so that every problem is reported at once, each with its file and line."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from clipportal.captions import parse_caption_name
from clipportal.errors import CatalogError, Problem
from clipportal.paths import (
    is_lfs_pointer,
    is_readable_file,
    is_valid_slug,
    project_relative,
    resolve_inside,
)
from clipportal.settings import Settings

MAX_META_BYTES = 64 * 1024
META_SUFFIXES = (".yml", ".yaml")
NOT_VIDEO_SUFFIXES = {".yml", ".yaml", ".json", ".md", ".txt", ".srt", ".vtt", ".sbv", ""}
ALLOWED_KEYS = (
    "title", "topic", "description", "date", "speakers", "tags", "poster", "chapters", "video",
)
SCHEMA_HINT = "see src/clipportal/schema/clip.schema.json or the README's clip file reference"


@dataclass(frozen=True)
class Chapter:
    start: float
    """Seconds from the start of the clip."""
    title: str
    line: int = 0
    """Where it is written in the clip file (for messages)."""


@dataclass(frozen=True)
class CaptionSource:
    path: Path
    source: str
    """Project-relative path, for messages."""
    lang: str
    ext: str


@dataclass(frozen=True)
class Clip:
    slug: str
    title: str
    topic: str
    description: str
    date: dt.date | None
    speakers: tuple[str, ...]
    tags: tuple[str, ...]
    poster: float | None
    chapters: tuple[Chapter, ...]
    video: Path
    """The source clip, resolved inside the project."""
    video_source: str
    meta_source: str
    captions: tuple[CaptionSource, ...] = ()
    poster_line: int = 0
    """Line of `poster:` in the clip file (0 when absent), for messages."""


@dataclass(frozen=True)
class Catalog:
    clips: tuple[Clip, ...]
    warnings: tuple[Problem, ...] = ()
    """Problems found while loading: only warnings once `load_catalog` has returned."""

    def by_topic(self, topic: str) -> tuple[Clip, ...]:
        return tuple(c for c in self.clips if c.topic == topic)


def load_catalog(root: Path, settings: Settings) -> Catalog:
    """Load and validate every clip; raise CatalogError with all problems if any is an error."""
    catalog = scan_catalog(root, settings)
    if any(p.severity == "error" for p in catalog.warnings):
        raise CatalogError(catalog.warnings)
    return catalog


def scan_catalog(root: Path, settings: Settings) -> Catalog:
    """Every clip whose files are valid, with every problem found (errors included) in
    `warnings`: `clipportal check` goes on to check those clips, so one broken clip file
    never hides another clip's caption or video problems."""
    problems: list[Problem] = []
    folder = VideosFolder.read(root)
    with_meta = {p.stem for p in folder.meta_files}
    clips = [c for c in (_load_clip(p, folder, settings, problems)
                         for p in folder.meta_files) if c]
    captions = _load_caption_sources(root, settings, {c.slug for c in clips}, with_meta,
                                     problems)
    clips = [_with_captions(c, captions.get(c.slug, ())) for c in clips]
    _check_duplicate_titles(clips, problems)
    problems += _orphan_videos(folder, {c.video for c in clips}, with_meta)
    ordered = sorted(clips, key=lambda c: (c.date or dt.date.min, c.slug), reverse=True)
    return Catalog(tuple(ordered), tuple(problems))


@dataclass(frozen=True)
class VideosFolder:
    """One listing of videos/, read once per scan: looking a clip's video up by its stem must
    not list the folder again for every clip (that was O(n²) at 1,000 clips)."""

    root: Path
    real_root: Path
    entries: tuple[Path, ...]
    meta_files: tuple[Path, ...]
    videos_by_stem: dict[str, tuple[Path, ...]]

    @classmethod
    def read(cls, root: Path) -> VideosFolder:
        folder = root / "videos"
        entries = tuple(sorted(folder.iterdir())) if folder.is_dir() else ()
        metas = tuple(p for p in entries
                      if p.suffix.lower() in META_SUFFIXES and not p.name.startswith(".")
                      and (p.is_file() or p.is_symlink()))
        videos: dict[str, list[Path]] = {}
        for path in entries:
            if path.suffix.lower() not in NOT_VIDEO_SUFFIXES and not path.is_dir():
                # what `videos/<slug>.*` matches: slugs hold no dot
                videos.setdefault(path.name.partition(".")[0], []).append(path)
        return cls(root, root.resolve(), entries, metas,
                   {stem: tuple(paths) for stem, paths in videos.items()})


def _with_captions(clip: Clip, captions: tuple[CaptionSource, ...]) -> Clip:
    return Clip(**{**clip.__dict__, "captions": captions})


class _Ctx:
    """Problems for one clip file, with the line of each key for messages."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        self.lines: dict[str, int] = {}
        self.chapter_lines: list[int] = []
        self.failed = False

    def error(self, message: str, hint: str, key: str | None = None,
              line: int | None = None) -> None:
        self.failed = True
        at = line or (self.lines.get(key, 1) if key else 1)
        self.problems.append(Problem(self.source, message, hint, at))

    def warn(self, message: str, hint: str, key: str | None = None) -> None:
        at = self.lines.get(key, 1) if key else 1
        self.problems.append(Problem(self.source, message, hint, at, "warning"))


def _load_clip(path: Path, folder: VideosFolder, settings: Settings,
               problems: list[Problem]) -> Clip | None:
    ctx = _Ctx(f"videos/{path.name}", problems)
    slug = path.stem
    real = path.resolve()
    if not real.is_relative_to(folder.real_root) or not real.is_file():
        ctx.error("the clip file is a link leading outside the project (or to no file)",
                  "put the clip file itself into videos/")
        return None
    if not is_valid_slug(slug):
        ctx.error(f"'{path.name}' is not an allowed clip file name",
                  "rename it to lower-case ASCII letters, digits and '-', e.g. flow-mapping-01.yml")
    data = _parse_yaml(path, ctx)
    if data is None:
        return None
    _check_keys(data, ctx)
    clip = _build_clip(slug, data, folder, settings, ctx)
    return None if ctx.failed else clip


def _parse_yaml(path: Path, ctx: _Ctx) -> dict[str, Any] | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        ctx.error(f"cannot read the file: {exc.strerror}", "check the file's permissions")
        return None
    if len(raw) > MAX_META_BYTES:
        ctx.error(f"the file is {len(raw)} bytes; clip files are limited to {MAX_META_BYTES}",
                  "keep long text out of the clip file")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        ctx.error("the file is not UTF-8 text", "save it as UTF-8 in your editor", line=line)
        return None
    return _compose(text, ctx)


_FastLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML was built with it (about 10× faster than the pure-Python one);
nodes carry the same line marks."""


def parse_yaml_document(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for line numbers) and its data, from one parse: the data is
    built from the nodes instead of parsing the text a second time."""
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _compose(text: str, ctx: _Ctx) -> dict[str, Any] | None:
    try:
        node, data = parse_yaml_document(text)
    except RecursionError:
        ctx.error("the file is nested too deeply to read", "write plain keys and short lists")
        return None
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        # PyYAML raises these for values it cannot build: 2022-02-30, !!int "abc" …
        node = _node_only(text)
        ctx.error(f"a value cannot be read ({exc})", "write dates as real YYYY-MM-DD dates and "
                  "leave out YAML tags such as !!int", line=_bad_value_line(node))
        return None
    except yaml.YAMLError as exc:
        _syntax_error(exc, ctx)
        return None
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        ctx.error("the clip file must be a mapping of keys such as title: and topic:",
                  "start from an example: title: …, topic: …")
        return None
    ctx.lines = _key_lines(node, ctx)
    ctx.chapter_lines = _item_lines(node, "chapters")
    return data


def _node_only(text: str) -> yaml.Node | None:
    """The node tree alone (the file parsed, its values not built): for messages only."""
    try:
        return yaml.compose(text, Loader=_FastLoader)
    except (yaml.YAMLError, RecursionError):
        return None


def _syntax_error(exc: yaml.YAMLError, ctx: _Ctx) -> None:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        if "nesting depth" in str(exc.problem):  # libyaml's guard against nesting bombs
            ctx.error("the file is nested too deeply to read", "write plain keys and short "
                      "lists", line=line)
            return
        ctx.error(f"YAML syntax error: {exc.problem or exc.context}",
                  "check indentation and quoting on this line (quote text containing ':' or '#')",
                  line=line)
    else:
        ctx.error(f"YAML error: {exc}", "check the file's syntax")


def _bad_value_line(root: yaml.Node | None) -> int:
    """The line of the first scalar PyYAML cannot build (found by building each one)."""
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop(0)
        if isinstance(node, yaml.ScalarNode):
            try:
                yaml.SafeLoader("").construct_object(node)
            except Exception:  # any failure marks the culprit
                return node.start_mark.line + 1
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return 1


def _key_lines(node: yaml.MappingNode, ctx: _Ctx) -> dict[str, int]:
    """Line of each top-level key; a key given twice is an error (the last would win)."""
    lines: dict[str, int] = {}
    for key, _ in node.value:
        name, line = str(key.value), key.start_mark.line + 1
        if name in lines:
            ctx.error(f"'{name}' is given twice (also on line {lines[name]})",
                      "keep one of them", line=line)
        lines.setdefault(name, line)
    return lines


def _item_lines(node: yaml.MappingNode, key: str) -> list[int]:
    for name, value in node.value:
        if str(name.value) == key and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _check_keys(data: dict[str, Any], ctx: _Ctx) -> None:
    for key in data:
        if str(key) not in ALLOWED_KEYS:
            close = _closest(str(key))
            hint = (f"did you mean '{close}'?" if close
                    else f"allowed keys: {', '.join(ALLOWED_KEYS)}")
            ctx.error(f"unknown key '{key}'", hint, key=str(key))
    for key in ("title", "topic"):
        if key not in data:
            ctx.error(f"missing required key '{key}'", f"add a line `{key}: …` ({SCHEMA_HINT})")


def _closest(key: str) -> str | None:
    import difflib

    matches = difflib.get_close_matches(key, ALLOWED_KEYS, n=1, cutoff=0.6)
    return matches[0] if matches else None


def _build_clip(slug: str, data: dict[str, Any], folder: VideosFolder, settings: Settings,
                ctx: _Ctx) -> Clip | None:
    root = folder.root
    title = _text(data, "title", ctx, required=True)
    topic = _text(data, "topic", ctx, required=True)
    if topic and topic not in settings.topics:
        ctx.error(f"unknown topic '{topic}'",
                  f"use one of: {', '.join(settings.topics)} (topics are set in mkdocs.yml)",
                  key="topic")
    video, video_source = _resolve_video(slug, data, folder, ctx)
    clip = Clip(
        slug=slug, title=title, topic=topic, description=_text(data, "description", ctx),
        date=_date(data, ctx), speakers=_text_list(data, "speakers", ctx),
        tags=_text_list(data, "tags", ctx), poster=_poster(data, ctx),
        chapters=_chapters(data, ctx), video=video or root, video_source=video_source,
        meta_source=ctx.source, poster_line=ctx.lines.get("poster", 0),
    )
    return clip if video else None


def _text(data: dict[str, Any], key: str, ctx: _Ctx, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        if required and key in data:
            ctx.error(f"'{key}' is empty", f"give the clip a {key}", key=key)
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        ctx.error(f"'{key}' must be text", f"write `{key}: …` on one line", key=key)
        return ""
    text = str(value).strip()
    if required and not text:
        ctx.error(f"'{key}' is empty", f"give the clip a {key}", key=key)
    return text


def _text_list(data: dict[str, Any], key: str, ctx: _Ctx) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in value
    ):
        ctx.error(f"'{key}' must be a list of words", f"write `{key}: [業務フロー, 所要時間]`",
                  key=key)
        return ()
    return tuple(str(v).strip() for v in value if str(v).strip())


def _date(data: dict[str, Any], ctx: _Ctx) -> dt.date | None:
    value = data.get("date")
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    ctx.error(f"'date' must be a date like 2022-03-15, not '{value}'",
              "write the date as YYYY-MM-DD", key="date")
    return None


def _poster(data: dict[str, Any], ctx: _Ctx) -> float | None:
    value = data.get("poster")
    if value is None:
        return None
    seconds = parse_time(value)
    if seconds is None:
        ctx.error(f"'poster' must be a time in seconds (e.g. 12.5) or m:ss, not '{value}'",
                  "give the moment of the clip to show before it plays", key="poster")
    return seconds


_TIME_RE = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")


def parse_time(value: Any) -> float | None:
    """Seconds from `12.5`, `"1:05"` or `"1:02:03"`; None when it is not a valid time.

    YAML 1.1 reads an unquoted `1:05` as the sexagesimal integer 65, which is the same time.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        seconds = float(text)
        return seconds if seconds >= 0 else None
    except ValueError:
        pass
    match = _TIME_RE.match(text)
    if not match:
        return None
    hours, minutes, secs = match.groups()
    if (hours is not None and int(minutes) >= 60) or float(secs) >= 60:
        return None
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(secs)


def _chapters(data: dict[str, Any], ctx: _Ctx) -> tuple[Chapter, ...]:
    value = data.get("chapters")
    if value is None:
        return ()
    hint = 'write each chapter as `- {start: "1:05", title: 所要時間を測る}`'
    if not isinstance(value, list):
        ctx.error("'chapters' must be a list", hint, key="chapters")
        return ()
    chapters = [c for c in (_chapter(item, ctx, hint, _line_of(ctx, i))
                            for i, item in enumerate(value)) if c]
    _check_chapter_order(chapters, ctx)
    return tuple(chapters)


def _line_of(ctx: _Ctx, index: int) -> int:
    lines = ctx.chapter_lines
    return lines[index] if index < len(lines) else ctx.lines.get("chapters", 1)


def _chapter(item: Any, ctx: _Ctx, hint: str, line: int) -> Chapter | None:
    if not isinstance(item, dict) or set(item) - {"start", "title"} or "start" not in item:
        ctx.error("each chapter needs exactly 'start' and 'title'", hint, line=line)
        return None
    start = parse_time(item["start"])
    title = item.get("title")
    if start is None:
        ctx.error(f"chapter time '{item['start']}' is not a time like 1:05", hint, line=line)
        return None
    if not isinstance(title, str | int | float) or not str(title).strip():
        ctx.error("a chapter has no title", hint, line=line)
        return None
    return Chapter(start, str(title).strip(), line)


def _check_chapter_order(chapters: list[Chapter], ctx: _Ctx) -> None:
    for before, after in itertools.pairwise(chapters):
        if after.start <= before.start:
            ctx.error(f"chapter '{after.title}' starts at {after.start:g} s, not after the "
                      f"chapter before it ({before.start:g} s)",
                      "list chapters in the order they appear in the clip", line=after.line)


def _resolve_video(slug: str, data: dict[str, Any], folder: VideosFolder,
                   ctx: _Ctx) -> tuple[Path | None, str]:
    given = data.get("video")
    if given is not None:
        return _given_video(given, folder.root, ctx)
    found = folder.videos_by_stem.get(slug, ())
    if len(found) != 1:
        what = "no video file" if not found else f"{len(found)} video files"
        ctx.error(f"{what} named videos/{slug}.* found next to the clip file",
                  "put exactly one clip next to it with the same name (e.g. "
                  f"videos/{slug}.mp4), or name it with `video:`")
        return None, ""
    return _check_video_file(found[0], folder.root, ctx, None)


def _given_video(given: Any, root: Path, ctx: _Ctx) -> tuple[Path | None, str]:
    if not isinstance(given, str):
        ctx.error("'video' must be a path such as videos/other-name.mov", "", key="video")
        return None, ""
    resolved = resolve_inside(root, given)
    if resolved is None:
        ctx.error(f"video path '{given}' is outside the project",
                  "use a relative path inside the repository, e.g. videos/clip.mp4", key="video")
        return None, ""
    return _check_video_file(resolved, root, ctx, "video")


def _check_video_file(path: Path, root: Path, ctx: _Ctx,
                      key: str | None) -> tuple[Path | None, str]:
    real = path.resolve()
    if not real.is_relative_to(root.resolve()):
        ctx.error(f"'{project_relative(root, path)}' is a link leading outside the project",
                  "copy the clip into videos/ instead of linking to it", key=key)
        return None, ""
    source = project_relative(root, real)
    if not is_readable_file(real):
        ctx.error(f"video file '{source}' is missing or unreadable",
                  "check the file name and that the file was added to the pull request", key=key)
        return None, ""
    if real.stat().st_size == 0:
        ctx.error(f"video file '{source}' is empty (0 bytes)", "upload the clip again", key=key)
        return None, ""
    if is_lfs_pointer(real):
        ctx.error(f"video file '{source}' is a Git LFS pointer, not the clip itself",
                  "run `git lfs install && git lfs pull` to download the clips", key=key)
        return None, ""
    return real, source


def _load_caption_sources(root: Path, settings: Settings, good: set[str], known: set[str],
                          problems: list[Problem]) -> dict[str, tuple[CaptionSource, ...]]:
    found: dict[str, list[CaptionSource]] = {}
    for path, source in _caption_files(root):
        if not path.resolve().is_relative_to(root.resolve()):
            problems.append(Problem(source, "this caption file is a link leading outside the "
                                    "project", "put the caption file itself into captions/"))
            continue
        parsed = parse_caption_name(path.name, settings.language)
        if parsed is None:
            problems.append(Problem(source, f"'{path.name}' is not a caption file name clipportal "
                                    "understands", "name it <clip>.<language>.srt|vtt|sbv, e.g. "
                                    "flow-mapping-01.ja.srt"))
            continue
        slug, lang, ext = parsed
        if slug not in known:
            problems.append(Problem(source, f"captions for a clip that does not exist ('{slug}')",
                                    f"add videos/{slug}.yml or rename the caption file"))
        elif slug in good:
            found.setdefault(slug, []).append(CaptionSource(path.resolve(), source, lang, ext))
    return {slug: _unique_langs(items, problems) for slug, items in found.items()}


def _caption_files(root: Path) -> Iterator[tuple[Path, str]]:
    folder = root / "captions"
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name.lower() in {"readme.md", "readme.txt"}:
            continue
        source = f"captions/{path.name}"
        if not path.resolve().is_relative_to(root.resolve()):
            yield path, source  # reported by the caller, never read
        elif path.is_file():
            yield path, source


def _unique_langs(items: list[CaptionSource],
                  problems: list[Problem]) -> tuple[CaptionSource, ...]:
    seen: dict[str, CaptionSource] = {}
    for item in items:
        if item.lang in seen:
            problems.append(Problem(item.source, f"a second caption file for language "
                                    f"'{item.lang}' (also {seen[item.lang].source})",
                                    "keep one caption file per clip and language"))
        else:
            seen[item.lang] = item
    return tuple(sorted(seen.values(), key=lambda c: c.lang))


def _orphan_videos(folder: VideosFolder, used: set[Path], slugs: set[str]) -> list[Problem]:
    """Videos in videos/ that no clip file names (probably a forgotten clip file), and clip
    files put in sub-folders, which are not read."""
    root, entries = folder.root, folder.entries
    orphans = [Problem(project_relative(root, p), "this video has no clip file, so it is not "
                       "published", f"add videos/{p.stem}.yml (clipportal new can write it)",
                       severity="warning")
               for p in entries
               if p.is_file() and p.suffix.lower() not in NOT_VIDEO_SUFFIXES
               and not p.name.startswith(".") and p.resolve() not in used and p.stem not in slugs]
    nested = [Problem(f"videos/{p.name}/", "clip files in folders inside videos/ are not read",
                      "put clip files and videos directly in videos/", severity="warning")
              for p in entries if p.is_dir() and not p.is_symlink() and _holds_clip_files(p)]
    return orphans + nested


def _holds_clip_files(folder: Path) -> bool:
    try:
        return any(p.suffix.lower() in META_SUFFIXES for p in folder.iterdir())
    except OSError:
        return False


def _check_duplicate_titles(clips: list[Clip], problems: list[Problem]) -> None:
    seen: dict[str, Clip] = {}
    for clip in sorted(clips, key=lambda c: c.slug):
        if clip.title in seen:
            problems.append(Problem(clip.meta_source, f"the title '{clip.title}' is also used by "
                                    f"{seen[clip.title].meta_source}",
                                    "give each clip its own title", 1, "warning"))
        seen.setdefault(clip.title, clip)


def missing_site_captions(clip: Clip, language: str) -> Problem | None:
    """A warning when a clip has no captions in the site language (viewers watch muted)."""
    if any(c.lang == language for c in clip.captions):
        return None
    return Problem(clip.meta_source, f"no captions in the site language ({language})",
                   f"add captions/{clip.slug}.{language}.srt so viewers can watch without sound",
                   1, "warning")
