"""A portal of hundreds of clips: the work of a build grows linearly with the clips. Counted,
never timed: directory entries read, stat calls and YAML parses of catalog loading, media
planning (cache lookups), page generation and the site fingerprint, for 100 and 400 clips."""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_cli import tiny_clip

from clipportal.catalog.clips import load_catalog
from clipportal.pipeline import prepare
from clipportal.settings import load_settings
from clipportal.site.fingerprint import site_fingerprint
from clipportal.site.pages import PagePaths, generated_pages

GROWTH = 4
"""400 clips are 4× 100 clips: linear work may grow 4× (plus a constant)."""
CONSTANT = 300


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_clip(tmp_path_factory.mktemp("source") / "shared.mp4", 2, "160x90")


def make_portal(root: Path, count: int, source: Path) -> None:
    for folder in ("videos", "captions", "docs"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text("site_name: t\nplugins:\n  - clipportal\n",
                                     encoding="utf-8")
    for i in range(count):
        slug = f"clip-{i:04d}"
        (root / "videos" / f"{slug}.yml").write_text(
            f"title: 動画 {i}\ntopic: flow-mapping\ntags: [業務フロー]\n", encoding="utf-8")
        os.link(source, root / "videos" / f"{slug}.mp4")
        (root / "captions" / f"{slug}.ja.srt").write_text(
            "1\n00:00:00,100 --> 00:00:01,500\n窓口の待ち時間を測りました。\n", encoding="utf-8")


class Counts:
    """Wraps the real functions; counts what they do."""

    def __init__(self) -> None:
        self.counter: Counter[str] = Counter()

    def total(self) -> int:
        return sum(self.counter.values())

    def wrap(self, monkeypatch: pytest.MonkeyPatch) -> None:
        scandir, listdir, stat, lstat = os.scandir, os.listdir, os.stat, os.lstat

        def counted_scandir(*args: Any) -> Any:
            return _CountedScandir(scandir(*args), self.counter)

        def counted_listdir(*args: Any) -> list[str]:
            names = listdir(*args)
            self.counter["directory entries"] += len(names)
            return names

        def counted(name: str, real: Any) -> Any:
            def call(*args: Any, **kwargs: Any) -> Any:
                self.counter[name] += 1
                return real(*args, **kwargs)
            return call

        monkeypatch.setattr(os, "scandir", counted_scandir)
        monkeypatch.setattr(os, "listdir", counted_listdir)
        monkeypatch.setattr(os, "stat", counted("stat", stat))
        monkeypatch.setattr(os, "lstat", counted("lstat", lstat))
        for loader in {yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)}:
            monkeypatch.setattr(loader, "__init__", counted("yaml parse", loader.__init__))


class _CountedScandir:
    def __init__(self, inner: Any, counter: Counter[str]) -> None:
        self.inner, self.counter = inner, counter

    def __iter__(self) -> Iterator[Any]:
        for entry in self.inner:
            self.counter["directory entries"] += 1
            yield entry

    def __enter__(self) -> _CountedScandir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.inner.close()

    def close(self) -> None:
        self.inner.close()


def count_build_steps(root: Path, monkeypatch: pytest.MonkeyPatch) -> Counts:
    """Catalog, planning (media from the cache), pages and fingerprint, with counting on."""
    counts = Counts()
    with monkeypatch.context() as patch:
        counts.wrap(patch)
        settings = load_settings(root)
        catalog = load_catalog(root, settings)
        prepared = prepare(root, settings, catalog)
        generated_pages(settings, prepared.clips, PagePaths())
        site_fingerprint(root, prepared, settings)
    assert len(prepared.clips) == len(catalog.clips)
    return counts


@pytest.mark.slow
def test_build_steps_grow_linearly(tmp_path: Path, source: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    warm = tmp_path / "warm"
    make_portal(warm, 1, source)
    prepare(warm, load_settings(warm), load_catalog(warm, load_settings(warm)))  # encodes once
    counted: dict[int, Counts] = {}
    for size in (100, 400):
        root = tmp_path / f"p{size}"
        make_portal(root, size, source)
        shutil.copytree(warm / "build" / "cache", root / "build" / "cache")
        prepare(root, load_settings(root), load_catalog(root, load_settings(root)))  # hashes
        counted[size] = count_build_steps(root, monkeypatch)
    small, large = counted[100], counted[400]
    assert small.counter["yaml parse"] > 0 and small.counter["directory entries"] > 0
    for kind in (*small.counter, *large.counter):
        assert large.counter[kind] <= GROWTH * small.counter[kind] + CONSTANT, (
            kind, small.counter, large.counter)
    assert large.total() <= GROWTH * small.total() + CONSTANT, (small.counter, large.counter)


def _prepared(count: int, encoded: set[int]) -> Any:
    from test_pages import manifest

    from clipportal.catalog.clips import Clip
    from clipportal.pipeline import Prepared, PreparedClip

    def item(i: int) -> PreparedClip:
        clip = Clip(f"clip-{i:04d}", f"動画 {i}", "flow-mapping", "", None, (), (), None, (),
                    Path("videos/x.mp4"), "videos/x.mp4", f"videos/clip-{i:04d}.yml")
        media = manifest(clip.slug).with_key("0123456789abcdef", i not in encoded)
        return PreparedClip(clip, media, "media/x", Path("."), (), ())

    return Prepared(tuple(item(i) for i in range(count)), (), len(encoded),
                    count - len(encoded))


@pytest.mark.parametrize(("count", "encoded", "rows", "counted"), [
    (5, set(), 5, None),
    (1000, {3, 500}, 2, "998 unchanged"),
    (1000, set(), 0, "all 1000 clips unchanged"),
])
def test_long_summaries_list_encoded_clips_and_count_the_rest(
        tmp_path: Path, count: int, encoded: set[int], rows: int, counted: str | None) -> None:
    from rich.console import Console

    from clipportal.commands.progress import ConsoleReporter, print_summary

    console = Console(record=True, width=200)
    print_summary(_prepared(count, encoded), ConsoleReporter(console), 1.0,
                  tmp_path / "build" / "site", tmp_path)
    text = console.export_text()
    assert sum(1 for line in text.splitlines() if "clip-" in line) == rows, text
    assert counted is None or counted in text, text
    assert f"{count} clips: {len(encoded)} encoded" in text


def test_a_topic_of_250_clips_lists_10_and_keeps_the_rest_behind_more() -> None:
    """Pictures inside a closed <details> are not fetched: a phone loads the first cards'
    posters only (every card still has width, height, sizes and loading=lazy)."""
    from test_pages import clip, manifest, prepared

    from clipportal.site.pages import render_topic_page

    items = [prepared(clip(f"c-{i:03d}", f"動画 {i}", "flow-mapping"), manifest(f"c-{i:03d}"))
             for i in range(250)]
    page = render_topic_page("flow-mapping", "業務フロー", items, PagePaths())
    before, _, behind = page.partition('<details class="cp-more-cards">')
    assert before.count("data-clip-card=") == 10
    assert behind.count("data-clip-card=") == 240 and "もっと見る（残り 240 本）" in behind
    images = re.findall(r"<img [^>]*>", page)
    assert len(images) == 250
    assert all('loading="lazy"' in i and "width=" in i and "height=" in i and "sizes=" in i
               for i in images)
