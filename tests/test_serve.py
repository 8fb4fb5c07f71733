"""`clipportal serve` as an editor uses it: it prints the address, answers Range requests (so
chapter links, transcript links and the seek bar work in a real browser) and still rebuilds
the preview when a clip file is saved."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_demo_project

pytestmark = pytest.mark.slow

STARTUP_LIMIT = 600.0
"""Seconds to wait for the address line: a guard against a hang, not a measurement."""


class Preview:
    """A running `clipportal serve` process and the address it printed."""

    def __init__(self, folder: Path, log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clipportal.cli", "serve", str(folder), "--addr",
             "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=log.open("w"), text=True,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.ready = self._ready_line()
        self.url = self.ready.split()[1]

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def _ready_line(self) -> str:
        line = self.lines.get(timeout=STARTUP_LIMIT)
        assert line.startswith("Preview: http://127.0.0.1:"), line + self.log.read_text()
        return line

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as a person stops it."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=60)
        return code, self.log.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def project(demo_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo project with its media already encoded (build/cache)."""
    root = copy_demo_project(tmp_path_factory.mktemp("serve"))
    shutil.copytree(demo_project / "build" / "cache", root / "build" / "cache",
                    ignore=shutil.ignore_patterns(".lock"))
    return root


@pytest.fixture(scope="module")
def preview(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    running = Preview(project, tmp_path_factory.mktemp("serve-log") / "stderr.txt")
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()


def fetch(url: str, byte_range: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Range": byte_range} if byte_range else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def first_rendition(base: str, slug: str) -> str:
    page = fetch(f"{base}clips/{slug}/")[2].decode("utf-8")
    source = page.split('<source src="', 1)[1].split('"', 1)[0]
    return urllib.parse.urljoin(f"{base}clips/{slug}/", source)


def test_serve_prints_a_clickable_address(preview: Preview) -> None:
    assert preview.url.startswith("http://127.0.0.1:") and preview.url.endswith("/")
    status, _, body = fetch(preview.url)
    assert status == 200 and "BPR研修" in body.decode("utf-8")


def test_range_requests_get_206_and_past_the_end_416(preview: Preview) -> None:
    video = first_rendition(preview.url, "flow-mapping-steps")
    status, headers, whole = fetch(video)
    assert status == 200 and headers["Accept-Ranges"] == "bytes"
    status, headers, part = fetch(video, "bytes=100-199")
    assert status == 206 and part == whole[100:200]
    assert headers["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert fetch(video, "bytes=-10")[2] == whole[-10:]
    assert fetch(video, f"bytes={len(whole) - 5}-")[2] == whole[-5:]
    status, headers, _ = fetch(video, f"bytes={len(whole)}-")
    assert status == 416 and headers["Content-Range"] == f"bytes */{len(whole)}"


RECORD_SEEKS = """v => { window.seekedAt = [];
    v.addEventListener('seeked', () => window.seekedAt.push(v.currentTime)); }"""


def seek_with(page: Any, link: Any, target: float) -> dict[str, Any]:
    """Click a link that seeks; the player must land at `target` and play on from there
    with pictures. A server without Range support lands at 0 and starts over."""
    seeks = page.evaluate("window.seekedAt.length")
    link.click()
    page.wait_for_function(f"window.seekedAt.length > {seeks}", timeout=30000)
    page.wait_for_function(f"""() => {{ const v = document.querySelector('video[data-clip]');
        return !v.paused && v.currentTime > {target} + 0.3 && v.videoWidth > 0
            && v.getVideoPlaybackQuality().totalVideoFrames > 0; }}""", timeout=60000)
    state: dict[str, Any] = page.locator("video[data-clip]").evaluate(
        "v => ({landed: window.seekedAt[window.seekedAt.length - 1], width: v.videoWidth,"
        " frames: v.getVideoPlaybackQuality().totalVideoFrames})")
    assert abs(state["landed"] - target) < 1, state
    return state


@pytest.mark.browser
def test_chapter_and_transcript_links_seek_in_chromium(phone: Any, preview: Preview) -> None:
    statuses: list[int] = []
    phone.on("response", lambda r: statuses.append(r.status) if ".mp4" in r.url else None)
    phone.goto(f"{preview.url}clips/flow-mapping-steps/")
    video = phone.locator("video[data-clip]")
    source = video.locator("source").first.get_attribute("src")
    in_page = phone.evaluate("""src => fetch(src, {headers: {Range: 'bytes=0-99'}})
        .then(r => r.arrayBuffer().then(b => [r.status, r.headers.get('content-range'),
                                               b.byteLength]))""", source)
    assert in_page[0] == 206 and in_page[1].startswith("bytes 0-99/") and in_page[2] == 100
    video.evaluate(RECORD_SEEKS)

    phone.locator(".cp-transcript summary").click()
    link = phone.locator(".cp-transcript a[data-seek]").last
    start = float(link.get_attribute("data-seek") or "nan")
    assert start > 10, "far enough into the clip that a failed seek shows"
    state = seek_with(phone, link, start)
    assert state["width"] > 0 and state["frames"] > 0, state
    seek_with(phone, phone.get_by_role("link", name="0:07 始まりと終わりを決める"), 7)  # back
    assert 206 in statuses, statuses
    assert phone.offsite_requests == []


@pytest.mark.browser
def test_saving_a_clip_file_rebuilds_and_reloads_the_open_page(phone: Any, preview: Preview,
                                                              project: Path) -> None:
    from playwright.sync_api import expect

    phone.goto(f"{preview.url}clips/flow-mapping-time/")
    clip_file = project / "videos" / "flow-mapping-time.yml"
    text = clip_file.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    clip_file.write_text(text.replace(title, "title: 所要時間を測る（保存して更新）"),
                         encoding="utf-8")
    # the page reloads itself: expect() retries across that navigation, wait_for_function not
    expect(phone.locator("h1.cp-title")).to_contain_text("保存して更新",
                                                         timeout=STARTUP_LIMIT * 1000)


def test_ctrl_c_stops_the_preview_quietly(preview: Preview) -> None:
    code, log = preview.stop()
    assert code == 0 and "clipportal serve: stopped" in log
    assert "Traceback" not in log and "preview rebuilt" in log


def test_serve_a_built_site_folder(demo_site: Path, tmp_path: Path) -> None:
    running = Preview(demo_site, tmp_path / "stderr.txt")
    try:
        assert "the built site as it is" in running.ready
        video = first_rendition(running.url, "goal-setting-basics")
        status, headers, part = fetch(video, "bytes=0-9")
        assert status == 206 and len(part) == 10 and headers["Content-Range"].startswith(
            "bytes 0-9/")
    finally:
        code, log = running.stop()
    assert code == 0 and "Traceback" not in log
