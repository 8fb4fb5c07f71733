"""The MkDocs plugin: a thin adapter that runs the core (catalog → media → pages) and hands
MkDocs the generated pages and media files. `mkdocs build` and `clipportal build` give the
same site; the CLI only adds a progress bar and prepares the media before MkDocs starts."""

from __future__ import annotations

import copy
import os
import re
import threading
from pathlib import Path
from typing import Any

import jinja2
import pathspec
from markupsafe import escape
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from clipportal.catalog.clips import Catalog, load_catalog
from clipportal.errors import ClipportalError
from clipportal.pipeline import Prepared, prepare_on, scheduler_address
from clipportal.settings import OPTIONS, Settings, effective_site_dir, settings_from_mapping
from clipportal.site import mkdocs_offline
from clipportal.site.keep import remove_stale_files
from clipportal.site.media_out import MEDIA_FOLDER, publish_media
from clipportal.site.offline import OFFLINE_PAGE
from clipportal.site.pagecache import (
    CACHE_FOLDER,
    RECORD,
    MarkdownMemo,
    PageCache,
    shared_inputs_digest,
)
from clipportal.site.pages import (
    SEARCH_PAGE,
    PagePaths,
    TextMemo,
    generated_pages,
    keep_compiled_templates,
    render_home_section,
    render_search_page,
)
from clipportal.site.search import index_site

log = get_plugin_logger(__name__)
PACKAGE = Path(__file__).parent
LINKED_ASSETS = ("assets/clipportal.css", "assets/clipportal.js")
"""On every page (extra_css / extra_javascript)."""
ASSETS = (*LINKED_ASSETS, "assets/clipportal-search.js")
"""Copied into the site; the search script is loaded by the search page alone."""
HOME_MARKER = "<!-- clipportal:home -->"
DEFAULT_PALETTE = [
    {"media": "(prefers-color-scheme)",
     "toggle": {"icon": "material/brightness-auto", "name": "ライトモードに切り替え"}},
    {"media": "(prefers-color-scheme: light)", "scheme": "default", "primary": "indigo",
     "accent": "indigo",
     "toggle": {"icon": "material/brightness-7", "name": "ダークモードに切り替え"}},
    {"media": "(prefers-color-scheme: dark)", "scheme": "slate", "primary": "indigo",
     "accent": "indigo",
     "toggle": {"icon": "material/brightness-4", "name": "端末の設定に合わせる"}},
]
"""`theme.palette` when mkdocs.yml has none: light or dark as the viewer's device is set (the
first entry), with a header toggle; clipportal.css tunes the dark scheme's contrast."""
CACHED_TEMPLATE = "clipportal-cached.html"
"""An (empty) template for pages whose HTML is kept from the last build."""
CACHED_KINDS = {"clip", "topic"}
CACHED_FOLDERS = ("clips/", "topics/")
"""Where pages of those kinds are (pages.PagePaths)."""
JINJA_CACHE = Path("build") / "templates-compiled"
"""The theme's and clipportal's templates, compiled (Jinja checks each against its source)."""
HTML_KINDS = {"clip", "topic", "search", "offline"}
"""Generated pages whose Markdown is finished HTML already: MkDocs' Markdown pass would only
parse it and give it back (at 1,000 clips that pass was half of a first build), so their HTML
goes straight to the theme (see on_page_content)."""


class ClipportalConfig(base.Config):  # type: ignore[no-untyped-call]
    """The plugin's options, one per option Settings declares: MkDocs lets the YAML types
    through and `settings_from_mapping` does the checks, as for `clipportal check`."""

    # base.Config builds a subclass's schema from an inherited `_schema` plus its attributes
    _schema = tuple((name, c.Optional(c.Type(spec.types))) for name, spec in OPTIONS.items())


