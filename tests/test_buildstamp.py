"""The build stamp (buildstamp.py): a build is skipped only when no input file changed since
the last complete build, and its problems are shown again; any change means a full build."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clipportal.commands.buildstamp import STAMP_FILE, forget_build, record_build, unchanged_build
from clipportal.errors import Problem

MARKER = ".clipportal-build"
WARNING = Problem("videos/a.yml", "the description is the placeholder", "write one", 4,
                  "warning")


def built(root: Path, extra: tuple[str, ...] = ()) -> Path:
    """A project whose last build succeeded (its site carries the marker)."""
    for name in ("videos/a.yml", "videos/a.mp4", "captions/a.ja.srt", "docs/about.md",
                 "media/長い動画.mov", "overrides/main.html"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"{name}\n", encoding="utf-8")
    (root / "mkdocs.yml").write_text("site_name: テスト\ntheme:\n  name: material\n"
                                     "  custom_dir: overrides\n", encoding="utf-8")
    site = root / "build" / "site"
    site.mkdir(parents=True, exist_ok=True)
    (site / MARKER).write_text("abc\n", encoding="ascii")
    record_build(root, site, MARKER, extra, [WARNING])
    return site


def test_nothing_changed_gives_the_last_builds_problems(tmp_path: Path) -> None:
    site = built(tmp_path)
    assert unchanged_build(tmp_path, site) == [WARNING]


@pytest.mark.parametrize("change", [
    "edit videos/a.yml", "edit captions/a.ja.srt", "edit docs/about.md", "edit mkdocs.yml",
    "add captions/a.en.srt", "add docs/guide/使い方.md", "remove videos/a.mp4",
    "edit media/長い動画.mov", "edit overrides/main.html", "same size and time", "marker",
    "site moved", "forgotten",
])
def test_any_change_means_a_build(tmp_path: Path, change: str) -> None:
    site = built(tmp_path, extra=("media/長い動画.mov",))
    verb, _, name = change.partition(" ")
    path = tmp_path / name
    if verb == "edit":
        path.write_text(path.read_text(encoding="utf-8") + "変更\n", encoding="utf-8")
    elif verb == "add":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("新しい\n", encoding="utf-8")
    elif verb == "remove":
        path.unlink()
    elif change == "same size and time":
        # an editor that writes the same number of bytes and sets the old time back
        clip = tmp_path / "videos/a.yml"
        before = clip.stat()
        clip.write_text("videos/b.yml\n", encoding="utf-8")
        os.utime(clip, ns=(before.st_atime_ns, before.st_mtime_ns))
    elif change == "marker":  # the site was built again by something else (mkdocs build)
        (site / MARKER).write_text("def\n", encoding="ascii")
    elif change == "site moved":
        site = tmp_path / "elsewhere"
    elif change == "forgotten":  # a build started and was stopped half-way
        forget_build(tmp_path)
    assert unchanged_build(tmp_path, site) is None


def test_a_damaged_record_means_a_build(tmp_path: Path) -> None:
    site = built(tmp_path)
    (tmp_path / STAMP_FILE).write_text("{not json", encoding="utf-8")
    assert unchanged_build(tmp_path, site) is None
