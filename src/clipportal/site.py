"""Running MkDocs on a portal project (the only place besides the plugin that imports it)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from clipportal.errors import CatalogError, ClipportalError, Problem
from clipportal.pipeline import Prepared


def _quiet_mkdocs() -> None:
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    logging.getLogger("mkdocs").setLevel(logging.WARNING)


def build_site(root: Path, prepared: Prepared | None = None, strict: bool = False) -> Path:
    """`mkdocs build` for the project at `root`, reusing already prepared media."""
    _quiet_mkdocs()
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    config_file = root / "mkdocs.yml"
    if not config_file.is_file():
        raise CatalogError(Problem("mkdocs.yml", "no mkdocs.yml in this folder",
                                   "run clipportal in a portal project (see the README)"))
    try:
        config = load_config(str(config_file), strict=strict)
        plugin = config.plugins.get("clipportal")
        if plugin is None:
            raise CatalogError(Problem("mkdocs.yml", "the clipportal plugin is not enabled",
                                       "add `- clipportal` under `plugins:` in mkdocs.yml"))
        plugin.prepared = prepared
        build(config)
    except MkDocsException as exc:
        raise ClipportalError(Problem("mkdocs.yml", f"the site build failed: {exc}",
                                      "see the messages above")) from exc
    return Path(config.site_dir)


def serve_site(root: Path, address: str) -> None:
    _quiet_mkdocs()
    from mkdocs.commands.serve import serve

    serve(str(root / "mkdocs.yml"), dev_addr=address, livereload=True)
