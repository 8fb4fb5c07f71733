"""Pages as Markdown files for the site generator: home listing, one page per topic, one page
per clip and the search page. Everything from clip files goes through Jinja's autoescape;
descriptions through a sanitiser. URLs are computed relative to each page, so the site works
under any sub-path."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jinja2
import yaml
from markupsafe import Markup, escape

from clipportal.captions.parse import Cue
from clipportal.ids import unique_ids
from clipportal.media.manifest import ChapterStill, Poster, inside_clip
from clipportal.pipeline import MEDIA_PREFIX, PreparedClip
from clipportal.settings import Settings
from clipportal.site.offline import (
    OFFLINE_PAGE,
    UNSAVED_PAGE,
    card_size,
    clip_context,
    topic_context,
)
from clipportal.site.search import BUNDLE_DIR, TERMS_META, search_terms
from clipportal.textutil import (
    format_date_ja,
    format_duration,
    iso_duration,
    markdown_to_safe_html,
)

TRANSCRIPT_GROUP_SECONDS = 20.0
NEWEST_ON_HOME = 6
TOPIC_FIRST_CARDS = 10
"""Cards a topic page lists at once; the others are behind 「もっと見る」 (pages that stay light:
a phone fetches the pictures of the first cards only). Ten fill two phone screens; with the
save buttons on cards, twelve brought a 250-clip topic to 149 of its 150 KB."""
SPEEDS = ("0.75", "1", "1.25", "1.5", "1.75", "2")
CARD_SIZES = "(max-width: 600px) 160px, 300px"
"""A phone shows cards as a list (picture 160 CSS px wide); wider screens as a ~300 px grid."""
PLAYER_POSTER_WIDTH = 640
"""The poster on a clip page: big enough for a phone's player, small enough to show at once."""
SEARCH_POSTER_WIDTH = 320
DESCRIPTION_META_CHARS = 120
SEARCH_PAGE = "search.md"
SEARCH_SCRIPT = "assets/clipportal-search.js"
CAPTION_SIZES = (("s", "小"), ("m", "標準"), ("l", "大"), ("xl", "特大"))
"""The 字幕サイズ menu: value (clipportal.css sizes each) and label; "m" is the default."""
_CJK = "\u3001-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60"
"""Japanese (and Chinese) text, which is written without spaces between words."""
_CJK_GAP = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("clipportal.site", "templates"),
    autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


def keep_compiled_templates(folder: Path) -> None:
    """Keep the templates' compiled code in `folder` (Jinja checks each against its source),
    so that a rebuild in a new process does not compile them again."""
    folder.mkdir(parents=True, exist_ok=True)
    _env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))


_env.filters["duration"] = format_duration
_env.filters["iso_duration"] = iso_duration
_env.filters["date_ja"] = format_date_ja


def join_spoken(texts: Sequence[str]) -> str:
    """Cue texts as one paragraph: a space between words of spaced languages, none between
    Japanese characters (a cue's line break or the end of a cue is not a word gap there, and
    a space after 。 shows up as a gap on the page and in search excerpts)."""
    return _CJK_GAP.sub("", " ".join(t.strip() for t in texts if t.strip()))


_env.filters["join_spoken"] = join_spoken


@dataclass(frozen=True)
class PagePaths:
    """Where generated pages land, as Markdown source paths."""

    use_directory_urls: bool = True
    media_url: str = ""
    """Where the media is published when apart from the pages (`media_url`), ending in '/'."""

    def published(self, site_path: str) -> str:
        """A media path as published: absolute under `media_url`, else as it is."""
        if not self.media_url:
            return site_path
        return self.media_url + site_path.removeprefix(MEDIA_PREFIX)

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

    def media(self, site_path: str) -> str:
        """A media file or track: under `media_url` when it is set (the path below `media/`,
        as build/media/ holds it), else relative to this page like any other link."""
        return self.paths.published(site_path) if self.paths.media_url else self.to(site_path)

    def root(self) -> str:
        """The site root as a prefix ("../../" or "") that site paths can be appended to."""
        rel = relative("./", self.base)
        return "" if rel in {"./", "."} else rel

    def page(self, src_path: str) -> str:
        url = self.paths.page_url(src_path)
        return relative(url, self.base) if url else relative("./", self.base) or "./"

    def clip(self, slug: str) -> str:
        return self.page(PagePaths.clip(slug))

    def topic(self, topic: str) -> str:
        return self.page(PagePaths.topic(topic))


