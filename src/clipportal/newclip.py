"""`clipportal new`: write videos/<slug>.yml for a clip, with probed facts filled in and a
schema line so editors get completion in their editor."""

from __future__ import annotations

import hashlib
import re
import shutil
import unicodedata
from pathlib import Path

import yaml

from clipportal.errors import CatalogError, Problem
from clipportal.paths import is_valid_slug, project_relative
from clipportal.probe import probe
from clipportal.settings import load_settings
from clipportal.textutil import format_duration


def slug_from_name(name: str) -> str:
    """An ASCII slug from a file name ('Flow Mapping_01.MOV' → 'flow-mapping-01'); empty when
    nothing ASCII is left (Japanese names need --slug)."""
    ascii_text = unicodedata.normalize("NFKC", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80]


def generated_slug(root: Path, topic: str, title: str) -> str:
    """For a file name with no ASCII in it (e.g. 職員インタビュー.mp4): the topic and a short
    hash of the title, unique within videos/."""
    base = slug_from_name(topic) or "clip"
    digest = hashlib.sha256(title.encode("utf-8")).hexdigest()
    for width in range(6, 17, 2):
        candidate = f"{base}-{digest[:width]}"
        if not (root / "videos" / f"{candidate}.yml").exists():
            return candidate
    return f"{base}-{digest}"


def write_new_clip(root: Path, video: Path, topic: str, title: str, slug: str | None) -> Path:
    """Create videos/<slug>.yml (refusing to overwrite); copy the video into videos/ when it
    is elsewhere."""
    settings = load_settings(root)
    slug = slug or slug_from_name(video.stem) or generated_slug(root, topic, title)
    _check_arguments(video, topic, title, slug, list(settings.topics))
    target = root / "videos" / f"{slug}.yml"
    if target.exists():
        raise CatalogError(Problem(project_relative(root, target), "this clip file already exists",
                                   "choose another --slug, or edit the existing file"))
    placed = _place_video(root, video, slug)
    facts = probe(placed, project_relative(root, placed))
    target.write_text(_clip_yaml(root, placed, slug, topic, title, facts.duration),
                      encoding="utf-8")
    return target


def _check_arguments(video: Path, topic: str, title: str, slug: str, topics: list[str]) -> None:
    problems = []
    if not video.is_file():
        problems.append(Problem(str(video), "no such video file", "check the path"))
    if topic not in topics:
        problems.append(Problem("--topic", f"unknown topic '{topic}'",
                                f"use one of: {', '.join(topics)}"))
    if not title.strip():
        problems.append(Problem("--title", "the title is empty", "give the clip a title"))
    if not is_valid_slug(slug):
        problems.append(Problem("--slug", f"'{slug}' cannot be used as a clip name",
                                "give --slug with lower-case ASCII letters, digits and '-', "
                                "e.g. --slug flow-mapping-01 (Japanese file names need one)"))
    if problems:
        raise CatalogError(problems)


def _place_video(root: Path, video: Path, slug: str) -> Path:
    videos = root / "videos"
    videos.mkdir(exist_ok=True)
    if video.resolve().parent == videos.resolve():
        return video.resolve()
    destination = videos / f"{slug}{video.suffix.lower()}"
    if destination.exists():
        raise CatalogError(Problem(project_relative(root, destination), "a video of this name "
                                   "already exists", "choose another --slug"))
    shutil.copy2(video, destination)
    return destination


def _clip_yaml(root: Path, video: Path, slug: str, topic: str, title: str,
               duration: float) -> str:
    data: dict[str, object] = {"title": title.strip(), "topic": topic}
    if video.stem != slug:
        data["video"] = project_relative(root, video)
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    poster = round(min(duration * 0.3, max(0.0, duration - 3.0)), 1)
    return (f"# yaml-language-server: $schema={_schema_ref(root)}\n"
            f"# {format_duration(duration)} ({duration:.1f} s); see the README for every key\n"
            f"{body}description: |\n  （この動画の内容を書いてください）\n"
            f"# date: 2024-04-01\n# speakers: [福祉課 職員]\n# tags: [業務フロー]\n"
            f"poster: {poster}\n"
            f'chapters:\n  - {{start: "0:00", title: はじめに}}\n')


def _schema_ref(root: Path) -> str:
    """Path of the clip JSON Schema as seen from videos/; copied into the project once so it
    works without this package's source tree."""
    in_repo = root / "src" / "clipportal" / "schema" / "clip.schema.json"
    if in_repo.is_file():
        return "../src/clipportal/schema/clip.schema.json"
    copy = root / ".clipportal" / "clip.schema.json"
    if not copy.is_file():
        copy.parent.mkdir(exist_ok=True)
        shutil.copy2(Path(__file__).parent / "schema" / "clip.schema.json", copy)
    return "../.clipportal/clip.schema.json"