class ClipportalPlugin(BasePlugin[ClipportalConfig]):  # type: ignore[no-untyped-call]
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.prepared: Prepared | None = None
        """Set by the CLI when it has already prepared the media (with a progress bar)."""
        self.settings: Settings | None = None
        self.root = Path(".")
        self.paths = PagePaths()
        self.serving = False
        self.page_cache: PageCache | None = None
        self._page_keys: dict[str, str] = {}
        self._kept: dict[str, str] = {}
        self._finished: dict[str, str] = {}
        self.dirty = False
        """Set by clipportal's own builds when the site folder holds a complete earlier build:
        it is kept, and only what changed is written (see `site.keep`)."""
        self._files: Files | None = None

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.serving = command == "serve"  # serve builds into a temporary folder

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        options = {k: v for k, v in self.config.items() if v is not None}
        language = str(config.theme.get("language") or "ja")
        try:
            self.settings = settings_from_mapping({**options, "_language": language})
        except ClipportalError as exc:
            raise PluginError(str(exc)) from exc
        self.root = Path(config.config_file_path or ".").resolve().parent
        config.site_dir = str(effective_site_dir(self.root, Path(config.site_dir)))
        if not self.serving:
            _check_site_dir(Path(config.site_dir), self.root)
        self.paths = PagePaths(config.use_directory_urls, self.settings.media_url)
        _configure_theme(config)
        _configure_nav(config, self.settings)
        if self.settings.offline:
            mkdocs_offline.configure(config)
        self.page_cache = _page_cache(config, self.root, self.serving)
        keep_compiled_templates(self.root / JINJA_CACHE / "pages")  # pages render in on_files
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        assert self.settings is not None
        prepared = self.prepared or self._prepare()
        self.prepared = None  # `mkdocs serve` rebuilds must look at the files again
        self._current = prepared
        self._page_keys, self._kept, self._finished = {}, {}, {}
        memo = MarkdownMemo(self.page_cache) if self.page_cache else None
        _add_generated_pages(files, config, prepared, self.settings, self.paths, memo)
        if self.settings.media_url:  # published apart: the pages name them by media_url
            publish_media(prepared, self.root / MEDIA_FOLDER)
        else:
            _add_media(files, config, prepared)
        _add_assets(files, config)
        if self.settings.offline:
            mkdocs_offline.add_files(files, config, self.paths)
        if self.dirty:
            _render_every_page(files)
            if self.page_cache is not None:
                _skip_written_pages(files, self.page_cache)
        self._files = files
        return files

    def _prepare(self) -> Prepared:
        assert self.settings is not None
        try:
            catalog = load_catalog(self.root, self.settings)
            prepared = self._prepare_media(catalog)
        except ClipportalError as exc:
            raise PluginError("clipportal found problems:\n" + str(exc)) from exc
        for problem in prepared.problems:
            log.warning(problem.format())
        return prepared

    def _prepare_media(self, catalog: Catalog) -> Prepared:
        assert self.settings is not None
        address = scheduler_address(None, self.settings)
        return prepare_on(address, self.root, self.settings, catalog, self.settings.jobs)

    def on_env(self, env: jinja2.Environment, config: MkDocsConfig,
               files: Files) -> jinja2.Environment:
        """The theme's templates (and clipportal's), compiled once and kept in build/: a
        rebuild at 1,000 clips spent a second compiling them again."""
        folder = self.root / JINJA_CACHE
        folder.mkdir(parents=True, exist_ok=True)
        env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))
        return env

    def on_page_markdown(self, markdown: str, page: Page, config: MkDocsConfig,
                         files: Files) -> str:
        if self._kept_from_cache(page):
            return ""  # nothing to render: its HTML is put back in on_post_page
        if page.file.generated_by and page.meta.get("clipportal") in HTML_KINDS:
            self._finished[page.file.src_uri] = markdown.rstrip("\n")
            return ""  # given back as the page's content in on_page_content
        # a generated home page (no docs/index.md) carries the marker; other generated pages
        # (topics, clips) are complete already
        if not page.is_homepage or (page.file.generated_by and HOME_MARKER not in markdown):
            return markdown
        assert self.settings is not None
        section = render_home_section(self.settings, self._current.clips, self.paths,
                                      page.file.src_uri)
        if HOME_MARKER in markdown:
            return markdown.replace(HOME_MARKER, section, 1)
        return f"{markdown}\n\n{section}"

    def _kept_from_cache(self, page: Page) -> bool:
        """Whether the page's HTML can come from the page cache (then its theme template is
        replaced by an empty one); else its key is remembered to store the HTML."""
        cache = self.page_cache
        if cache is None or page.meta.get("clipportal") not in CACHED_KINDS or not (
                page.file.generated_by):
            return False
        key = cache.key(page.file.src_uri, page.file.content_string)
        cache.remember(page.file.src_uri, key)
        html = cache.get(key)
        if html is None:
            self._page_keys[page.file.src_uri] = key
            return False
        self._kept[page.file.src_uri] = html
        page.meta["template"] = CACHED_TEMPLATE
        return True

    def on_page_content(self, html: str, page: Page, config: MkDocsConfig,
                        files: Files) -> str:
        return self._finished.pop(page.file.src_uri, html)

    def on_post_page(self, output: str, page: Page, config: MkDocsConfig) -> str:
        kept = self._kept.pop(page.file.src_uri, None)
        if kept is not None:
            return kept  # stored after the offline step below, so it carries it already
        if self.settings is not None and self.settings.offline:
            output = mkdocs_offline.post_page(output, page.url, config)
        key = self._page_keys.pop(page.file.src_uri, None)
        if key is not None and self.page_cache is not None:
            self.page_cache.put(key, output)
        return output

    # last, after any other plugin a portal adds: the 404 rewrite and the search index must see
    # the pages as they are finally written
    @event_priority(-100)
    def on_post_build(self, config: MkDocsConfig) -> None:
        if self.page_cache is not None:
            self.page_cache.save_record()
            self.page_cache.prune()
        if self.dirty and self._files is not None:
            remove_stale_files(Path(config.site_dir), _expected_outputs(self._files, config))
        _relative_404(Path(config.site_dir) / "404.html")
        if self.settings is not None and self.settings.offline:
            mkdocs_offline.post_build(config, self._current.clips, self.settings, self.paths)
        if self.serving:  # the preview reloads at once; its search catches up seconds later
            _index_in_background(Path(config.site_dir), self.settings or Settings())
            return
        try:
            index_site(Path(config.site_dir), self.settings or Settings())
        except ClipportalError as exc:
            raise PluginError(str(exc)) from exc

    def on_pre_build(self, config: MkDocsConfig) -> None:
        wait_for_indexing()  # a build removes what it did not write, an index half-written too

    def on_shutdown(self) -> None:
        wait_for_indexing()

    def on_serve(self, server: Any, config: MkDocsConfig, builder: Any) -> Any:
        for folder in ("videos", "captions"):
            if (self.root / folder).is_dir():
                server.watch(str(self.root / folder))
        return server


