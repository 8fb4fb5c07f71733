"""The site fingerprint (site/fingerprint.py): the same inputs give the same fingerprint, and
every input of the site step changes it; a site counts as up to date only once marked."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from test_pages import FULL, MINIMAL

from clipportal.pipeline import Prepared
from clipportal.settings import Settings
from clipportal.site.fingerprint import (
    FINGERPRINT_FILE,
    is_up_to_date,
    mark_built,
    site_fingerprint,
)

PREPARED = Prepared((FULL, MINIMAL), (), 0, 2)


def project(root: Path) -> Path:
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "about.md").write_text("# このサイトについて\n", encoding="utf-8")
    (root / "mkdocs.yml").write_text("site_name: テスト\n", encoding="utf-8")
    return root


def test_the_same_inputs_give_the_same_fingerprint(tmp_path: Path) -> None:
    root = project(tmp_path)
    first = site_fingerprint(root, PREPARED, Settings())
    assert site_fingerprint(root, PREPARED, Settings()) == first


def test_every_input_of_the_site_step_changes_it(tmp_path: Path) -> None:
    root = project(tmp_path)
    seen = {site_fingerprint(root, PREPARED, Settings())}

    def changed(prepared: Prepared = PREPARED, settings: Settings | None = None) -> bool:
        fingerprint = site_fingerprint(root, prepared, settings or Settings())
        new = fingerprint not in seen
        seen.add(fingerprint)
        return new

    retitled = dataclasses.replace(FULL, clip=dataclasses.replace(FULL.clip, title="新しい題"))
    assert changed(Prepared((retitled, MINIMAL), (), 0, 2))
    reencoded = dataclasses.replace(MINIMAL, media=MINIMAL.media.with_key("fedcba", False))
    assert changed(Prepared((FULL, reencoded), (), 0, 2))
    track = dataclasses.replace(FULL.tracks[0], content="WEBVTT\n\n")
    assert changed(Prepared((dataclasses.replace(FULL, tracks=(track, *FULL.tracks[1:])),
                             MINIMAL), (), 0, 2))
    assert changed(settings=dataclasses.replace(Settings(), max_cps=8.0))
    (root / "docs" / "about.md").write_text("# 変更\n", encoding="utf-8")
    assert changed()
    (root / "docs" / "help.md").write_text("# ヘルプ\n", encoding="utf-8")
    assert changed()
    (root / "mkdocs.yml").write_text("site_name: 変更\n", encoding="utf-8")
    assert changed()
    (root / "mkdocs.yml").write_text("site_name: 変更\ntheme:\n  custom_dir: overrides\n",
                                     encoding="utf-8")
    assert changed()
    (root / "overrides").mkdir()
    (root / "overrides" / "main.html").write_text("{% extends 'base.html' %}\n",
                                                  encoding="utf-8")
    assert changed()  # a template override shapes every page


def test_a_site_is_up_to_date_only_once_marked_with_the_same_fingerprint(
        tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert not is_up_to_date(site, "abc")  # no site folder yet
    site.mkdir()
    assert not is_up_to_date(site, "abc")
    mark_built(site, "abc")
    assert (site / FINGERPRINT_FILE).is_file()
    assert is_up_to_date(site, "abc") and not is_up_to_date(site, "abd")
