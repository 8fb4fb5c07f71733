"""Jobs are portable (picklable, runnable in another process) and rebuilds do only what
changed."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from conftest import run_cli
from test_catalog import GOOD
from test_cli import portal

from clipportal.cache import MediaCache, file_sha256
from clipportal.media import EncodeSettings, MediaJob, run_job
from clipportal.settings import Settings

pytestmark = pytest.mark.slow
SIMPLE = GOOD.replace("poster: 12.5\n", "").replace(
    '  - {start: "1:05", title: 所要時間を測る}\n', "")


def test_a_job_runs_in_another_process_and_shares_the_cache(tmp_path: Path) -> None:
    root = portal(tmp_path, {"clip": SIMPLE})
    job = MediaJob("clip", "videos/clip.mp4", file_sha256(root / "videos" / "clip.mp4"),
                   EncodeSettings.from_settings(Settings()))
    assert pickle.loads(pickle.dumps(job)) == job
    cache = MediaCache(root / "build" / "cache")
    with ProcessPoolExecutor(max_workers=1) as pool:
        manifest = pool.submit(run_job, job, root, cache).result()
    assert manifest["from_cache"] is False
    again = run_job(job, root, MediaCache(root / "build" / "cache"))
    assert again["from_cache"] is True and again["renditions"] == manifest["renditions"]
    assert str(tmp_path) not in (root / "build" / "cache" / manifest["key"] /
                                 "manifest.json").read_text(encoding="utf-8")


def test_noop_rebuild_skips_the_site_step_until_an_input_changes(tmp_path: Path) -> None:
    root = portal(tmp_path, {"clip": SIMPLE})
    assert run_cli("build", str(root)).returncode == 0
    noop = run_cli("build", str(root))
    assert noop.returncode == 0 and "site is up to date" in noop.stderr
    assert "0 encoded, 1 from cache" in noop.stderr.replace("\n", " ")
    (root / "docs" / "about.md").write_text("# このサイトについて\n", encoding="utf-8")
    changed = run_cli("build", str(root))
    assert changed.returncode == 0 and "site is up to date" not in changed.stderr
    assert (root / "build" / "site" / "about" / "index.html").is_file()
    (root / "captions" / "clip.ja.srt").write_text(
        "1\n00:00:00,500 --> 00:00:01,500\n字幕を直しました\n", encoding="utf-8")
    fixed = run_cli("build", str(root))
    assert "site is up to date" not in fixed.stderr
    page = (root / "build" / "site" / "clips" / "clip" / "index.html").read_text("utf-8")
    assert "字幕を直しました" in page


def test_site_dir_outside_the_project_is_refused(tmp_path: Path) -> None:
    root = portal(tmp_path / "p", {})
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "site_dir: ../elsewhere\n",
                      encoding="utf-8")
    result = run_cli("build", str(root))
    assert result.returncode == 1 and "site_dir" in result.stderr
    assert not (tmp_path / "elsewhere").exists()
