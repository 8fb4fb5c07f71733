"""Offline viewing (issue 12): what a saved clip consists of, and the build outputs that let a
phone save clips and play them with no signal — the list of files per clip
(`offline/clips.json`), the service worker (`sw.js` at the site root, so its scope is the whole
site wherever it is served), the web app manifest and its icons.

Everything here is static files; the browser side is `site/assets/offline.js` (saving, storage,
the buttons and the 保存済み page) and `site/assets/sw.js` (answers requests from storage)."""

from __future__ import annotations

import hashlib
import json
import posixpath
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clipportal.media.manifest import Rendition
from clipportal.pipeline import MEDIA_PREFIX, PreparedClip
from clipportal.settings import Settings

PACKAGE = Path(__file__).parent
OFFLINE_PAGE = "offline.md"
UNSAVED_PAGE = "offline/unsaved.md"
"""The page the worker shows for an unsaved clip offline. It is as deep as a clip page
(clips/<slug>.md), so its relative links hold when it stands in for one."""
CLIPS_JSON = "offline/clips.json"
SCRIPT = "assets/offline.js"
MANIFEST = "manifest.webmanifest"
WORKER = "sw.js"
ICON_SIZES = (192, 512)
CHUNK_BYTES = 1 << 20
"""Saved files are stored in chunks of this size (CHUNK in assets/offline.js)."""
SHORT_NAME = "動画ポータル"
"""The home-screen label when site_name is too long to fit under an icon."""
SHORT_NAME_CHARS = 12
THEME_COLOURS = {
    "indigo": "#4051b5", "blue": "#2094f3", "light-blue": "#02a6f2", "cyan": "#00bdd6",
    "teal": "#009485", "green": "#4cae4f", "red": "#ef5552", "pink": "#e92063",
    "purple": "#ab47bd", "deep-purple": "#7e56c2", "orange": "#ffa724", "brown": "#795649",
    "grey": "#757575", "blue-grey": "#546d78", "black": "#000000", "white": "#ffffff",
}
"""mkdocs-material's primary colours (its --md-primary-fg-color values)."""
DEFAULT_COLOUR = "#4051b5"


@dataclass(frozen=True)
class SavedFile:
    """One file a saved clip needs, as a site-relative path and its size in bytes."""

    path: str
    size: int


def pick_rendition(item: PreparedClip, settings: Settings) -> Rendition:
    """The rendition saved for offline viewing: the one named by `offline_rendition`, else the
    smallest (phones' storage and data plans are small; a phone screen needs little more)."""
    renditions = sorted(item.media.renditions, key=lambda r: (r.height, r.bytes))
    named = [r for r in renditions if r.name == settings.offline_rendition]
    return named[0] if named else renditions[0]


def quality_label(rendition: Rendition) -> str:
    """「標準画質」 from the ladder label 「標準」; a label that says 画質 already stays."""
    label = rendition.label or rendition.name
    return label if label.endswith("画質") else f"{label}画質"


def clip_files(item: PreparedClip, settings: Settings) -> list[SavedFile]:
    """The rendition, the posters and chapter stills (WebP: what the pages show), the
    storyboard and every track. The clip page itself is added at the end of the build."""
    media, rendition = item.media, pick_rendition(item, settings)
    names = [p.webp for p in media.posters] + [c.webp for c in media.chapters]
    names.append(media.storyboard.file)
    files = [SavedFile(f"{item.media_dir}/{rendition.file}", rendition.bytes)]
    files += [SavedFile(f"{item.media_dir}/{n}", _entry_size(item, n)) for n in names]
    files += [SavedFile(t.path, len(t.content.encode("utf-8"))) for t in item.tracks]
    return files


def _entry_size(item: PreparedClip, name: str) -> int:
    """From the manifest, which lists every file of the entry with its size (the cache checks
    the sizes before handing an entry out; with `media_url`, an entry found online has no
    local files at all); a file system call per file only for an entry made before the
    manifest listed them."""
    size = item.media.files.get(name)
    if size is not None:
        return size
    return _size(item.cache_dir / name)


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def published(path: str, settings: Settings) -> str:
    """A saved file's URL in clips.json: site-relative, or absolute under `media_url` for
    media (as the pages name it: the path below `media/`), which the phone then saves and
    the worker answers under that URL."""
    if settings.media_url and path.startswith(MEDIA_PREFIX):
        return settings.media_url + path.removeprefix(MEDIA_PREFIX)
    return path


