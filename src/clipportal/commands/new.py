"""`clipportal new`: write videos/<slug>.yml for a clip, with probed facts filled in and a
schema line so editors get completion in their editor."""

from __future__ import annotations

import hashlib
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from clipportal.catalog.clips import PLACEHOLDER_DESCRIPTION
from clipportal.catalog.fields import FieldError, resolve_topic
from clipportal.errors import CatalogError, Problem
from clipportal.media.probe import probe
from clipportal.paths import MAX_SLUG, is_valid_slug, project_relative
from clipportal.settings import Settings, load_settings
from clipportal.textutil import format_duration

TITLE_PART = 40
"""Longest part of a generated slug taken from the title, so page addresses stay readable."""


@dataclass(frozen=True)
class NewClip:
    """What `clipportal new` wrote, so the command can tell the editor."""

    slug: str
    clip_file: str
    """Project-relative path of the clip file written."""
    video: str
    """Project-relative path of the video the clip file names."""
    copied_bytes: int | None
    """Size of the copy made in videos/, or None when the video was already there."""
    generated: bool
    """True when clipportal chose the slug (no --slug)."""
    captions: str
    """Where the clip's captions in the site language go."""
    schema_copy: str | None = None
    """The JSON Schema copied into the project for editors' completion, when it was."""