def front_matter(title: str, extra: dict[str, Any] | None = None) -> str:
    """YAML front matter; text is HTML-escaped because the theme prints `title` and
    `description` as markup (in <title>, the header and a <meta content="…">)."""
    data = {"title": str(escape(title)), **(extra or {})}
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n\n"


def _poster_at(item: PreparedClip, width: int) -> Poster:
    """The smallest poster at least `width` wide (else the largest there is)."""
    posters = sorted(item.media.posters, key=lambda p: p.width)
    return next((p for p in posters if p.width >= width), posters[-1])


def card_data(item: PreparedClip, link: _Linker, save: str | None = None) -> dict[str, Any]:
    """`save`: the size its 「端末に保存」 button names (offline.card_size), None for none."""
    posters = sorted(item.media.posters, key=lambda p: p.width)
    return {
        "slug": item.clip.slug, "title": item.clip.title, "duration": item.duration,
        "save": save,
        "url": link.clip(item.clip.slug), "date": item.clip.date, "sizes": CARD_SIZES,
        "jpg": [(link.media(f"{item.media_dir}/{p.jpg}"), p.width) for p in posters],
        "webp": [(link.media(f"{item.media_dir}/{p.webp}"), p.width) for p in posters],
        "width": posters[0].width, "height": posters[0].height,
    }


def render_topic_page(topic: str, name: str, clips: Sequence[PreparedClip],
                      paths: PagePaths, offline: dict[str, Any] | None = None) -> str:
    """`offline`: the 「まとめて保存」 button's facts (offline.topic_context), None without."""
    link = _Linker(paths, PagePaths.topic(topic))
    sizes = offline["cards"] if offline else {}
    body = _env.get_template("topic.html").render(
        name=name, cards=[card_data(c, link, sizes.get(c.clip.slug)) for c in clips],
        home=link.page("index.md"), topic=topic, offline=offline, shown=TOPIC_FIRST_CARDS)
    return front_matter(name, {"clipportal": "topic", "hide": ["toc"]}) + body


def newest(clips: Sequence[PreparedClip], count: int = NEWEST_ON_HOME) -> list[PreparedClip]:
    """The latest clips by date (undated ones last), ties by slug, for the home page."""
    return sorted(clips, key=lambda c: (c.clip.date is not None, c.clip.date or 0,
                                        c.clip.slug), reverse=True)[:count]


def render_home_section(settings: Settings, clips: Sequence[PreparedClip],
                        paths: PagePaths, src_path: str = "index.md") -> str:
    link = _Linker(paths, src_path)
    topics = [{"id": t, "name": n, "url": link.topic(t),
               "count": sum(1 for c in clips if c.clip.topic == t)}
              for t, n in settings.topics.items()]
    return _env.get_template("home.html").render(
        topics=topics, cards=[card_data(c, link, card_size(c, settings)) for c in newest(clips)],
        search=link.page(SEARCH_PAGE))


class TextMemo(Protocol):
    """Keeps generated text by a description of its inputs (clipportal.pagecache)."""

    def get(self, inputs: str) -> str | None: ...
    def put(self, inputs: str, text: str) -> None: ...


def generated_pages(settings: Settings, clips: Sequence[PreparedClip], paths: PagePaths,
                    memo: TextMemo | None = None) -> dict[str, str]:
    """Every topic page and clip page (source path → Markdown), in linear time: each clip's
    "next clip" is found once per topic, not by searching the topic for every clip. With a
    memo, clip pages whose inputs are unchanged are taken from it instead of rendered."""
    by_topic: dict[str, list[PreparedClip]] = {t: [] for t in settings.topics}
    for item in clips:
        by_topic.setdefault(item.clip.topic, []).append(item)
    pages: dict[str, str] = {}
    for topic, name in settings.topics.items():
        in_topic = by_topic[topic]
        pages[PagePaths.topic(topic)] = render_topic_page(topic, name, in_topic, paths,
                                                          topic_context(in_topic, settings))
        followers = [*in_topic[1:], None][:len(in_topic)]
        for item, following in zip(in_topic, followers, strict=True):
            pages[PagePaths.clip(item.clip.slug)] = _clip_page(item, settings, following,
                                                               paths, memo)
    return pages


