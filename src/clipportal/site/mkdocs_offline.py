"""The MkDocs side of offline viewing: the few things the plugin does when `offline` is on
(the default). Kept apart from mkdocs_plugin.py so that offline.py stays free of MkDocs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mkdocs.config.config_options import ExtraScriptValue
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files, InclusionLevel

from clipportal.pipeline import PreparedClip
from clipportal.settings import Settings
from clipportal.site.offline import (
    OFFLINE_PAGE,
    SCRIPT,
    UNSAVED_PAGE,
    clips_json,
    head_links,
    theme_colour,
    web_manifest,
    write_outputs,
)
from clipportal.site.pages import (
    SEARCH_PAGE,
    PagePaths,
    render_offline_page,
    render_unsaved_page,
)

PACKAGE = Path(__file__).parent


def configure(config: MkDocsConfig) -> None:
    """offline.js on every page, deferred: it registers the service worker only after the
    page has loaded, so nothing is added before the first frame."""
    if SCRIPT in [str(x) for x in config.extra_javascript]:
        return
    script = ExtraScriptValue(SCRIPT)
    script.defer = True
    config.extra_javascript.append(script)


def add_files(files: Files, config: MkDocsConfig, paths: PagePaths) -> None:
    """The 保存済み page, the page for an unsaved clip offline (in no menu) and the script
    (the worker is written after the build)."""
    for src, content, inclusion in (
            (OFFLINE_PAGE, render_offline_page(paths), InclusionLevel.UNDEFINED),
            (UNSAVED_PAGE, render_unsaved_page(paths), InclusionLevel.NOT_IN_NAV)):
        existing = files.get_file_from_path(src)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, src, content=content, inclusion=inclusion))
    if files.get_file_from_path(SCRIPT) is None:
        files.append(File(SCRIPT, str(PACKAGE), config.site_dir, config.use_directory_urls))


def colour(config: MkDocsConfig) -> str:
    return theme_colour(config.theme.get("palette"))


def post_page(output: str, page_url: str, config: MkDocsConfig) -> str:
    return head_links(output, page_url, colour(config))


def post_build(config: MkDocsConfig, clips: Sequence[PreparedClip], settings: Settings,
               paths: PagePaths) -> None:
    """clips.json, the web app manifest, icons and sw.js, from the finished site."""
    site_dir = Path(config.site_dir)
    page_urls = {c.clip.slug: paths.page_url(PagePaths.clip(c.clip.slug)) for c in clips}
    unsaved = paths.page_url(UNSAVED_PAGE)
    pages = ["", *(paths.page_url(PagePaths.topic(t)) for t in settings.topics),
             paths.page_url(SEARCH_PAGE), paths.page_url(OFFLINE_PAGE), unsaved]
    manifest = web_manifest(config.site_name, colour(config), settings.language)
    write_outputs(site_dir, clips_json(clips, settings, site_dir, page_urls), manifest, pages,
                  unsaved, settings.media_url)