_indexing: list[threading.Thread] = []
"""The preview's search index being written (`clipportal serve`): each rebuild has a new
plugin object, so it is kept here for the next build to wait for."""


def _index_in_background(site: Path, settings: Settings) -> None:
    """Pagefind over the whole preview (about 4 s at 1,000 clips) after the pages are served,
    so that a saved edit shows in the browser without waiting for it."""

    def index() -> None:
        try:
            index_site(site, settings)
        except ClipportalError as exc:
            log.warning("the preview's search was not updated: %s", exc)

    thread = threading.Thread(target=index, name="clipportal-search-index", daemon=True)
    thread.start()
    _indexing.append(thread)


def wait_for_indexing() -> None:
    while _indexing:
        _indexing.pop().join()


_ROOT_URL = re.compile(r'((?:href|src|action)=")/(?!/)')


def _relative_404(page: Path) -> None:
    """MkDocs writes the 404 page with root-absolute URLs, which break when the site lives
    under a sub-path; relative ones are right wherever the host serves it at the site root."""
    if page.is_file():
        html = page.read_text(encoding="utf-8")
        html = _ROOT_URL.sub(r"\1", html).replace('="."', '="./"')
        html = html.replace('"base": "/"', '"base": "."').replace(
            '__md_scope=new URL("/"', '__md_scope=new URL("."')
        page.write_text(html, encoding="utf-8")


