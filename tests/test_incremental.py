"""Incremental site builds: after any series of edits, a build that keeps pages from the last
build gives the very same site, byte for byte, as a clean build of the same project."""

from __future__ import annotations

import gzip
import os
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from test_cli import tiny_clip

from clipportal.cli import main

pytestmark = pytest.mark.slow
TOPICS = ("goal-setting", "flow-mapping", "tool-selection")
WORDS = ("窓口", "申請書", "業務フロー", "所要時間", "電子申請", "押印", "キャッシュレス")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_clip(tmp_path_factory.mktemp("source") / "shared.mp4", 6, "160x90")


class Portal:
    """One project; every edit is written to two copies of it alike."""

    def __init__(self, roots: tuple[Path, Path], source: Path, rng: random.Random) -> None:
        self.roots, self.source, self.rng = roots, source, rng
        self.slugs: list[str] = []
        self.serial = 0
        for root in roots:
            for folder in ("videos", "captions", "docs"):
                (root / folder).mkdir(parents=True, exist_ok=True)
            (root / "mkdocs.yml").write_text(
                "site_name: テスト\ntheme:\n  name: material\n  language: ja\n"
                "plugins:\n  - clipportal:\n      max_cps: 30\n"
                "markdown_extensions:\n  - attr_list\n  - md_in_html\n", encoding="utf-8")

    def write(self, relative: str, text: str) -> None:
        for root in self.roots:
            (root / relative).write_text(text, encoding="utf-8")

    def remove(self, relative: str) -> None:
        for root in self.roots:
            (root / relative).unlink()

    def add_clip(self) -> None:
        self.serial += 1
        slug = f"clip-{self.serial:03d}"
        self.slugs.append(slug)
        self.write_clip(slug, f"{self.rng.choice(WORDS)}の改善 {self.serial}",
                        self.rng.choice(TOPICS))
        self.write_captions(slug, self.rng.choice(WORDS))
        for root in self.roots:
            os.link(self.source, root / "videos" / f"{slug}.mp4")

    def write_clip(self, slug: str, title: str, topic: str) -> None:
        day = 1 + self.rng.randrange(28)
        self.write(f"videos/{slug}.yml", f"title: {title}\ntopic: {topic}\n"
                   f"date: 2024-05-{day:02d}\ntags: [{self.rng.choice(WORDS)}]\n"
                   f"description: |\n  **{self.rng.choice(WORDS)}**の話です。\n")

    def write_captions(self, slug: str, word: str) -> None:
        self.write(f"captions/{slug}.ja.srt",
                   f"1\n00:00:00,500 --> 00:00:02,500\n{word}について話します。\n\n"
                   "2\n00:00:03,000 --> 00:00:05,000\n最初に現状を測りました。\n")

    def pick(self) -> str:
        return self.rng.choice(self.slugs)

    def edit_title(self) -> None:
        slug = self.pick()
        text = (self.roots[0] / f"videos/{slug}.yml").read_text(encoding="utf-8")
        self.write(f"videos/{slug}.yml", text.replace("title: ", "title: 新・", 1))

    def edit_captions(self) -> None:
        self.write_captions(self.pick(), self.rng.choice(WORDS) + "と" + self.rng.choice(WORDS))

    def change_topic(self) -> None:
        slug = self.pick()
        text = (self.roots[0] / f"videos/{slug}.yml").read_text(encoding="utf-8")
        old = next(t for t in TOPICS if f"topic: {t}\n" in text)
        new = self.rng.choice([t for t in TOPICS if t != old])
        self.write(f"videos/{slug}.yml", text.replace(f"topic: {old}\n", f"topic: {new}\n"))

    def add_doc(self) -> None:
        """A hand-written page: it joins every page's navigation."""
        self.serial += 1
        self.write(f"docs/guide-{self.serial}.md", f"# 使い方 {self.serial}\n\n説明です。\n")

    def remove_doc(self) -> None:
        """Its page must leave the site, and every page's navigation."""
        docs = sorted((self.roots[0] / "docs").glob("guide-*.md"))
        if not docs:
            return self.add_doc()
        self.remove(f"docs/{docs[0].name}")

    def rename_site(self) -> None:
        """Every page shows the site name, the pages no clip edit touched too."""
        self.serial += 1
        config = (self.roots[0] / "mkdocs.yml").read_text(encoding="utf-8")
        self.write("mkdocs.yml", re.sub(r"site_name: .*", f"site_name: 研修 {self.serial}",
                                        config))

    def remove_clip(self) -> None:
        slug = self.pick()
        self.slugs.remove(slug)
        for name in (f"videos/{slug}.yml", f"videos/{slug}.mp4", f"captions/{slug}.ja.srt"):
            self.remove(name)


