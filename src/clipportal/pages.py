"""Pages as Markdown files for the site generator: home listing, one page per topic, one page
per clip and the search page. Everything from clip files goes through Jinja's autoescape;
descriptions through a sanitiser. URLs are computed relative to each page, so the site works
under any sub-path."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
import yaml
from markupsafe import Markup, escape

from clipportal.captions import Cue
from clipportal.pipeline import PreparedClip
from clipportal.settings import Settings
from clipportal.textutil import (
    format_date_ja,
    format_duration,
    iso_duration,
    markdown_to_safe_html,
)

TRANSCRIPT_GROUP_SECONDS = 20.0
NEWEST_ON_HOME = 6

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("clipportal", "templates"),
    autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
_env.filters["duration"] = format_duration
_env.filters["iso_duration"] = iso_duration
_env.filters["date_ja"] = format_date_ja


@dataclass(frozen=True)
class PagePaths:
    """Where generated pages land, as Markdown source paths."""

    use_directory_urls: bool = True

    @staticmethod
    def clip(slug: str) -> str:
        return f"clips/{slug}.md"

    @staticmethod
    def topic(topic: str) -> str:
        return f"topics/{topic}.md"

    def dest_dir(self, src_path: str) -> str:
        """The folder the page's HTML lands in (what relative URLs start from)."""
        stem = src_path.removesuffix(".md")
        if stem in {"index"} or stem.endswith("/index"):
            return posixpath.dirname(stem)
        return stem if self.use_directory_urls else posixpath.dirname(stem)

    def page_url(self, src_path: str) -> str:
        stem = src_path.removesuffix(".md")
        if stem == "index" or stem.endswith("/index"):
            return posixpath.dirname(stem) + "/" if "/" in stem else ""
        return f"{stem}/" if self.use_directory_urls else f"{stem}.html"


def relative(target: str, from_dir: str) -> str:
    """A site-relative target as seen from a page folder (both without a leading '/')."""
    rel = posixpath.relpath(target or ".", from_dir or ".")
    return rel + "/" if target.endswith("/") and not rel.endswith("/") else rel


class _Linker:
    def __init__(self, paths: PagePaths, src_path: str) -> None:
        self.paths = paths
        self.base = paths.dest_dir(src_path)

    def to(self, site_path: str) -> str:
        return relative(site_path, self.base)

    def page(self, src_path: str) -> str:
        url = self.paths.page_url(src_path)
        return relative(url, self.base) if url else relative("./", self.base) or "./"

    def clip(self, slug: str) -> str:
        return self.page(PagePaths.clip(slug))

    def topic(self, topic: str) -> str:
        return self.page(PagePaths.topic(topic))


def front_matter(title: str, extra: dict[str, Any] | None = None) -> str:
    """YAML front matter; the title is HTML-escaped because themes print it as markup."""
    data = {"title": str(escape(title)), **(extra or {})}
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n\n"


def card_data(item: PreparedClip, link: _Linker, watched_key: str = "") -> dict[str, Any]:
    posters = item.media["posters"]
    return {
        "slug": item.clip.slug, "title": item.clip.title, "duration": item.duration,
        "url": link.clip(item.clip.slug), "date": item.clip.date,
        "jpg": [(link.to(f"{item.media_dir}/{p['jpg']}"), p["width"]) for p in posters],
        "webp": [(link.to(f"{item.media_dir}/{p['webp']}"), p["width"]) for p in posters],
        "width": posters[0]["width"], "height": posters[0]["height"],
    }


def render_topic_page(topic: str, name: str, clips: Sequence[PreparedClip],
                      paths: PagePaths) -> str:
    link = _Linker(paths, PagePaths.topic(topic))
    body = _env.get_template("topic.html").render(
        name=name, cards=[card_data(c, link) for c in clips], home=link.page("index.md"))
    return front_matter(name, {"clipportal": "topic"}) + body


def render_home_section(settings: Settings, clips: Sequence[PreparedClip],
                        paths: PagePaths, src_path: str = "index.md") -> str:
    link = _Linker(paths, src_path)
    topics = [{"id": t, "name": n, "url": link.topic(t),
               "count": sum(1 for c in clips if c.clip.topic == t)}
              for t, n in settings.topics.items()]
    newest = sorted(clips, key=lambda c: (c.clip.date is not None, c.clip.date or 0,
                                          c.clip.slug), reverse=True)[:NEWEST_ON_HOME]
    return _env.get_template("home.html").render(
        topics=topics, cards=[card_data(c, link) for c in newest],
        search=link.page("search.md"))


def render_clip_page(item: PreparedClip, settings: Settings, siblings: Sequence[PreparedClip],
                     paths: PagePaths) -> str:
    clip = item.clip
    link = _Linker(paths, PagePaths.clip(clip.slug))
    position = [s.clip.slug for s in siblings].index(clip.slug)
    following = siblings[position + 1] if position + 1 < len(siblings) else None
    body = _env.get_template("clip.html").render(
        clip=clip, duration=item.duration, topic_name=settings.topics.get(clip.topic, ""),
        topic_url=link.topic(clip.topic), description=Markup(markdown_to_safe_html(
            clip.description)) if clip.description else "",
        poster=_poster(item, link), sources=_sources(item, link),
        tracks=[{**t.__dict__, "src": link.to(t.path)} for t in item.tracks],
        chapters=_chapters(item), transcript=transcript_groups(item.transcript),
        next=card_data(following, link) if following else None,
        storyboard=link.to(f"{item.media_dir}/{item.media['storyboard']['file']}"),
        search=link.page("search.md"),
    )
    return front_matter(clip.title, {"clipportal": "clip"}) + body


def _poster(item: PreparedClip, link: _Linker) -> dict[str, Any]:
    posters = item.media["posters"]
    largest = posters[-1]
    return {"src": link.to(f"{item.media_dir}/{largest['jpg']}"),
            "width": largest["width"], "height": largest["height"]}


def _sources(item: PreparedClip, link: _Linker) -> list[dict[str, Any]]:
    """Renditions, largest first: without JavaScript the browser plays the first one."""
    return [{"src": link.to(f"{item.media_dir}/{r['file']}"), "name": r["name"],
             "label": r["label"] or r["name"], "mb": f"{r['bytes'] / 1_000_000:.1f}",
             "width": r["width"], "height": r["height"]}
            for r in reversed(item.media["renditions"])]


def _chapters(item: PreparedClip) -> list[dict[str, Any]]:
    return [{"start": c.start, "seconds": int(c.start), "title": c.title}
            for c in item.clip.chapters if c.start < item.duration]


def transcript_groups(cues: Sequence[Cue]) -> list[dict[str, Any]]:
    """Cues gathered into paragraphs of about 20 s, each headed by its start time; the heading
    id (`t-155`) makes a search hit in the transcript open the clip at that moment."""
    groups: list[dict[str, Any]] = []
    for cue in cues:
        if not groups or cue.start - groups[-1]["start"] >= TRANSCRIPT_GROUP_SECONDS:
            groups.append({"start": cue.start, "seconds": int(cue.start), "texts": []})
        groups[-1]["texts"].append(cue.plain_text())
    _unique_ids(groups)
    return groups


def _unique_ids(groups: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for group in groups:
        base = f"t-{group['seconds']}"
        ident, n = base, 1
        while ident in seen:
            n += 1
            ident = f"{base}-{n}"
        seen.add(ident)
        group["id"] = ident
