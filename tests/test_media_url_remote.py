"""The media published at `media_url` as the cache: a fresh checkout (no build/cache) finds
each entry's manifest online and builds the same pages without encoding or downloading any
video; a clip whose entry is not online is encoded as usual."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from rangeserver import RangeHandler, serve
from test_browser_media_url import _media_portal
from test_cli import tiny_clip
from test_pipeline import _counting_ffmpeg

REQUESTS: list[str] = []


class LoggingHandler(RangeHandler):
    def send_head(self):  # type: ignore[no-untyped-def]
        REQUESTS.append(self.path)
        return super().send_head()


@pytest.mark.slow
def test_a_fresh_checkout_takes_published_entries_without_encoding(tmp_path: Path) -> None:
    wrapper, log = _counting_ffmpeg(tmp_path)
    env = {"CLIPPORTAL_FFMPEG": str(wrapper)}
    media = tmp_path / "first" / "build" / "media"
    media.mkdir(parents=True)
    with serve(media, base=LoggingHandler) as media_url:
        first = _media_portal(tmp_path / "first", media_url)
        assert run_cli("build", str(first), env=env).returncode == 0
        assert list(media.glob("flow/*/manifest.json"))
        second = tmp_path / "second"
        shutil.copytree(first, second, ignore=shutil.ignore_patterns("build"))
        # a CI matrix is sized by what is missing: what is online is not
        listed = run_cli("encode", "--list-missing", str(second), env=env)
        assert listed.returncode == 0 and listed.stdout.strip() == "", listed.stdout
        log.unlink()
        REQUESTS.clear()
        built = run_cli("build", str(second), env=env)
        assert built.returncode == 0, built.stderr
        assert "libx264" not in (log.read_text() if log.exists() else "")
        assert REQUESTS and all(p.endswith("/manifest.json") for p in REQUESTS), REQUESTS
        page = Path("build/site/clips/flow/index.html")
        assert (second / page).read_text() == (first / page).read_text()
        assert not list((second / "build" / "media").glob("flow/*/*.mp4"))

        tiny_clip(second / "videos" / "flow.mp4", seconds=3.0)  # not online yet: encoded
        listed = run_cli("encode", "--list-missing", str(second), env=env)
        assert listed.stdout.split()[1:] == ["flow"], listed.stdout
        again = run_cli("build", str(second), env=env)
        assert again.returncode == 0, again.stderr
        assert "libx264" in log.read_text()
        assert list((second / "build" / "media").glob("flow/*/*.mp4"))


def test_only_a_manifest_naming_the_whole_key_counts(tmp_path: Path) -> None:
    """Folders hold 10 characters of the key: a manifest of another key there is not a hit,
    and neither is a missing or broken one."""
    import json

    from test_pages import manifest

    from clipportal.media.remote import fetch_manifests

    key, other = "0123456789" + "a" * 22, "0123456789" + "b" * 22
    folder = tmp_path / "flow" / key[:10]
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps(manifest("flow").with_key(
        key, from_cache=False).to_json()), encoding="utf-8")
    (tmp_path / "bad" / key[:10]).mkdir(parents=True)
    (tmp_path / "bad" / key[:10] / "manifest.json").write_text("{", encoding="utf-8")
    with serve(tmp_path) as url:
        found = fetch_manifests(url, [("flow", key), ("bad", key), ("gone", key)])
        foreign = fetch_manifests(url, [("flow", other)])
    assert list(found) == ["flow"] and found["flow"].from_cache and found["flow"].key == key
    assert foreign == {}