def ascii_slug(text: str, limit: int = MAX_SLUG) -> str:
    """The ASCII letters and digits of `text` as a slug ('Flow Mapping_01' → 'flow-mapping-01');
    empty when there are none."""
    ascii_text = unicodedata.normalize("NFKC", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")


def slug_from_file_name(stem: str) -> str:
    """The file name as a slug, only when nothing is lost: an all-ASCII name with a letter in
    it. '研修動画 第3回' would give '3', which says nothing about the clip."""
    normal = unicodedata.normalize("NFKC", stem)
    if not normal.isascii() or not re.search(r"[A-Za-z]", normal):
        return ""
    return ascii_slug(normal)


def slug_from_title(topic: str, title: str) -> str:
    """The topic and the title's ASCII words, or a short hash of the title when it has none:
    'flow-mapping-rpa', 'flow-mapping-3f9a2c'. The same title always gives the same slug."""
    base = ascii_slug(topic, MAX_SLUG // 2) or "clip"
    words = ascii_slug(title, TITLE_PART)
    part = words or hashlib.sha256(title.strip().encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return f"{base}-{part}"


def unique_slug(root: Path, slug: str, video: Path) -> str:
    """`slug`, or `slug-2`, `slug-3`… when another clip, video or caption file has that name
    (an old caption file would otherwise attach itself to the new clip)."""
    taken = _names_in_use(root, video)
    candidate, number = slug, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = slug[: MAX_SLUG - len(suffix)].rstrip("-") + suffix
    return candidate


def _names_in_use(root: Path, video: Path) -> set[str]:
    """Lower-cased names (up to the first dot) of the files in videos/ and captions/, except
    the video being added: it may already sit in videos/ under the name we would choose."""
    source = video.resolve()
    names: set[str] = set()
    for folder in (root / "videos", root / "captions"):
        if folder.is_dir():
            names |= {p.name.split(".")[0].lower() for p in folder.iterdir()
                      if p.resolve() != source}
    return names


def choose_slug(root: Path, video: Path, topic: str, title: str,
                given: str | None) -> tuple[str, bool]:
    """The slug given with --slug, else one made from the file name or the topic and title;
    the flag says whether clipportal chose it."""
    if given is not None:
        return given, False
    made = slug_from_file_name(video.stem) or slug_from_title(topic, title)
    return unique_slug(root, made, video), True


def write_new_clip(root: Path, video: Path, topic: str, title: str,
                   slug: str | None) -> NewClip:
    """Create videos/<slug>.yml (never overwriting); copy the video into videos/ when it is
    elsewhere. The video is probed before anything is written, so a file that is not a
    readable video leaves nothing behind."""
    settings = _project_settings(root)
    topic = _topic_id(topic, settings)
    chosen, generated = choose_slug(root, video, topic, title, slug)
    _check_arguments(video, title, chosen)
    target = root / "videos" / f"{chosen}.yml"
    if target.exists():
        raise CatalogError(Problem(project_relative(root, target), "this clip file already exists",
                                   "choose another --slug, or edit the existing file"))
    facts = probe(video, str(video))
    placed, copied = _place_video(root, video, chosen)
    schema, schema_copy = _schema_ref(root)
    target.write_text(_clip_yaml(root, placed, chosen, topic, title, facts.duration, schema),
                      encoding="utf-8")
    return NewClip(chosen, project_relative(root, target), project_relative(root, placed),
                   copied, generated, f"captions/{chosen}.{settings.language}.srt", schema_copy)


def _topic_id(topic: str, settings: Settings) -> str:
    """The topic id for --topic, which may also be the topic's Japanese name (the same rule
    as `topic:` in a clip file); an unknown topic is refused with every id and its name."""
    try:
        return resolve_topic(topic, settings.topics)
    except FieldError as error:
        raise CatalogError(Problem("--topic", error.message, error.hint)) from None


def _project_settings(root: Path) -> Settings:
    """Refuse to run outside a portal project: videos/ would be created in the wrong place."""
    if not (root / "mkdocs.yml").is_file():
        raise CatalogError(Problem(str(root), "this folder is not a portal project (it has no "
                                   "mkdocs.yml)", "run clipportal new inside the portal "
                                   "project, or name it with --dir"))
    return load_settings(root)


def _check_arguments(video: Path, title: str, slug: str) -> None:
    problems = []
    if not video.is_file():
        problems.append(Problem(str(video), "no such video file", "check the path"))
    if not title.strip():
        problems.append(Problem("--title", "the title is empty", "give the clip a title"))
    if not is_valid_slug(slug):
        problems.append(Problem("--slug", f"'{slug}' cannot be used as a clip name",
                                "use lower-case ASCII letters, digits and '-', starting with "
                                "a letter or digit, e.g. --slug flow-mapping-03"))
    if problems:
        raise CatalogError(problems)


def _place_video(root: Path, video: Path, slug: str) -> tuple[Path, int | None]:
    """The video inside videos/, and the size of the copy when one had to be made."""
    videos = root / "videos"
    videos.mkdir(exist_ok=True)
    if video.resolve().parent == videos.resolve():
        return video.resolve(), None
    destination = videos / f"{slug}{video.suffix.lower()}"
    if destination.exists():
        raise CatalogError(Problem(project_relative(root, destination), "a video of this name "
                                   "already exists", "choose another --slug"))
    shutil.copy2(video, destination)
    return destination, destination.stat().st_size


def _clip_yaml(root: Path, video: Path, slug: str, topic: str, title: str,
               duration: float, schema: str) -> str:
    data: dict[str, object] = {"title": title.strip(), "topic": topic}
    if video.stem != slug:
        data["video"] = project_relative(root, video)
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    poster = round(min(duration * 0.3, max(0.0, duration - 3.0)), 1)
    return (f"# yaml-language-server: $schema={schema}\n"
            f"# 長さ {format_duration(duration)}（{duration:.1f} 秒）。書ける項目と書き方は、"
            f"編集者ガイド CONTRIBUTING.md の「クリップファイルの書き方」にあります。\n"
            f"{body}description: |\n  {PLACEHOLDER_DESCRIPTION}\n"
            f"# date: 2024-04-01\n# speakers: [福祉課 職員]\n# tags: [業務フロー]\n"
            f"poster: {poster}\n"
            f'chapters:\n  - {{start: "0:00", title: はじめに}}\n')


def _schema_ref(root: Path) -> tuple[str, str | None]:
    """Path of the clip JSON Schema as seen from videos/, and the copy made now if any: it is
    copied into the project once so it works without this package's source tree."""
    in_repo = root / "src" / "clipportal" / "schema" / "clip.schema.json"
    if in_repo.is_file():
        return "../src/clipportal/schema/clip.schema.json", None
    copy = root / ".clipportal" / "clip.schema.json"
    made = None
    if not copy.is_file():
        copy.parent.mkdir(exist_ok=True)
        shutil.copy2(Path(__file__).parent.parent / "schema" / "clip.schema.json", copy)
        made = project_relative(root, copy)
    return "../.clipportal/clip.schema.json", made
