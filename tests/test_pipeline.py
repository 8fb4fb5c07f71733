"""Jobs are portable (picklable, runnable in another process) and rebuilds do only what
changed."""

from __future__ import annotations

import os
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from conftest import run_cli
from test_catalog import GOOD
from test_cli import portal

from clipportal.media.cache import MediaCache, file_sha256
from clipportal.media.jobs import EncodeSettings, MediaJob, run_job
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
    assert manifest.from_cache is False
    again = run_job(job, root, MediaCache(root / "build" / "cache"))
    assert again.from_cache is True and again.renditions == manifest.renditions
    assert str(tmp_path) not in (root / "build" / "cache" / manifest.key /
                                 "manifest.json").read_text(encoding="utf-8")


def test_noop_rebuild_skips_the_site_step_until_an_input_changes(tmp_path: Path) -> None:
    root = portal(tmp_path, {"clip": SIMPLE})
    (root / "videos" / "forgotten.mp4").write_bytes(b"\0" * 64)  # a warning, every build
    first = run_cli("build", str(root))
    assert first.returncode == 0 and "this video has no clip file" in first.stderr
    noop = run_cli("build", str(root))  # no file touched: the build stamp says so at once
    assert noop.returncode == 0 and "nothing changed since the last build" in noop.stderr
    assert "videos/forgotten.mp4: warning: this video has no clip file" in noop.stderr
    assert run_cli("build", "--strict", str(root)).returncode == 1  # its warning counts
    assert "from cache" not in noop.stderr
    os.utime(root / "videos" / "clip.yml")  # touched, not changed: the content is compared
    touched = run_cli("build", str(root))
    assert touched.returncode == 0 and "site is up to date" in touched.stderr
    assert "0 encoded, 1 from cache" in touched.stderr.replace("\n", " ")
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


def _counting_ffmpeg(folder: Path) -> tuple[Path, Path]:
    """A wrapper around the real ffmpeg that records each start, to count processes."""
    from clipportal.media.ffmpeg_runner import ffmpeg_exe

    log = folder / "ffmpeg-calls.log"
    wrapper = folder / "ffmpeg-counting"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{ffmpeg_exe()}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, log


def test_restored_cache_on_another_checkout_runs_no_ffmpeg(tmp_path: Path) -> None:
    """What CI does with actions/cache: a new checkout elsewhere, build/cache restored."""
    import shutil

    wrapper, log = _counting_ffmpeg(tmp_path)
    first = portal(tmp_path / "first", {"clip": SIMPLE})
    assert run_cli("build", str(first), env={"CLIPPORTAL_FFMPEG": str(wrapper)}).returncode == 0
    assert "libx264" in log.read_text()
    log.unlink()
    second = tmp_path / "second"
    shutil.copytree(first, second, ignore=shutil.ignore_patterns("site", ".lock"),
                    copy_function=shutil.copy)  # new mtimes, as a fresh clone has
    wrapper.touch()  # and a freshly installed ffmpeg
    result = run_cli("build", str(second), env={"CLIPPORTAL_FFMPEG": str(wrapper)})
    assert result.returncode == 0, result.stderr
    assert not log.exists() or log.read_text() == "", log.read_text()
    assert (second / "build" / "site" / "clips" / "clip" / "index.html").is_file()


def test_serve_previews_the_portal(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    root = portal(tmp_path, {"clip": SIMPLE})
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "clipportal.cli", "serve", str(root),
                               "--addr", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/clips/clip/") as page:
                    assert 'data-clip="clip"' in page.read().decode("utf-8")
                    break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
