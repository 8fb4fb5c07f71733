"""The media jobs on a real Dask cluster (`clipportal[dask]`): two worker processes started
by the test, the real `clipportal build --scheduler` in a subprocess."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from test_cli import portal, tiny_clip
from test_pipeline import SIMPLE

from clipportal.media.cache import MediaCache
from clipportal.media.executors import worker_problem

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local:
        yield local


def _small_portal(root: Path, seconds: tuple[float, ...] = (1.5, 2.0, 2.5)) -> Path:
    slugs = [f"clip-{i}" for i in range(len(seconds))]
    portal(root, dict.fromkeys(slugs, SIMPLE))
    for slug, length in zip(slugs, seconds, strict=True):
        tiny_clip(root / "videos" / f"{slug}.mp4", seconds=length)
    return root


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _site(root: Path) -> dict[str, str]:
    site = _hashes(root / "build" / "site")
    del site[".clipportal-build"]  # the up-to-date marker hashes the project's own path
    return site


def _entries_are_complete(cache: Path) -> None:
    """Every entry is whole, and nothing half-written is left beside them."""
    entries = [p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert entries and all(MediaCache(cache).lookup(p.name) for p in entries), entries
    assert not (cache / ".staging").exists() or not any((cache / ".staging").iterdir())


def _build(root: Path, cluster: Any) -> subprocess.CompletedProcess[str]:
    return run_cli("build", str(root), "--scheduler", cluster.scheduler_address)


def test_the_cluster_builds_the_same_cache_and_site_as_the_local_pool(
        tmp_path: Path, cluster: Any) -> None:
    local = _small_portal(tmp_path / "local")
    remote = tmp_path / "remote"
    shutil.copytree(local, remote)
    assert run_cli("build", str(local)).returncode == 0
    result = _build(remote, cluster)
    assert result.returncode == 0, result.stderr
    assert "3 encoded" in result.stderr.replace("\n", " ")
    assert result.stderr.count("on a worker") == 3  # a line per clip done (not a terminal)
    cache = _hashes(local / "build" / "cache")
    assert cache and _hashes(remote / "build" / "cache") == cache
    site = _site(local)
    assert len(site) > 50 and _site(remote) == site
    _entries_are_complete(remote / "build" / "cache")


def test_the_environment_variable_names_the_scheduler_too(tmp_path: Path, cluster: Any) -> None:
    root = _small_portal(tmp_path, (1.0,))
    result = run_cli("build", str(root), env={"CLIPPORTAL_SCHEDULER": cluster.scheduler_address})
    assert result.returncode == 0 and "on a worker" in result.stderr, result.stderr


def _ffmpeg_under(folder: Path) -> tuple[int, int] | None:
    """(pid, parent pid) of an ffmpeg writing into `folder`, once its output has bytes."""
    for status in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = status.read_bytes().split(b"\0")
            parent = int((status.parent / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if any(str(folder).encode() in a for a in args) and any(
                p.stat().st_size > 0 for p in folder.glob(".staging/*/*.mp4")):
            return int(status.parent.name), parent
    return None


def test_a_worker_killed_mid_encode_still_lets_the_build_finish(
        tmp_path: Path, cluster: Any) -> None:
    root = _small_portal(tmp_path, (8.0, 8.5))
    cache = root / "build" / "cache"
    build = subprocess.Popen(
        [sys.executable, "-m", "clipportal.cli", "build", str(root), "--scheduler",
         cluster.scheduler_address], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    found = None
    while found is None and build.poll() is None:
        found = _ffmpeg_under(cache)
    assert found is not None, "the build ended before an encode could be interrupted"
    ffmpeg_pid, worker_pid = found
    os.kill(worker_pid, signal.SIGKILL)  # the worker process, as if its machine died
    os.kill(ffmpeg_pid, signal.SIGKILL)
    _out, err = build.communicate(timeout=900)
    assert build.returncode == 0, err
    assert "2 encoded" in err.replace("\n", " ")
    _entries_are_complete(cache)
    assert len([p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")]) == 2


def test_two_builds_at_once_share_one_scheduler_and_one_cache(
        tmp_path: Path, cluster: Any) -> None:
    shared = tmp_path / "shared-cache"
    shared.mkdir()
    roots = [_small_portal(tmp_path / "first"), tmp_path / "second"]
    shutil.copytree(roots[0], roots[1])
    for root in roots:
        (root / "build").mkdir()
        (root / "build" / "cache").symlink_to(shared)
    builds = [subprocess.Popen([sys.executable, "-m", "clipportal.cli", "build", str(root),
                                "--scheduler", cluster.scheduler_address],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for root in roots]
    for build in builds:
        _out, err = build.communicate(timeout=900)
        assert build.returncode == 0, err
    _entries_are_complete(shared)
    assert len([p for p in shared.iterdir() if p.is_dir() and not p.name.startswith(".")]) == 3
    assert _site(roots[0]) == _site(roots[1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_scheduler_that_is_not_running_is_a_usage_error(tmp_path: Path) -> None:
    root = _small_portal(tmp_path, (1.0,))
    result = run_cli("build", str(root), "--scheduler", f"tcp://127.0.0.1:{_free_port()}")
    assert result.returncode == 2, result.stderr
    assert "cannot reach the Dask scheduler" in result.stderr
    assert "Traceback" not in result.stderr
    assert not any((root / "build" / "cache").glob("*/manifest.json"))


def test_without_dask_installed_the_scheduler_is_a_usage_error(tmp_path: Path) -> None:
    """As in a plain `pip install clipportal`: importing distributed fails."""
    root = _small_portal(tmp_path, (1.0,))
    code = ("import sys; sys.modules['distributed'] = None\n"
            "from clipportal.cli import main\n"
            f"sys.exit(main(['build', {str(root)!r}, '--scheduler', 'tcp://127.0.0.1:1']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False, timeout=300)
    assert result.returncode == 2, result.stderr
    assert "pip install 'clipportal[dask]'" in result.stderr and "Traceback" not in result.stderr


def test_a_worker_that_cannot_see_the_project_is_named(tmp_path: Path) -> None:
    """What a worker answers at start-up when the project is not on shared storage (run here,
    in-process: on one machine every worker sees the same disk)."""
    elsewhere = tmp_path / "not-mounted"
    assert worker_problem(str(elsewhere), "videos/a.mp4", ".marker")[0] == \
        "videos/a.mp4: this Dask worker cannot see the file"
    root = _small_portal(tmp_path / "p", (1.0,))
    (root / "build" / "cache").mkdir(parents=True)
    assert worker_problem(str(root), "videos/clip-0.mp4", ".marker")[0].startswith(
        "build/cache: this Dask worker sees another folder")
    (root / "build" / "cache" / ".marker").write_text("x")
    problem, version = worker_problem(str(root), "videos/clip-0.mp4", ".marker")
    assert problem == "" and version.startswith("ffmpeg version")
