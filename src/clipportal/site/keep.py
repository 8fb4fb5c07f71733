"""Keeping the site folder between builds.

MkDocs empties the site folder before every build. At 1,000 clips that meant deleting and
linking again some 18,000 files (four of a one-clip edit's fifteen seconds). clipportal's
own builds keep the folder when it holds a complete earlier build (the build marker says
so), write only what changed, and then delete whatever the new build did not produce — the
pages, media and tracks of removed or re-encoded clips, files removed from docs/ — so the
folder ends up as a clean build would leave it (the search index, which Pagefind writes
whole but never cleans, goes too and is written again) (tests/test_incremental.py compares the two).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def remove_stale_files(site: Path, expected: Iterable[str]) -> int:
    """Delete the files under `site` that are not `expected` (paths relative to it, with '/'),
    and the folders left empty; the number of files deleted."""
    keep = set(expected)
    removed = 0
    for folder, _, names in os.walk(site, topdown=False):
        relative = os.path.relpath(folder, site)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        for name in names:
            if prefix + name not in keep:
                os.unlink(os.path.join(folder, name))
                removed += 1
        if prefix and not os.listdir(folder):
            os.rmdir(folder)
    return removed
