"""Pages kept from the last build, so that editing one clip renders only the pages that depend
on it.

A generated page (a clip page or a topic page) is a pure function of its own Markdown and of
what every page shares: mkdocs.yml, the hand-written docs (their titles make the navigation),
clipportal's templates and code, and the versions of MkDocs and the theme. The cache keys each
page's finished HTML by a hash of both, so a page comes back from it exactly when a fresh render
would give the same bytes. A clip's edit changes the Markdown of its own page, of its topic page
and of the clip before it in the topic (whose "next clip" card names it), so those three render
again; the home page and the hand-written pages are never cached.

Entries live in build/page-cache/ (beside the media cache, never inside the site folder, which
MkDocs empties). Entries that no page used in a build are deleted after it, so the cache stays
the size of one site's pages.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from pathlib import Path

from clipportal import __version__
from clipportal.paths import write_text_atomically
from clipportal.site.fingerprint import PACKAGE, input_files

CACHE_FOLDER = Path("build") / "page-cache"
VERSIONED = ("mkdocs", "mkdocs-material", "markdown", "jinja2", "pymdown-extensions")


def shared_inputs_digest(root: Path, *settings: str) -> str:
    """A hash of everything each page's HTML depends on besides its own Markdown: project files
    (mkdocs.yml, docs/), clipportal's files, package versions and the given settings (site URL,
    URL style, serving or building)."""
    digest = hashlib.sha256(f"clipportal {__version__}".encode())
    for name in VERSIONED:
        digest.update(f"\0{name} {_version(name)}".encode())
    for value in settings:
        digest.update(b"\0" + value.encode("utf-8"))
    for path in input_files(root):
        digest.update(b"\0" + _label(path, root).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _label(path: Path, root: Path) -> str:
    """A file's name without the folder the project or clipportal happens to live in."""
    for tag, base in (("project", root), ("clipportal", PACKAGE)):
        if path.is_relative_to(base):
            return f"{tag}:{path.relative_to(base).as_posix()}"
    return path.as_posix()


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


RECORD = "pages.json"
"""Which key each cached page had in the last complete build (see `PageCache.written`)."""


class PageCache:
    """Finished HTML by page key; remembers which keys this build used, to prune the rest."""

    def __init__(self, folder: Path, shared: str) -> None:
        self.folder = folder
        self.shared = shared
        self.used: set[str] = {RECORD}
        self.keys: dict[str, str] = {}
        """Page source path → key, for this build."""
        self.previous = _read_record(folder / RECORD)

    def written(self, src_uri: str, key: str) -> bool:
        """Whether the last complete build wrote this very page (same key) and its cache entry
        is still there: in a kept site folder its HTML need not be rendered nor written."""
        if self.previous.get(src_uri) != key or not (self.folder / f"{key}.html").is_file():
            return False
        self.remember(src_uri, key)
        self.used.add(f"{key}.html")
        return True

    def remember(self, src_uri: str, key: str) -> None:
        self.keys[src_uri] = key

    def save_record(self) -> None:
        """After a build: the keys of its pages, for the next build's `written`."""
        write_text_atomically(self.folder / RECORD, json.dumps(self.keys, sort_keys=True))

    def key(self, src_uri: str, source: str) -> str:
        digest = hashlib.sha256(self.shared.encode())
        digest.update(b"\0" + src_uri.encode("utf-8") + b"\0" + source.encode("utf-8"))
        return digest.hexdigest()[:40]

    def get(self, key: str, suffix: str = ".html") -> str | None:
        try:
            text = (self.folder / f"{key}{suffix}").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        self.used.add(f"{key}{suffix}")
        return text

    def put(self, key: str, text: str, suffix: str = ".html") -> None:
        """Written under a temporary name and renamed: a killed build leaves no half page."""
        write_text_atomically(self.folder / f"{key}{suffix}", text)
        self.used.add(f"{key}{suffix}")

    def prune(self) -> None:
        """Delete the entries no page used in this build (and leftovers of killed builds)."""
        if not self.folder.is_dir():
            return
        for entry in os.scandir(self.folder):
            if entry.name not in self.used:
                Path(entry.path).unlink(missing_ok=True)


def _read_record(path: Path) -> dict[str, str]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


class MarkdownMemo:
    """Generated page Markdown by a hash of everything it is made from (pages.TextMemo): a clip
    page need not be rendered again when neither it nor its next clip changed. Kept in the
    page cache's folder, with its keys salted alike."""

    def __init__(self, cache: PageCache) -> None:
        self.cache = cache

    def get(self, inputs: str) -> str | None:
        return self.cache.get(self.cache.key("markdown", inputs), ".md")

    def put(self, inputs: str, text: str) -> None:
        self.cache.put(self.cache.key("markdown", inputs), text, ".md")