def clip_version(files: Sequence[SavedFile]) -> str:
    """Changes when any media file changes: media folders carry the cache key and track
    names a digest of their text, so the paths alone identify the content. Site-relative
    paths, so the version does not depend on where the media is published."""
    text = "\n".join(sorted(f.path for f in files))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def megabytes(size: int) -> str:
    return f"{max(size, 1) / 1_000_000:.1f} MB"


def clip_context(item: PreparedClip, settings: Settings) -> dict[str, Any] | None:
    """What a clip page's save button shows before anything is downloaded; None when the
    portal is built without offline viewing."""
    if not settings.offline:
        return None
    files = clip_files(item, settings)
    size = sum(f.size for f in files)
    return {"slug": item.clip.slug, "version": clip_version(files), "size": size,
            "label": f"{quality_label(pick_rendition(item, settings))} {megabytes(size)}"}


def clip_size(item: PreparedClip, settings: Settings) -> int:
    return sum(f.size for f in clip_files(item, settings))


def card_size(item: PreparedClip, settings: Settings) -> str | None:
    """What a card's 「端末に保存」 names (「1.2 MB」); None without offline viewing."""
    return megabytes(clip_size(item, settings)) if settings.offline else None


def topic_context(clips: Sequence[PreparedClip], settings: Settings) -> dict[str, Any] | None:
    """The topic page's 「まとめて保存」 button: how many clips and how many MB; and each
    card's size (`cards`: slug → 「1.2 MB」), measured once for both."""
    if not settings.offline:
        return None
    sizes = {c.clip.slug: clip_size(c, settings) for c in clips}
    size = sum(sizes.values())
    return {"slugs": " ".join(c.clip.slug for c in clips), "count": len(clips),
            "size": size, "mb": megabytes(size),
            "cards": {slug: megabytes(n) for slug, n in sizes.items()}}


def page_file(site_dir: Path, page_url: str) -> Path:
    """The HTML file behind a page URL ("clips/a/" or "clips/a.html")."""
    return site_dir / (page_url + "index.html" if page_url.endswith("/") or not page_url
                       else page_url)


def clip_entry(item: PreparedClip, settings: Settings, site_dir: Path,
               page_url: str) -> dict[str, Any]:
    """One clip in offline/clips.json: its page, version, rendition and files with sizes
    (media URLs absolute under `media_url` when it is set). The page is last, so it is
    stored only after everything it plays."""
    files = clip_files(item, settings)
    page = SavedFile(page_url, _size(page_file(site_dir, page_url)))
    rendition = pick_rendition(item, settings)
    return {"title": item.clip.title, "topic": item.clip.topic, "page": page_url,
            "version": clip_version(files), "label": quality_label(rendition),
            "video": published(f"{item.media_dir}/{rendition.file}", settings),
            "files": [[published(f.path, settings), f.size] for f in [*files, page]]}


def clips_json(clips: Sequence[PreparedClip], settings: Settings, site_dir: Path,
               page_urls: dict[str, str]) -> dict[str, Any]:
    """The whole catalogue of saveable clips (site-relative URLs, media under `media_url`
    when set) and topics in order."""
    return {
        "clips": {c.clip.slug: clip_entry(c, settings, site_dir, page_urls[c.clip.slug])
                  for c in clips},
        "topics": {t: [c.clip.slug for c in clips if c.clip.topic == t]
                   for t in settings.topics},
    }


def shell_assets(site_dir: Path) -> list[str]:
    """The app shell's files, precached with its pages at the first save: the theme's and
    clipportal's CSS and scripts, icons and the manifest. The theme's optional search worker
    and language packs are left out (the portal uses its own search)."""
    assets = [p for pattern in ("assets/*.js", "assets/*.css", "assets/stylesheets/*.css",
                                "assets/javascripts/*.js", "assets/images/*",
                                "assets/icons/*")
              for p in sorted(site_dir.glob(pattern)) if p.is_file()]
    return [*(a.relative_to(site_dir).as_posix() for a in assets), MANIFEST]


def version_of(site_dir: Path, paths: Sequence[str]) -> str:
    """A digest of the shell's bytes: a new build with any change gives a new worker."""
    digest = hashlib.sha256()
    for path in paths:
        file = page_file(site_dir, path) if path.endswith("/") or not path else site_dir / path
        digest.update(path.encode("utf-8") + b"\0" + (file.read_bytes() if file.is_file()
                                                       else b""))
    return digest.hexdigest()[:16]


