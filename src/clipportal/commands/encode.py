"""`clipportal encode`: only the media jobs, for one shard of a portal (a CI runner of a
matrix) or as a list of what is missing from the cache (to size the matrix, or skip it)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from clipportal.catalog.clips import Catalog, load_catalog
from clipportal.media.cache import MediaCache
from clipportal.media.ffmpeg_runner import ffmpeg_version
from clipportal.media.remote import fetch_manifests
from clipportal.media.shards import Shard
from clipportal.pipeline import Prepared, Reporter, media_jobs, prepare
from clipportal.settings import Settings, load_settings


def job_keys(root: Path, settings: Settings, catalog: Catalog) -> dict[str, str]:
    """Slug → cache key, as this machine's build would compute it."""
    version = ffmpeg_version(root / "build" / "cache")
    return {job.slug: job.key(version) for job in media_jobs(root, settings, catalog)}


def encode_shard(root: Path, shard: Shard, jobs: int | None, reporter: Reporter) -> Prepared:
    """Encode (or find in the cache) the clips whose key falls in `shard`; a failed clip
    raises the same problems a build would."""
    settings = load_settings(root)
    catalog = load_catalog(root, settings)
    keys = job_keys(root, settings, catalog)
    mine = replace(catalog, clips=tuple(c for c in catalog.clips if shard.holds(keys[c.slug])))
    return prepare(root, settings, mine, jobs, reporter)


def missing_jobs(root: Path) -> list[tuple[str, str]]:
    """(key, slug) of every clip with no complete cache entry, in catalog order. With
    `media_url`, a clip whose entry is published there already is not missing: the build
    reads its manifest and encodes nothing (a matrix sized without this encoded them again)."""
    settings = load_settings(root)
    catalog = load_catalog(root, settings)
    cache = MediaCache(root / "build" / "cache")
    keys = job_keys(root, settings, catalog)
    missing = [(keys[c.slug], c.slug) for c in catalog.clips
               if cache.lookup(keys[c.slug]) is None]
    if not settings.media_url or not missing:
        return missing
    online = set(fetch_manifests(settings.media_url,
                                 [(slug, key) for key, slug in missing]))
    return [(key, slug) for key, slug in missing if slug not in online]