def _clip_page(item: PreparedClip, settings: Settings, following: PreparedClip | None,
               paths: PagePaths, memo: TextMemo | None) -> str:
    if memo is None:
        return _render_clip(item, settings, following, paths)
    inputs = repr((item, following and (following.clip, following.media,
                                        card_size(following, settings)), settings, paths))
    page = memo.get(inputs)
    if page is None:
        page = _render_clip(item, settings, following, paths)
        memo.put(inputs, page)
    return page


def render_clip_page(item: PreparedClip, settings: Settings, siblings: Sequence[PreparedClip],
                     paths: PagePaths) -> str:
    return _render_clip(item, settings, _next_in_topic(item, siblings), paths)


def _render_clip(item: PreparedClip, settings: Settings, following: PreparedClip | None,
                 paths: PagePaths) -> str:
    clip = item.clip
    link = _Linker(paths, PagePaths.clip(clip.slug))
    description = markdown_to_safe_html(clip.description) if clip.description else ""
    poster = _poster_at(item, PLAYER_POSTER_WIDTH)
    chapters, transcript = _chapters(item, link), transcript_groups(item.transcript)
    body = _env.get_template("clip.html").render(
        clip=clip, duration=item.duration, topic_name=settings.topics.get(clip.topic, ""),
        topic_url=link.topic(clip.topic), description=Markup(description),
        poster={"src": link.media(f"{item.media_dir}/{poster.webp}"),
                "width": poster.width, "height": poster.height},
        search_poster=_search_poster(item, paths),
        sources=_sources(item, link), tracks=_tracks(item, link), speeds=SPEEDS,
        hls=_hls(item, link),
        captions=[t for t in item.tracks if t.kind == "captions"],
        chapters=chapters, transcript=transcript, caption_sizes=CAPTION_SIZES,
        seek_targets=seek_targets(chapters, transcript),
        terms_meta=TERMS_META, terms=search_terms(_indexed_texts(item, settings)),
        next=card_data(following, link, card_size(following, settings)) if following else None,
        search=link.page(SEARCH_PAGE),
        offline=clip_context(item, settings), offline_page=link.page(OFFLINE_PAGE),
    )
    extra = {"clipportal": "clip", "hide": ["toc"],
             "description": _meta_description(description)}
    return front_matter(clip.title, {k: v for k, v in extra.items() if v}) + body


def _next_in_topic(item: PreparedClip, siblings: Sequence[PreparedClip]) -> PreparedClip | None:
    slugs = [s.clip.slug for s in siblings]
    if item.clip.slug not in slugs:
        return None
    position = slugs.index(item.clip.slug)
    return siblings[position + 1] if position + 1 < len(siblings) else None


def _indexed_texts(item: PreparedClip, settings: Settings) -> list[str]:
    """Everything on the clip page that search covers."""
    clip = item.clip
    return [clip.title, clip.description, *clip.tags, *clip.speakers,
            settings.topics.get(clip.topic, ""), *(c.title for c in clip.chapters),
            *(cue.plain_text() for cue in item.transcript)]


def _meta_description(description_html: str) -> str:
    """The description as plain text for <meta name="description">, escaped (the theme prints
    it inside an attribute without escaping)."""
    text = " ".join(Markup(description_html).striptags().split())
    if len(text) > DESCRIPTION_META_CHARS:
        text = text[:DESCRIPTION_META_CHARS - 1] + "…"
    return str(escape(text))


def _sources(item: PreparedClip, link: _Linker) -> list[dict[str, Any]]:
    """Renditions, smallest first: without JavaScript the browser plays the first one, and on
    patchy mobile data the small file is the safe choice."""
    renditions = sorted(item.media.renditions, key=lambda r: (r.height, r.bytes))
    return [{"src": link.media(f"{item.media_dir}/{r.file}"), "name": r.name,
             "label": r.label or r.name, "mb": f"{r.bytes / 1_000_000:.1f}",
             "width": r.width, "height": r.height}
            for r in renditions]


