"""The clip catalog: `videos/*.yml`, the clips beside them and `captions/*`, validated as a
whole so that every problem is reported at once, each with its file and line."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from clipportal.captions.parse import parse_caption_name
from clipportal.catalog.fields import (
    ALLOWED_KEYS,
    FieldError,
    folded,
    parse_date,
    parse_time,
    parse_words,
    resolve_topic,
    suggest_key,
)
from clipportal.catalog.yamltext import TextLoader, explain_error, load_yaml, yaml_lines
from clipportal.errors import CatalogError, Problem
from clipportal.paths import (
    forget_real_folders,
    is_lfs_pointer,
    is_readable_file,
    is_valid_slug,
    project_relative,
    real_path,
    real_root,
    resolve_inside,
)
from clipportal.settings import Settings

log = logging.getLogger(__name__)

MAX_META_BYTES = 64 * 1024
META_SUFFIXES = (".yml", ".yaml")
NOT_VIDEO_SUFFIXES = {".yml", ".yaml", ".json", ".md", ".txt", ".srt", ".vtt", ".sbv", ""}
REQUIRED_KEYS = ("title", "topic")
PLACEHOLDER_DESCRIPTION = "（この動画の内容を書いてください）"
"""What `clipportal new` writes as the description; published as is, it would tell viewers
nothing, so it is a warning (an error with --strict)."""


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
    problems: tuple[Problem, ...] = ()
    """Problems found while loading: only warnings once `load_catalog` has returned."""


def load_catalog(root: Path, settings: Settings) -> Catalog:
    """Load and validate every clip; raise CatalogError with all problems if any is an error."""
    catalog = scan_catalog(root, settings)
    if any(p.severity == "error" for p in catalog.problems):
        raise CatalogError(catalog.problems)
    return catalog


def scan_catalog(root: Path, settings: Settings) -> Catalog:
    """Every clip whose files are valid, with every problem found (errors included) in
    `problems`: `clipportal check` goes on to check those clips, so one broken clip file
    never hides another clip's caption or video problems."""
    forget_real_folders()
    meta_files = _meta_files(root)
    with_meta = {p.stem for p in meta_files}
    videos = _videos_by_slug(root)
    loaded = [_load_clip(p, root, settings, videos) for p in meta_files]
    problems = [p for _, found in loaded for p in found]
    clips = [c for c, _ in loaded if c]
    captions, found = _load_caption_sources(root, settings, {c.slug for c in clips}, with_meta)
    clips = [_with_captions(c, captions.get(c.slug, ())) for c in clips]
    problems += found + _duplicate_titles(clips)
    problems += _orphan_videos(root, {c.video for c in clips}, with_meta)
    ordered = sorted(clips, key=lambda c: (c.date or dt.date.min, c.slug), reverse=True)
    return Catalog(tuple(ordered), tuple(problems))


def _meta_files(root: Path) -> list[Path]:
    videos = root / "videos"
    if not videos.is_dir():
        return []
    return sorted(p for p in videos.iterdir()
                  if p.suffix.lower() in META_SUFFIXES and not p.name.startswith(".")
                  and (p.is_file() or p.is_symlink()))


def _with_captions(clip: Clip, captions: tuple[CaptionSource, ...]) -> Clip:
    return Clip(**{**clip.__dict__, "captions": captions})


