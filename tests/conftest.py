"""Shared fixtures: a built copy of the demo portal, a Range-capable server and Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from browserenv import CHROMIUM, CHROMIUM_ARGS, PHONE

REPO = Path(__file__).resolve().parent.parent

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


def copy_demo_project(target: Path) -> Path:
    """A portal project with the repository's demo clips, captions, docs and config."""
    for name in ("videos", "captions", "docs"):
        shutil.copytree(REPO / name, target / name)
    shutil.copy2(REPO / "mkdocs.yml", target / "mkdocs.yml")
    return target


def run_cli(*args: str, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `clipportal` command in a subprocess (as users do)."""
    return subprocess.run([sys.executable, "-m", "clipportal.cli", *args], cwd=cwd,
                          capture_output=True, text=True, env={**os.environ, **(env or {})},
                          timeout=900, check=False)


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo portal built once per test session (shares the repository's media cache
    when it exists, so repeated test runs do not re-encode)."""
    root = copy_demo_project(tmp_path_factory.mktemp("demo"))
    cache = REPO / "build" / "cache"
    if cache.is_dir():
        shutil.copytree(cache, root / "build" / "cache", ignore=shutil.ignore_patterns(".lock"))
    result = run_cli("build", str(root))
    assert result.returncode == 0, result.stdout + result.stderr
    return root


@pytest.fixture(scope="session")
def demo_site(demo_project: Path) -> Path:
    return demo_project / "build" / "site"


@pytest.fixture(scope="session")
def site_url(demo_site: Path) -> Iterator[str]:
    from rangeserver import serve

    with serve(demo_site) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture()
def phone(browser: object) -> Iterator[object]:
    """A fresh phone-sized page that fails any request off 127.0.0.1 (recorded in
    page.offsite_requests)."""
    context = browser.new_context(**PHONE)  # type: ignore[attr-defined]
    offsite: list[str] = []

    def guard(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(("http://127.0.0.1", "data:", "blob:")):
            route.continue_()  # type: ignore[attr-defined]
        else:
            offsite.append(url)
            route.abort()  # type: ignore[attr-defined]

    context.route("**/*", guard)
    page = context.new_page()
    page.offsite_requests = offsite
    yield page
    context.close()