def _page_cache(config: MkDocsConfig, root: Path, serving: bool) -> PageCache | None:
    """The page cache, when clipportal is the only plugin: another plugin may read or change
    the content of the pages whose rendering the cache skips (MkDocs' search indexes it)."""
    if set(config.plugins) - {"clipportal"}:
        # the pages this build writes are not the ones the record names any more
        for record in (root / CACHE_FOLDER).glob(f"*/{RECORD}"):
            record.unlink(missing_ok=True)
        return None
    shared = shared_inputs_digest(root, str(config.site_url or ""),
                                  str(config.use_directory_urls), str(serving))
    # a preview (serve) and a build keep their pages apart: each prunes what it did not use
    return PageCache(root / CACHE_FOLDER / ("serve" if serving else "build"), shared)


def _check_site_dir(site_dir: Path, root: Path) -> None:
    """MkDocs empties the site folder before building: it must be a folder of its own inside
    the project, never the project, its sources, or anything outside it."""
    site = site_dir.resolve()
    protected = {root, *(root / name for name in ("docs", "videos", "captions", "src", ".git"))}
    if not site.is_relative_to(root) or any(site == p or p.is_relative_to(site)
                                            for p in protected):
        raise PluginError(f"site_dir '{site_dir}' must be a folder of its own inside the "
                          "project, such as build/site (MkDocs empties it before each build)")


def _configure_theme(config: MkDocsConfig) -> None:
    """No third-party requests (Google Fonts), light and dark schemes that follow the device,
    and our template overrides first."""
    config.theme["font"] = False
    if not config.theme.get("palette"):
        config.theme["palette"] = copy.deepcopy(DEFAULT_PALETTE)
    if "generator" not in config.extra:  # its footer credit is the site's only off-site URL
        config.extra["generator"] = False
    overrides = str(PACKAGE / "overrides")
    if overrides not in config.theme.dirs:
        config.theme.dirs.insert(1 if config.theme.custom_dir else 0, overrides)
    for asset in LINKED_ASSETS:
        target = config.extra_css if asset.endswith(".css") else config.extra_javascript
        if asset not in [str(x) for x in target]:
            target.append(asset)


def _configure_nav(config: MkDocsConfig, settings: Settings) -> None:
    """Without a hand-written nav: home, the topics, the docs pages and search; clip pages are
    reached from topic pages (a nav of hundreds of clips helps nobody on a phone)."""
    if config.nav is not None:
        return
    docs = sorted(p.relative_to(config.docs_dir).as_posix()
                  for p in Path(config.docs_dir).rglob("*.md")) if Path(
                      config.docs_dir).is_dir() else []
    topics = [{str(escape(name)): PagePaths.topic(t)} for t, name in settings.topics.items()]
    nav: list[Any] = ["index.md", {"トピック": topics}]
    nav += [d for d in docs if d != "index.md"]
    nav += [{"保存済み": OFFLINE_PAGE}] if settings.offline else []
    nav.append({"検索": SEARCH_PAGE})
    config.nav = nav
    if config.not_in_nav is None:
        config.not_in_nav = pathspec.gitignore.GitIgnoreSpec.from_lines(["/clips/"])


