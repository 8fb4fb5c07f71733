"""`clipportal cache prune`: remove the media cache entries no clip of the current catalog
uses, so a CI cache (actions/cache holds 10 GB per repository) stops growing with every
changed clip."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clipportal.catalog.clips import load_catalog
from clipportal.commands.encode import job_keys
from clipportal.media.cache import MediaCache, tree_size
from clipportal.settings import load_settings


@dataclass(frozen=True)
class PrunedEntry:
    name: str
    """The entry's folder name in build/cache (a key, or a leftover such as .staging/…)."""
    size: int


def prune_cache(root: Path, dry_run: bool = False) -> tuple[PrunedEntry, ...]:
    """Remove (or, dry, only list) what no clip's current key names. The keys come from the
    same jobs a build plans, so a catalog error stops here (CatalogError) before anything is
    deleted: a clip that fails to load must not lose its media."""
    settings = load_settings(root)
    keep = set(job_keys(root, settings, load_catalog(root, settings)).values())
    cache = MediaCache(root / "build" / "cache")
    pruned = []
    for folder in cache.unused(keep):
        pruned.append(PrunedEntry(str(folder.relative_to(cache.root)), tree_size(folder)))
        if not dry_run:
            cache.remove(folder)
    return tuple(pruned)
