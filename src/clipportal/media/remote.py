"""The media already published at `media_url` used as a cache: every published entry carries
its `manifest.json`, so a fresh runner that finds a key's manifest online knows the entry
exists and neither encodes it nor downloads its videos (the pages only need the manifest)."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from clipportal.media.manifest import MANIFEST_FILE, Manifest

log = logging.getLogger(__name__)
_TIMEOUT_S = 10


def entry_folder(slug: str, key: str) -> str:
    """An entry's folder below `media/` (and below `media_url`): the pages' layout."""
    return f"{slug}/{key[:10]}"


def fetch_manifests(media_url: str, wanted: Sequence[tuple[str, str]]) -> dict[str, Manifest]:
    """The manifests found online for (slug, key) pairs, by slug (two clips with the same
    bytes share a key but each has its own folder online); a missing, unreadable or foreign
    one is simply not there (that clip is encoded as without `media_url`)."""
    with ThreadPoolExecutor(max_workers=8) as pool:  # requests wait on the network, not CPU
        found = pool.map(lambda pair: _fetch(media_url, *pair), wanted)
        return {slug: m for (slug, _), m in zip(wanted, found, strict=True) if m is not None}


def _fetch(media_url: str, slug: str, key: str) -> Manifest | None:
    url = f"{media_url}{entry_folder(slug, key)}/{MANIFEST_FILE}"
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response:
            manifest = Manifest.from_json(json.loads(response.read()))
    except (OSError, ValueError, urllib.error.URLError) as exc:
        log.debug("clipportal: no published entry at %s (%s)", url, exc)
        return None
    # the folder name holds only 10 characters of the key: the manifest names the whole key
    return manifest.with_key(key, from_cache=True) if manifest.key == key else None