def _add_generated_pages(files: Files, config: MkDocsConfig, prepared: Prepared,
                         settings: Settings, paths: PagePaths, memo: TextMemo | None) -> None:
    for src_uri, content in generated_pages(settings, prepared.clips, paths, memo).items():
        _add_text(files, config, src_uri, content)
    if files.get_file_from_path("index.md") is None:
        _add_text(files, config, "index.md", "---\ntitle: ホーム\n---\n\n" + HOME_MARKER + "\n")
    _add_text(files, config, SEARCH_PAGE, render_search_page(settings, paths))


def _add_text(files: Files, config: MkDocsConfig, src_uri: str, content: str) -> None:
    existing = files.get_file_from_path(src_uri)
    if existing is not None:
        files.remove(existing)
    files.append(_GeneratedPage.generated(config, src_uri, content=content))


class _GeneratedPage(File):
    """A page clipportal made; `written` when the kept site folder holds it exactly as this
    build would write it (MkDocs then neither renders nor writes it)."""

    written = False

    def is_modified(self) -> bool:
        return not self.written and super().is_modified()


def _skip_written_pages(files: Files, cache: PageCache) -> None:
    """Clip and topic pages whose key (their Markdown and everything pages share) is the one
    the last build wrote them with: at 1,000 clips MkDocs' reading, template and writing of
    the pages an edit did not touch was a third of the rebuild."""
    for file in files.documentation_pages():
        if isinstance(file, _GeneratedPage) and file.src_uri.startswith(CACHED_FOLDERS) and (
                Path(file.abs_dest_path).is_file()):
            file.written = cache.written(file.src_uri, cache.key(file.src_uri,
                                                                  file.content_string))


class _LinkedMedia(File):
    """A media file from the cache, hard-linked into the site where the file system allows
    (else copied): MkDocs empties the site folder before each build, and copying every video
    of a large portal again was most of a rebuild's disk work. Entries in the cache are never
    changed in place, so a link cannot see its bytes change."""

    def copy_file(self, dirty: bool = False) -> None:
        assert self.abs_src_path is not None
        if dirty and not self.is_modified():
            return  # linked (or copied) by an earlier build: cache entries never change
        target = Path(self.abs_dest_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            target.unlink(missing_ok=True)
            os.link(self.abs_src_path, target)
        except OSError:
            super().copy_file(dirty)


class _Track(File):
    """A caption, chapter or storyboard track: in a kept site folder, written only when its
    text changed (a thousand clips have three thousand tracks)."""

    def copy_file(self, dirty: bool = False) -> None:
        if dirty and _has_text(Path(self.abs_dest_path), self.content_string):
            return
        super().copy_file(dirty)


def _has_text(path: Path, text: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def _add_media(files: Files, config: MkDocsConfig, prepared: Prepared) -> None:
    for item in prepared.clips:
        for name in item.media.file_names():
            files.append(_LinkedMedia.generated(config, f"{item.media_dir}/{name}",
                                                abs_src_path=str(item.cache_dir / name)))
        for track in item.tracks:
            files.append(_Track.generated(config, track.path, content=track.content))


def _expected_outputs(files: Files, config: MkDocsConfig) -> set[str]:
    """What this build wrote into the site folder, relative to it: its files and pages, and
    the theme's templates (404.html, sitemap.xml and its .gz)."""
    written = {file.dest_uri for file in files}
    written.update(config.theme.static_templates)
    written.update(str(t) for t in config.extra_templates)
    written.add("sitemap.xml.gz")
    return written


def _render_every_page(files: Files) -> None:
    """In a kept site folder MkDocs renders only the pages whose source is newer than their
    HTML; but every page shows the navigation, the site name and clipportal's templates, which
    may have changed without the page. A page whose text is in memory counts as changed."""
    for file in files.documentation_pages():
        if not file.generated_by:
            file.content_string = file.content_string


def _add_assets(files: Files, config: MkDocsConfig) -> None:
    for asset in ASSETS:
        if files.get_file_from_path(asset) is None:
            files.append(File(asset, str(PACKAGE), config.site_dir, config.use_directory_urls))

