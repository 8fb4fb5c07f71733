"""`clipportal cache prune`: entries no current clip uses are removed (with the bytes freed),
the ones in use stay, and a build afterwards has nothing to encode."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_cli
from test_cli import portal, tiny_clip
from test_pipeline import SIMPLE, _counting_ffmpeg


def _entries(cache: Path) -> set[str]:
    return {p.name for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")}


@pytest.mark.slow
def test_prune_removes_the_old_entry_of_a_changed_clip_and_keeps_the_new(
        tmp_path: Path) -> None:
    wrapper, log = _counting_ffmpeg(tmp_path)
    env = {"CLIPPORTAL_FFMPEG": str(wrapper)}
    root = portal(tmp_path / "portal", {"a": SIMPLE, "b": SIMPLE})
    tiny_clip(root / "videos" / "b.mp4", seconds=2.5)  # a different key from a's
    cache = root / "build" / "cache"
    assert run_cli("build", str(root), env=env).returncode == 0
    before = _entries(cache)
    tiny_clip(root / "videos" / "a.mp4", seconds=3.0)  # the editor replaced a's video
    assert run_cli("build", str(root), env=env).returncode == 0
    after = _entries(cache)
    assert len(before) == 2 and len(after) == 3, (before, after)
    (new,) = after - before
    leftover = cache / ".staging" / "0123abcd-deadbeef"
    leftover.mkdir(parents=True)
    (leftover / "part.mp4").write_bytes(b"x" * 1000)

    dry = run_cli("cache", "prune", "--dry-run", str(root), env=env)
    assert dry.returncode == 0, dry.stderr
    assert _entries(cache) == after and leftover.exists()
    assert "would free" in dry.stderr

    pruned = run_cli("cache", "prune", str(root), env=env)
    assert pruned.returncode == 0, pruned.stderr
    kept = _entries(cache)
    (old,) = before - kept  # a's first entry; b's stays, a's new one stays
    assert kept == after - {old} and new in kept and not leftover.exists()
    assert f"removed {old} (" in pruned.stdout
    assert dry.stdout.replace("would remove", "removed") == pruned.stdout
    freed = re.search(r"freed (\S+ \S+) in 2 entries", pruned.stderr)
    assert freed and freed.group(1) != "0 bytes", pruned.stderr

    log.unlink(missing_ok=True)
    rebuilt = run_cli("build", str(root), env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert not log.exists() or log.read_text() == "", log.read_text()


def test_a_catalog_error_prunes_nothing(tmp_path: Path) -> None:
    """Without every clip's key, an entry in use could look unused: delete nothing."""
    root = portal(tmp_path, {})
    (root / "videos" / "broken.yml").write_text("title: [unclosed\n", encoding="utf-8")
    entry = root / "build" / "cache" / ("0" * 32)
    entry.mkdir(parents=True)
    result = run_cli("cache", "prune", str(root))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "videos/broken.yml" in result.stderr and entry.is_dir()


def test_prune_outside_a_portal_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("cache", "prune", str(tmp_path))
    assert result.returncode == 2 and "no mkdocs.yml" in result.stderr
