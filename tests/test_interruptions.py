"""A build killed at any moment leaves nothing a later build would trust, and the rebuild
equals a clean build. Two builds at once do not corrupt each other."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_catalog import GOOD
from test_cli import CAPTION, tiny_clip

pytestmark = pytest.mark.slow
CLIP_YAML = GOOD.replace("poster: 12.5\n", "").replace(
    '  - {start: "1:05", title: 所要時間を測る}\n', "")


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sources")
    for i in range(3):
        tiny_clip(folder / f"clip-{i}.mp4", seconds=6 + i, size="640x360")
    return folder


def make_portal(root: Path, sources: Path) -> Path:
    for folder in ("videos", "captions", "docs"):
        (root / folder).mkdir(parents=True)
    (root / "mkdocs.yml").write_text("site_name: テスト\ntheme:\n  name: material\n"
                                     "  language: ja\nplugins:\n  - clipportal\n",
                                     encoding="utf-8")
    for source in sorted(sources.glob("*.mp4")):
        shutil.copy2(source, root / "videos" / source.name)
        title = f"クリップ{source.stem[-1]}"
        (root / "videos" / f"{source.stem}.yml").write_text(
            CLIP_YAML.replace("業務フローを書き出す", title), encoding="utf-8")
        (root / "captions" / f"{source.stem}.ja.srt").write_text(CAPTION, encoding="utf-8")
    return root


def start_build(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "clipportal.cli", "build", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def wait_for_staged_output(root: Path, timeout: float = 60) -> None:
    """Until ffmpeg has started writing into a staging folder (mid-transcode)."""
    staging = root / "build" / "cache" / ".staging"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if staging.is_dir() and any(p.stat().st_size > 0 for p in staging.rglob("*.mp4")):
            return
        time.sleep(0.05)
    raise AssertionError("the build never started encoding")


def trusted_entries(root: Path) -> dict[str, dict[str, str]]:
    """What a later build would trust: every cache entry with a manifest, by file hash."""
    entries = {}
    for entry in sorted((root / "build" / "cache").iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
        for name, size in manifest["files"].items():
            assert (entry / name).stat().st_size == size, f"{entry.name}/{name} is partial"
        entries[entry.name] = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                               for p in sorted(entry.iterdir()) if p.name != "manifest.json"}
    return entries


def site_files(root: Path) -> dict[str, str]:
    site = root / "build" / "site"
    return {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file()
            and not p.name.startswith(("sitemap", ".clipportal")) and "pagefind" not in p.parts}


@pytest.fixture(scope="module")
def clean_build(tmp_path_factory: pytest.TempPathFactory, sources: Path) -> Path:
    root = make_portal(tmp_path_factory.mktemp("clean"), sources)
    result = subprocess.run([sys.executable, "-m", "clipportal.cli", "build", str(root)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return root


@pytest.mark.parametrize(("sig", "delay"), [(signal.SIGKILL, 0.0), (signal.SIGKILL, 0.8),
                                            (signal.SIGINT, 0.3)])
def test_killed_build_then_rebuild_equals_clean_build(tmp_path: Path, sources: Path,
                                                      clean_build: Path, sig: int,
                                                      delay: float) -> None:
    root = make_portal(tmp_path, sources)
    process = start_build(root)
    wait_for_staged_output(root)
    time.sleep(delay)
    os.killpg(process.pid, sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == (130 if sig == signal.SIGINT else -signal.SIGKILL)
    assert "Traceback" not in stderr
    trusted_entries(root)  # whatever survived is complete
    result = subprocess.run([sys.executable, "-m", "clipportal.cli", "build", str(root)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert trusted_entries(root) == trusted_entries(clean_build)
    assert site_files(root) == site_files(clean_build)
    staging = root / "build" / "cache" / ".staging"
    assert not staging.exists() or not any(staging.iterdir())


def test_second_build_at_once_is_refused_clearly(tmp_path: Path, sources: Path) -> None:
    root = make_portal(tmp_path, sources)
    first = start_build(root)
    wait_for_staged_output(root)
    second = subprocess.run([sys.executable, "-m", "clipportal.cli", "build", str(root)],
                            capture_output=True, text=True, check=False)
    first.communicate(timeout=300)
    assert first.returncode == 0
    assert second.returncode == 1
    assert "another clipportal build is running" in second.stderr
    assert "Traceback" not in second.stderr