def build(root: Path, clean: bool) -> dict[str, bytes]:
    if clean:
        shutil.rmtree(root / "build" / "site", ignore_errors=True)
        shutil.rmtree(root / "build" / "page-cache", ignore_errors=True)
    assert main(["build", str(root)]) == 0
    site = root / "build" / "site"
    return normalised({p.relative_to(site).as_posix(): p.read_bytes()
                       for p in sorted(site.rglob("*")) if p.is_file()})


def page_times(root: Path) -> dict[str, int]:
    """When each clip page of the site was last written."""
    site = root / "build" / "site" / "clips"
    return {p.parent.name: p.stat().st_mtime_ns for p in site.glob("*/index.html")}


def normalised(files: dict[str, bytes]) -> dict[str, bytes]:
    """The site with what legitimately varies made comparable:
    - `.clipportal-build`, the up-to-date marker, hashes the project's absolute paths (the two
      projects compared live in different folders); it is not part of the published site;
    - Pagefind writes its filter index from a hash map, so two runs over the very same site
      give the filter entries in another order, hence another file name, which the meta file
      and pagefind-entry.json then carry. The filter is compared as a multiset of bytes, the
      meta and entry files with that name replaced; every other Pagefind file byte for byte.
    """
    out = {k: v for k, v in files.items() if k != ".clipportal-build"}
    names: dict[str, str] = {}
    for key in [k for k in out if re.fullmatch(r"pagefind/filter/\w+\.pf_filter", k)]:
        names[key.split("/")[-1].removesuffix(".pf_filter")] = "FILTER"
        out["pagefind/filter/FILTER"] = bytes(sorted(gzip.decompress(out.pop(key))))
    for key in [k for k in out if re.fullmatch(r"pagefind/pagefind\.\w+\.pf_meta", k)]:
        names[key.split(".")[1]] = "META"
        out["pagefind/META"] = gzip.decompress(out.pop(key))
    for key in ("pagefind/META", "pagefind/pagefind-entry.json"):
        for name, placeholder in names.items():
            out[key] = out[key].replace(name.encode(), placeholder.encode())
    return out


def test_random_edits_give_the_site_of_a_clean_build(tmp_path: Path, source: Path) -> None:
    rng = random.Random(14)
    portal = Portal((tmp_path / "incremental", tmp_path / "clean"), source, rng)
    for _ in range(8):
        portal.add_clip()
    build(portal.roots[0], clean=False)
    shutil.copytree(portal.roots[0] / "build" / "cache", portal.roots[1] / "build" / "cache")
    edits: list[Callable[[], None]] = [portal.edit_title, portal.edit_captions, portal.add_clip,
                                       portal.remove_clip, portal.change_topic, portal.add_doc,
                                       portal.remove_doc, portal.rename_site]
    series = [*edits, *rng.choices(edits, k=3)]
    rng.shuffle(series)
    for edit in series:
        edit()
        before = page_times(portal.roots[0])
        kept = build(portal.roots[0], clean=False)
        rewritten = [name for name, when in page_times(portal.roots[0]).items()
                     if before.get(name) != when]
        if edit in (portal.edit_title, portal.edit_captions):
            # its page, the clip before it in its topic (whose next-clip card names it); the
            # other clip pages are neither rendered nor written again
            assert 1 <= len(rewritten) <= 2, (edit.__name__, rewritten)
        fresh = build(portal.roots[1], clean=True)
        assert sorted(kept) == sorted(fresh), edit.__name__
        differing = [name for name in fresh if kept[name] != fresh[name]]
        assert not differing, (edit.__name__, differing)
    cached = len(list((portal.roots[0] / "build" / "page-cache" / "build").glob("*.html")))
    assert cached == len(portal.slugs) + 4  # pruned: the clip and topic pages of this build
