"""Keeping the site folder: what the build did not write goes, with the folders it leaves
empty; what it wrote stays (the whole-site comparison is tests/test_incremental.py)."""

from __future__ import annotations

from pathlib import Path

from clipportal.site.keep import remove_stale_files


def test_files_the_build_did_not_write_are_removed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for name in ("index.html", "clips/a/index.html", "clips/b/index.html",
                 "media/b/0123456789/360p.mp4", "pagefind/fragment/old.pf_fragment",
                 "動画/説明.html"):
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text("x", encoding="utf-8")

    removed = remove_stale_files(site, ["index.html", "clips/a/index.html", "動画/説明.html"])

    assert removed == 3
    left = sorted(p.relative_to(site).as_posix() for p in site.rglob("*"))
    assert left == ["clips", "clips/a", "clips/a/index.html", "index.html", "動画",
                    "動画/説明.html"]