def _search_poster(item: PreparedClip, paths: PagePaths) -> str:
    """Site-relative (the search page adds its root), or absolute under `media_url`."""
    return paths.published(f"{item.media_dir}/{_poster_at(item, SEARCH_POSTER_WIDTH).webp}")


def _hls(item: PreparedClip, link: _Linker) -> str:
    """The adaptive playlist's URL when the portal writes HLS (`hls: true`), else ''."""
    hls = item.media.hls
    return link.media(f"{item.media_dir}/{hls.master}") if hls else ""


def _tracks(item: PreparedClip, link: _Linker) -> list[dict[str, Any]]:
    return [{"kind": t.kind, "lang": t.lang, "label": t.label, "default": t.default,
             "src": link.media(t.path)} for t in item.tracks]


def _chapters(item: PreparedClip, link: _Linker) -> list[dict[str, Any]]:
    """Chapters inside the clip, each with its thumbnail when the media step made one (the
    manifest lists them in chapter order)."""
    inside = [c for c in item.clip.chapters if inside_clip(c.start, item.duration)]
    stills = item.media.chapters  # one per chapter inside the clip, by the same rule
    return [{"start": c.start, "seconds": int(c.start), "title": c.title,
             "thumb": _thumb(stills[i], item, link) if i < len(stills) else None}
            for i, c in enumerate(inside)]


def _thumb(still: ChapterStill, item: PreparedClip, link: _Linker) -> dict[str, Any]:
    return {"src": link.media(f"{item.media_dir}/{still.webp}"), "width": still.width,
            "height": still.height}


def seek_targets(*links: Sequence[dict[str, Any]]) -> list[int]:
    """The whole seconds that chapter and transcript links point at (`#t=SECONDS`). Each gets
    an empty anchor with that id at the top of the player, so that without JavaScript such a
    link scrolls the player into view; clipportal.js turns the same link into a seek."""
    return sorted({int(x["seconds"]) for group in links for x in group})


def transcript_groups(cues: Sequence[Cue]) -> list[dict[str, Any]]:
    """Cues gathered into paragraphs of about 20 s, each headed by its start time; the heading
    id (`t-155`) makes a search hit in the transcript open the clip at that moment."""
    groups: list[dict[str, Any]] = []
    for cue in cues:
        if not groups or cue.start - groups[-1]["start"] >= TRANSCRIPT_GROUP_SECONDS:
            groups.append({"start": cue.start, "seconds": int(cue.start), "texts": []})
        groups[-1]["texts"].append(cue.plain_text())
    for group, ident in zip(groups, unique_ids(f"t-{g['seconds']}" for g in groups),
                            strict=True):
        group["id"] = ident
    return groups


def render_offline_page(paths: PagePaths) -> str:
    """The ★ 保存済み page (`offline/`); its list is drawn from the device's storage."""
    link = _Linker(paths, OFFLINE_PAGE)
    body = _env.get_template("offline.html").render(home=link.page("index.md"))
    return front_matter("保存済みの動画", {"clipportal": "offline", "hide": ["toc"]}) + body


def render_unsaved_page(paths: PagePaths) -> str:
    """offline/unsaved/: the service worker's answer for an unsaved clip page offline."""
    link = _Linker(paths, UNSAVED_PAGE)
    body = _env.get_template("unsaved.html").render(
        home=link.page("index.md"), offline_page=link.page(OFFLINE_PAGE))
    return front_matter("オフライン", {"clipportal": "offline", "hide": ["toc"]}) + body


def render_search_page(settings: Settings, paths: PagePaths) -> str:
    """The ★ search page: `search/?q=…` runs the query at once; hits inside
    [data-search-results]. Result links are made relative to this page by its script."""
    link = _Linker(paths, SEARCH_PAGE)
    body = _env.get_template("search.html").render(
        topics=settings.topics, root=link.root(), bundle=link.to(f"{BUNDLE_DIR}/"),
        home=link.page("index.md"), script=link.to(SEARCH_SCRIPT),
        offline_page=link.page(OFFLINE_PAGE) if settings.offline else "")
    return front_matter("検索", {"clipportal": "search", "hide": ["toc"]}) + body