class _Ctx:
    """One clip file being read: its text, the line of each key for messages, and the problems
    found in it, which `_load_clip` returns with the clip."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.text = ""
        self.lines: dict[str, int] = {}
        self.values: dict[str, yaml.Node] = {}
        self.chapter_lines: list[int] = []
        self.failed = False

    def error(self, message: str, hint: str, key: str | None = None,
              line: int | None = None) -> None:
        self.failed = True
        self.problems.append(Problem(self.source, message, hint, line or self._line(key)))

    def warn(self, message: str, hint: str, key: str | None = None,
             line: int | None = None) -> None:
        self.problems.append(Problem(self.source, message, hint, line or self._line(key),
                                     "warning"))

    def field_error(self, error: FieldError, key: str) -> None:
        self.error(error.message, error.hint, key=key)

    def _line(self, key: str | None) -> int:
        return self.lines.get(key, 1) if key else 1


def _videos_by_slug(root: Path) -> dict[str, list[Path]]:
    """The possible videos in videos/ by the name before their first dot, listed once: a
    glob per clip made loading 1,000 clips quadratic."""
    folder = root / "videos"
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.suffix.lower() not in NOT_VIDEO_SUFFIXES and not path.is_dir():
            found.setdefault(path.name.partition(".")[0], []).append(path)
    return found


def _load_clip(path: Path, root: Path, settings: Settings,
               videos: dict[str, list[Path]]) -> tuple[Clip | None, list[Problem]]:
    """The clip (None when its file has an error) and the problems found in its file."""
    ctx = _Ctx(f"videos/{path.name}")
    return _read_clip(path, root, settings, videos, ctx), ctx.problems


def _read_clip(path: Path, root: Path, settings: Settings, videos: dict[str, list[Path]],
               ctx: _Ctx) -> Clip | None:
    slug = path.stem
    real = real_path(path)
    if not real.is_relative_to(real_root(root)) or not real.is_file():
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
    clip = _build_clip(slug, data, root, videos.get(slug, []), settings, ctx)
    return None if ctx.failed else clip


def _parse_yaml(path: Path, ctx: _Ctx) -> dict[str, Any] | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        log.debug("reading %s failed", ctx.source, exc_info=True)
        ctx.error(f"cannot read the file ({exc.strerror or 'no access'})",
                  "check the file's permissions")
        return None
    if len(raw) > MAX_META_BYTES:
        ctx.error(f"the file is {len(raw)} bytes; clip files are limited to {MAX_META_BYTES}",
                  "keep long text out of the clip file")
        return None
    try:
        ctx.text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        ctx.error("the file is not UTF-8 text", "save it as UTF-8 in your editor", line=line)
        return None
    return _compose(ctx)


def _compose(ctx: _Ctx) -> dict[str, Any] | None:
    node, data = _read_yaml(ctx)
    if node is None and data is None:
        return None
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        ctx.error("the clip file must be a mapping of keys such as title: and topic:",
                  "start from an example: title: …, topic: …")
        return None
    ctx.lines, ctx.values = _key_lines(node, ctx)
    ctx.chapter_lines = _item_lines(node, "chapters")
    return data


def _read_yaml(ctx: _Ctx) -> tuple[yaml.Node | None, Any]:
    """The parsed file; (None, None) once the reason it cannot be read is reported."""
    try:
        node, data = load_yaml(ctx.text)
    except RecursionError:
        ctx.error("the file is nested too deeply to read", "write plain keys and short lists")
        return None, None
    except yaml.YAMLError as exc:
        log.debug("%s: %s", ctx.source, exc)
        found = explain_error(ctx.text, exc)
        ctx.error(found.message, found.hint, line=found.line)
        return None, None
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        # only explicit tags reach a constructor that can fail: !!int "abc", !!timestamp "x"
        log.debug("%s: %s", ctx.source, exc)
        ctx.error("a value marked with a YAML tag (!!…) cannot be read",
                  "delete the tag that starts with !!", line=_bad_value_line(ctx.text))
        return None, None
    if node is None:
        ctx.error("the clip file is empty", "write at least title: and topic:")
    return node, data


def _bad_value_line(text: str) -> int:
    """The line of the first scalar PyYAML cannot build (found by building each one)."""
    stack = [yaml.compose(text, Loader=TextLoader)]
    while stack:
        node = stack.pop(0)
        if isinstance(node, yaml.ScalarNode):
            try:
                TextLoader("").construct_object(node)
            except Exception:  # any failure marks the culprit
                return node.start_mark.line + 1
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return 1


def _key_lines(node: yaml.MappingNode,
               ctx: _Ctx) -> tuple[dict[str, int], dict[str, yaml.Node]]:
    """Line and value node of each top-level key; a key given twice is an error (the last
    would win)."""
    lines: dict[str, int] = {}
    values: dict[str, yaml.Node] = {}
    for key, value in node.value:
        name, line = str(key.value), key.start_mark.line + 1
        if name in lines:
            ctx.error(f"'{name}' is given twice (also on line {lines[name]})",
                      "keep one of them", line=line)
        lines.setdefault(name, line)
        values.setdefault(name, value)
    return lines, values


def _item_lines(node: yaml.MappingNode, key: str) -> list[int]:
    for name, value in node.value:
        if str(name.value) == key and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _check_keys(data: dict[str, Any], ctx: _Ctx) -> None:
    """Unknown keys are errors (typos must not pass silently); a misspelt required key is
    reported once, on its own line, not again as missing."""
    meant: set[str] = set()
    for key in map(str, data):
        if key not in ALLOWED_KEYS:
            close = suggest_key(key)
            meant.add(close or "")
            ctx.error(f"unknown key '{key}'", _key_hint(key, close), key=key)
    for key in REQUIRED_KEYS:
        if key not in data and key not in meant:
            ctx.error(f"missing required key '{key}'",
                      f"add a line `{key}: …` at the start of a line, with a half-width "
                      "colon and a space")


def _key_hint(key: str, close: str | None) -> str:
    if close is None:
        return f"allowed keys: {', '.join(ALLOWED_KEYS)}"
    if folded(key).rstrip(":").strip().casefold() == close:  # ｔｉｔｌｅ, Title, "title　"
        return f"write it as `{close}:` in half-width lower-case letters, with nothing " \
               "before the colon"
    return f"did you mean '{close}'?"


def _build_clip(slug: str, data: dict[str, Any], root: Path, beside: list[Path],
                settings: Settings, ctx: _Ctx) -> Clip | None:
    title = _text(data, "title", ctx, required=True)
    topic = _topic(_text(data, "topic", ctx, required=True), settings, ctx)
    video, video_source = _resolve_video(slug, data, root, beside, ctx)
    clip = Clip(
        slug=slug, title=title, topic=topic, description=_description(data, ctx),
        date=_date(data, ctx), speakers=_text_list(data, "speakers", ctx),
        tags=_text_list(data, "tags", ctx), poster=_poster(data, ctx),
        chapters=_chapters(data, ctx), video=video or root, video_source=video_source,
        meta_source=ctx.source, poster_line=ctx.lines.get("poster", 0),
    )
    _warn_comment_in_title(ctx)
    return clip if video else None


def _text(data: dict[str, Any], key: str, ctx: _Ctx, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        if required and key in data:
            ctx.error(f"'{key}' is empty", f"give the clip a {key}", key=key)
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        ctx.error(f"'{key}' must be text", f"write `{key}: …` on one line; text that starts "
                  "with [ or { needs double quotes around it", key=key)
        return ""
    text = str(value).strip()
    if required and not text:
        ctx.error(f"'{key}' is empty", f"give the clip a {key}", key=key)
    return text


def _topic(text: str, settings: Settings, ctx: _Ctx) -> str:
    if not text:
        return ""
    try:
        return resolve_topic(text, settings.topics)
    except FieldError as error:
        ctx.field_error(error, "topic")
        return text


def _description(data: dict[str, Any], ctx: _Ctx) -> str:
    text = _text(data, "description", ctx)
    core = PLACEHOLDER_DESCRIPTION.strip("（）")
    if core in text:
        ctx.warn("the description is still the placeholder written by `clipportal new`",
                 "write what the clip shows in place of （この動画の内容を書いてください）",
                 line=_line_holding(ctx, core, ctx.lines.get("description", 1)))
    return text


def _line_holding(ctx: _Ctx, needle: str, start: int) -> int:
    for number, line in enumerate(yaml_lines(ctx.text)[start - 1:], start):
        if needle in line:
            return number
    return start


def _warn_comment_in_title(ctx: _Ctx) -> None:
    """`title: 第3回 #業務改善` is the title 第3回 and a comment: say so, as the rest of the
    line would silently be missing from the site."""
    node = ctx.values.get("title")
    lines = yaml_lines(ctx.text)
    if not isinstance(node, yaml.ScalarNode) or node.style or node.end_mark.line != \
            node.start_mark.line or node.end_mark.line >= len(lines):
        return
    if lines[node.end_mark.line][node.end_mark.column:].strip().startswith("#"):
        ctx.warn("the part of the title after ' #' is read as a comment and left out",
                 'put the whole title in double quotes: title: "… #…"', key="title")


def _text_list(data: dict[str, Any], key: str, ctx: _Ctx) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    try:
        return parse_words(key, value)
    except FieldError as error:
        ctx.field_error(error, key)
        return ()


def _date(data: dict[str, Any], ctx: _Ctx) -> dt.date | None:
    value = data.get("date")
    if value is None:
        return None
    try:
        return parse_date(value)
    except FieldError as error:
        ctx.field_error(error, "date")
        return None


def _poster(data: dict[str, Any], ctx: _Ctx) -> float | None:
    value = data.get("poster")
    if value is None:
        return None
    seconds = parse_time(value)
    if seconds is None:
        ctx.error(f"'poster' must be a time in seconds (e.g. 12.5) or m:ss, not '{value}'",
                  "give the moment of the clip to show before it plays, e.g. poster: 12.5 "
                  'or poster: "0:12"', key="poster")
    return seconds


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
        ctx.error(f"chapter time '{item['start']}' is not a time like 1:05",
                  hint + " (minutes and seconds go up to 59)", line=line)
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


def _resolve_video(slug: str, data: dict[str, Any], root: Path, found: list[Path],
                   ctx: _Ctx) -> tuple[Path | None, str]:
    given = data.get("video")
    if given is not None:
        return _given_video(given, root, ctx)
    if len(found) != 1:
        what = "no video file" if not found else f"{len(found)} video files"
        ctx.error(f"{what} named videos/{slug}.* found next to the clip file",
                  "put exactly one clip next to it with the same name (e.g. "
                  f"videos/{slug}.mp4), or name it with `video:`")
        return None, ""
    return _check_video_file(found[0], root, ctx, None)


def _given_video(given: Any, root: Path, ctx: _Ctx) -> tuple[Path | None, str]:
    if not isinstance(given, str):
        ctx.error("'video' must be a path such as videos/other-name.mov", "", key="video")
        return None, ""
    resolved = _video_path(root, given.strip())
    if resolved is None:
        ctx.error(f"video path '{given}' is outside the project",
                  "use a relative path inside the repository, e.g. videos/clip.mp4", key="video")
        return None, ""
    return _check_video_file(resolved, root, ctx, "video")


def _video_path(root: Path, given: str) -> Path | None:
    """The path in the project: `videos\\a.mov` (typed on Windows) is videos/a.mov, and a bare
    `a.mov` is the file beside the clip file when the project has none of that name."""
    relative = given.replace("\\", "/")
    resolved = resolve_inside(root, relative)
    beside = resolve_inside(root / "videos", relative)
    if resolved is not None and not resolved.exists() and beside is not None and beside.exists():
        return beside
    return resolved


def _check_video_file(path: Path, root: Path, ctx: _Ctx,
                      key: str | None) -> tuple[Path | None, str]:
    real = real_path(path)
    if not real.is_relative_to(real_root(root)):
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


def _load_caption_sources(
    root: Path, settings: Settings, good: set[str], known: set[str],
) -> tuple[dict[str, tuple[CaptionSource, ...]], list[Problem]]:
    """The caption files of each good clip, and the problems with caption files."""
    problems: list[Problem] = []
    found: dict[str, list[CaptionSource]] = {}
    for path, source in _caption_files(root):
        if not real_path(path).is_relative_to(real_root(root)):
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
            found.setdefault(slug, []).append(CaptionSource(real_path(path), source, lang, ext))
    unique = {slug: _unique_langs(items) for slug, items in found.items()}
    problems += [p for _, twice in unique.values() for p in twice]
    return {slug: kept for slug, (kept, _) in unique.items()}, problems


def _caption_files(root: Path) -> Iterator[tuple[Path, str]]:
    folder = root / "captions"
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name.lower() in {"readme.md", "readme.txt"}:
            continue
        source = f"captions/{path.name}"
        if not real_path(path).is_relative_to(real_root(root)):
            yield path, source  # reported by the caller, never read
        elif path.is_file():
            yield path, source


def _unique_langs(
    items: list[CaptionSource],
) -> tuple[tuple[CaptionSource, ...], list[Problem]]:
    """One caption file per language (the first), and a problem for each further one."""
    problems: list[Problem] = []
    seen: dict[str, CaptionSource] = {}
    for item in items:
        if item.lang in seen:
            problems.append(Problem(item.source, f"a second caption file for language "
                                    f"'{item.lang}' (also {seen[item.lang].source})",
                                    "keep one caption file per clip and language"))
        else:
            seen[item.lang] = item
    return tuple(sorted(seen.values(), key=lambda c: c.lang)), problems


def _orphan_videos(root: Path, used: set[Path], slugs: set[str]) -> list[Problem]:
    """Videos in videos/ that no clip file names (probably a forgotten clip file), and clip
    files put in sub-folders, which are not read."""
    folder = root / "videos"
    if not folder.is_dir():
        return []
    entries = sorted(folder.iterdir())
    orphans = [Problem(project_relative(root, p), "this video has no clip file, so it is not "
                       "published", _orphan_hint(root, p), severity="warning")
               for p in entries
               if p.is_file() and p.suffix.lower() not in NOT_VIDEO_SUFFIXES
               and not p.name.startswith(".") and real_path(p) not in used and p.stem not in slugs]
    nested = [Problem(f"videos/{p.name}/", "clip files in folders inside videos/ are not read",
                      "put clip files and videos directly in videos/", severity="warning")
              for p in entries if p.is_dir() and not p.is_symlink() and _holds_clip_files(p)]
    return orphans + nested


def _orphan_hint(root: Path, video: Path) -> str:
    """A clip file named after the video only where that name is a valid slug; otherwise (a
    Japanese file name, say) the command that chooses a slug and writes the file."""
    if is_valid_slug(video.stem):
        return f"add videos/{video.stem}.yml (clipportal new can write it)"
    return (f'run: clipportal new "{project_relative(root, video)}" --topic TOPIC '
            '--title "タイトル"')


def _holds_clip_files(folder: Path) -> bool:
    try:
        return any(p.suffix.lower() in META_SUFFIXES for p in folder.iterdir())
    except OSError:
        return False


def _duplicate_titles(clips: list[Clip]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, Clip] = {}
    for clip in sorted(clips, key=lambda c: c.slug):
        if clip.title in seen:
            problems.append(Problem(clip.meta_source, f"the title '{clip.title}' is also used by "
                                    f"{seen[clip.title].meta_source}",
                                    "give each clip its own title", 1, "warning"))
        seen.setdefault(clip.title, clip)
    return problems


def missing_site_captions(clip: Clip, language: str) -> Problem | None:
    """A warning when a clip has no captions in the site language (viewers watch muted)."""
    if any(c.lang == language for c in clip.captions):
        return None
    return Problem(clip.meta_source, f"no captions in the site language ({language})",
                   f"add captions/{clip.slug}.{language}.srt so viewers can watch without sound",
                   1, "warning")
