"""Japanese search with Pagefind's extended build: pages are segmented with UniDic at build
time and the browser loads only the index chunks a query needs."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from clipportal.errors import Problem, ToolMissingError
from clipportal.settings import Settings

log = logging.getLogger(__name__)
SEARCH_PAGE = "search.md"
BUNDLE_DIR = "pagefind"


def pagefind_exe() -> str:
    try:
        from pagefind_bin_extended import get_executable
    except ImportError as exc:
        raise ToolMissingError(Problem(
            "pagefind", "'pagefind' (extended) not found",
            "install it with pip install 'pagefind[extended]'")) from exc
    return str(get_executable())


def index_site(site_dir: Path, settings: Settings) -> None:
    """Build the search index into site_dir/pagefind."""
    command = [pagefind_exe(), "--site", str(site_dir), "--output-subdir", BUNDLE_DIR,
               "--force-language", settings.language[:2], "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ToolMissingError(Problem("pagefind", "building the search index failed: "
                                       + result.stderr.strip()[-500:],
                                       "run the build again with --verbose"))


def render_search_page(settings: Settings) -> str:
    """The ★ search page: `search/?q=…` runs the query at once; hits inside
    [data-search-results]."""
    return (
        "---\ntitle: 検索\nhide: [toc]\n---\n\n"
        '<div class="cp-search" data-pagefind-ignore="all">\n'
        '<form class="cp-search-form" role="search" action="./" method="get">\n'
        '<label for="cp-q">キーワード</label>\n'
        '<input id="cp-q" type="search" name="q" autocomplete="off" enterkeyhint="search">\n'
        '<button type="submit">検索</button>\n'
        "</form>\n"
        '<p class="cp-search-status" role="status" aria-live="polite"></p>\n'
        '<ol class="cp-search-results" data-search-results></ol>\n'
        "</div>\n"
    )