def worker_script(version: str, assets: Sequence[str], pages: Sequence[str],
                  unsaved: str = "", media_url: str = "") -> str:
    """sw.js: the build's version, the shell's files and pages (`unsaved` among them: the
    page for an unsaved clip offline), where the media is published (`media_url`, else ''),
    then the worker's code. The shell is precached once the viewer saves a first clip: a
    viewer who never saves pays nothing for it."""
    head = (f"/* generated by clipportal: do not edit */\nvar CP_VERSION = {json.dumps(version)};"
            f"\nvar CP_ASSETS = {json.dumps(list(assets), ensure_ascii=False)};"
            f"\nvar CP_PAGES = {json.dumps(list(pages), ensure_ascii=False)};"
            f"\nvar CP_UNSAVED = {json.dumps(unsaved, ensure_ascii=False)};"
            f"\nvar CP_MEDIA = {json.dumps(media_url, ensure_ascii=False)};\n")
    return head + (PACKAGE / "assets" / "sw.js").read_text(encoding="utf-8")


def theme_colour(palette: Any) -> str:
    """The palette's primary colour (the first scheme's, when there are several)."""
    first = palette[0] if isinstance(palette, list) and palette else palette
    primary = first.get("primary") if isinstance(first, dict) else None
    return THEME_COLOURS.get(str(primary), DEFAULT_COLOUR)


def short_name(site_name: str) -> str:
    return site_name if len(site_name) <= SHORT_NAME_CHARS else SHORT_NAME


def web_manifest(site_name: str, colour: str, language: str) -> dict[str, Any]:
    """Relative start_url and scope: resolved against the manifest's own URL at the root."""
    icons = [{"src": f"assets/icons/icon-{s}.png", "sizes": f"{s}x{s}", "type": "image/png",
              "purpose": "any maskable"} for s in ICON_SIZES]
    return {"name": site_name, "short_name": short_name(site_name), "lang": language,
            "start_url": "./", "scope": "./", "display": "standalone",
            "theme_color": colour, "background_color": "#ffffff", "icons": icons}


def _rgb(colour: str) -> tuple[int, int, int]:
    value = int(colour.lstrip("#"), 16)
    return value >> 16 & 255, value >> 8 & 255, value & 255


def _icon_row(size: int, y: int) -> bytes:
    """One row of the icon as palette indices: the theme colour (0) with a white play
    triangle (1) in the middle, inside the central 60 % so a maskable crop never cuts it."""
    left, half = size * 0.36, size * 0.22
    dy = abs(y + 0.5 - size / 2)
    right = left + (half - dy) * 1.7 if dy < half else left
    return bytes(1 if left <= x + 0.5 < right else 0 for x in range(size))


def png_icon(size: int, colour: str) -> bytes:
    """A square two-colour (palette) PNG written with zlib alone: no imaging library at
    build time, and a few hundred bytes for the browser to fetch."""
    raw = b"".join(b"\0" + _icon_row(size, y) for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 3, 0, 0, 0)
    palette = bytes(_rgb(colour)) + b"\xff\xff\xff"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"PLTE", palette)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def write_outputs(site_dir: Path, catalogue: dict[str, Any], app_manifest: dict[str, Any],
                  pages: Sequence[str], unsaved: str = "", media_url: str = "") -> None:
    """Write clips.json, the manifest and icons, then sw.js (its version covers them all).
    `unsaved`: the URL of the page for an unsaved clip offline, one of `pages`; `media_url`:
    the other origin the worker answers saved media for."""
    _write(site_dir / CLIPS_JSON, json.dumps(catalogue, ensure_ascii=False))
    _write(site_dir / MANIFEST, json.dumps(app_manifest, ensure_ascii=False, indent=1))
    for size in ICON_SIZES:
        icon = site_dir / "assets" / "icons" / f"icon-{size}.png"
        icon.parent.mkdir(parents=True, exist_ok=True)
        icon.write_bytes(png_icon(size, app_manifest["theme_color"]))
    assets, shell_pages = shell_assets(site_dir), [*pages, CLIPS_JSON]
    version = version_of(site_dir, [*assets, *shell_pages])
    _write(site_dir / WORKER, worker_script(version, assets, shell_pages, unsaved, media_url))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def head_links(html: str, page_url: str, colour: str) -> str:
    """The manifest link and theme colour in a page's <head>, relative to the page."""
    folder = (page_url if page_url.endswith("/") else posixpath.dirname(page_url)).strip("/")
    prefix = "../" * (folder.count("/") + 1) if folder else ""
    tags = (f'<link rel="manifest" href="{prefix}{MANIFEST}">'
            f'<meta name="theme-color" content="{colour}">')
    return html if MANIFEST in html else html.replace("</head>", tags + "</head>", 1)
