"""The catalog: every problem in every clip file reported at once, with file and line."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clipportal.catalog.clips import load_catalog, parse_time
from clipportal.errors import CatalogError, Problem
from clipportal.paths import is_valid_slug, resolve_inside
from clipportal.settings import Settings

GOOD = """title: 業務フローを書き出す
topic: flow-mapping
description: |
  現状の業務フローと所要時間を洗い出します。
date: 2022-03-15
speakers: [福祉課 職員]
tags: [業務フロー, 所要時間]
poster: 12.5
chapters:
  - {start: "0:00", title: はじめに}
  - {start: "1:05", title: 所要時間を測る}
"""


def make_project(root: Path, clips: dict[str, str], captions: dict[str, str] | None = None,
                 with_video: bool = True) -> Path:
    (root / "videos").mkdir(parents=True, exist_ok=True)
    (root / "captions").mkdir(exist_ok=True)
    for slug, text in clips.items():
        (root / "videos" / f"{slug}.yml").write_text(text, encoding="utf-8")
        if with_video:
            (root / "videos" / f"{slug}.mp4").write_bytes(b"\x00" * 2048)
    for name, text in (captions or {}).items():
        (root / "captions" / name).write_text(text, encoding="utf-8")
    return root


def problems_of(root: Path) -> list[Problem]:
    with pytest.raises(CatalogError) as info:
        load_catalog(root, Settings())
    return list(info.value.problems)


def test_good_clip_loads_every_field(tmp_path: Path) -> None:
    srt = "1\n00:00:01,000 --> 00:00:02,000\nはい\n"
    make_project(tmp_path, {"flow-01": GOOD}, {"flow-01.ja.srt": srt})
    clip = load_catalog(tmp_path, Settings()).clips[0]
    assert (clip.title, clip.topic, clip.date) == ("業務フローを書き出す", "flow-mapping",
                                                  dt.date(2022, 3, 15))
    assert clip.tags == ("業務フロー", "所要時間") and clip.speakers == ("福祉課 職員",)
    assert [c.start for c in clip.chapters] == [0.0, 65.0] and clip.poster == 12.5
    assert [c.lang for c in clip.captions] == ["ja"]
    assert clip.video_source == "videos/flow-01.mp4"


def test_every_problem_is_reported_at_once_with_lines(tmp_path: Path) -> None:
    make_project(tmp_path, {
        "typo": GOOD.replace("title:", "titel:", 1),
        "syntax": "title: [unclosed\ntopic: flow-mapping\n",
        "notopic": "title: x\ntopic: no-such-topic\n",
        "Bad_Slug": GOOD,
        "chapters": GOOD.replace('"1:05"', '"0:00"'),
        "wrongtype": GOOD.replace("tags: [業務フロー, 所要時間]", "tags: {a: 1}"),
        "baddate": GOOD.replace("2022-03-15", "15/03/2022"),
        "notitle": GOOD.replace("title: 業務フローを書き出す\n", ""),
    }, {"ghost.ja.srt": "1\n00:00:01,000 --> 00:00:02,000\nx\n"})
    (tmp_path / "videos" / "novideo.yml").write_text(GOOD, encoding="utf-8")
    found = {(p.path, p.line) for p in problems_of(tmp_path)}
    messages = "\n".join(p.format() for p in problems_of(tmp_path))
    assert ("videos/typo.yml", 1) in found and "did you mean 'title'" in messages
    assert ("videos/syntax.yml", 2) in found or ("videos/syntax.yml", 1) in found
    assert ("videos/notopic.yml", 2) in found and "unknown topic 'no-such-topic'" in messages
    assert any(p == "videos/Bad_Slug.yml" for p, _ in found)
    assert ("videos/chapters.yml", 11) in found  # the out-of-order entry itself
    assert ("videos/wrongtype.yml", 7) in found
    assert ("videos/baddate.yml", 5) in found
    assert any(p == "videos/novideo.yml" for p, _ in found) and "no video file" in messages
    assert any(p == "captions/ghost.ja.srt" for p, _ in found)
    assert ("videos/notitle.yml", 1) in found and "missing required key 'title'" in messages
    assert "write the year first: 2022-03-15" in messages
    assert [p.path for p in problems_of(tmp_path) if p.severity == "error"].count(
        "videos/typo.yml") == 1  # not also "missing required key 'title'"


@pytest.mark.parametrize("video", ["../outside.mp4", "/etc/passwd", "videos/../../x.mp4",
                                   "C:\\clip.mp4", "videos/missing.mp4"])
def test_video_paths_outside_or_missing_are_rejected(tmp_path: Path, video: str) -> None:
    make_project(tmp_path, {"clip": GOOD + f"video: '{video}'\n"}, with_video=False)
    (tmp_path.parent / "outside.mp4").write_bytes(b"x" * 100)
    problems = problems_of(tmp_path)
    assert problems and all(p.path == "videos/clip.yml" for p in problems)
    assert problems[0].line == 12


def test_symlink_leading_out_of_the_project_is_rejected(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.mp4"
    outside.write_bytes(b"x" * 4096)
    project = make_project(tmp_path / "portal", {"clip": GOOD}, with_video=False)
    os.symlink(outside, project / "videos" / "clip.mp4")
    messages = [p.message for p in problems_of(project)]
    assert any("outside the project" in m for m in messages)


def test_lfs_pointer_gets_a_clear_message(tmp_path: Path) -> None:
    make_project(tmp_path, {"clip": GOOD}, with_video=False)
    (tmp_path / "videos" / "clip.mp4").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n")
    (problem,) = problems_of(tmp_path)
    assert "Git LFS pointer" in problem.message and "git lfs pull" in problem.hint


def test_unknown_topic_from_custom_topics(tmp_path: Path) -> None:
    make_project(tmp_path, {"clip": GOOD})
    with pytest.raises(CatalogError):
        load_catalog(tmp_path, Settings(topics={"other": "その他"}))


def test_large_or_non_utf8_clip_files_are_refused(tmp_path: Path) -> None:
    make_project(tmp_path, {"big": GOOD + "#" + "x" * 70000 + "\n"})
    (tmp_path / "videos" / "sjis.yml").write_bytes("title: 日本語\n".encode("cp932"))
    (tmp_path / "videos" / "sjis.mp4").write_bytes(b"\x00" * 2048)
    messages = " ".join(p.message for p in problems_of(tmp_path))
    assert "limited to" in messages and "not UTF-8" in messages


def test_yaml_tags_cannot_run_code(tmp_path: Path) -> None:
    make_project(tmp_path, {"evil": "title: !!python/object/apply:os.system ['touch pwned']\n"
                                     "topic: flow-mapping\n"})
    problems = problems_of(tmp_path)
    assert problems[0].path == "videos/evil.yml"
    assert not (tmp_path / "pwned").exists()


def test_duplicate_titles_and_missing_captions_warn(tmp_path: Path) -> None:
    make_project(tmp_path, {"a": GOOD, "b": GOOD})
    catalog = load_catalog(tmp_path, Settings())
    assert len(catalog.clips) == 2
    assert any("also used by" in w.message for w in catalog.problems)


@pytest.mark.parametrize(("text", "seconds"), [
    ("0:00", 0.0), ("1:05", 65.0), ("1:02:03", 3723.0), ("12.5", 12.5), (65, 65.0),
    ("1:60", None), ("-3", None), ("abc", None), (True, None),
])
def test_parse_time(text: object, seconds: float | None) -> None:
    assert parse_time(text) == seconds


@given(st.text(max_size=40))
def test_slug_rule_only_admits_safe_names(name: str) -> None:
    if is_valid_slug(name):
        assert name == name.lower() and "/" not in name and ".." not in name
        assert name[0].isalnum() and name.isascii()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(st.text(max_size=30))
def test_resolve_inside_never_leaves_the_root(tmp_path: Path, relative: str) -> None:
    resolved = resolve_inside(tmp_path, relative)
    if resolved is not None:
        assert resolved.is_relative_to(tmp_path.resolve())


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150,
          deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300).map(
    lambda b: b.decode("utf-8", "replace"))))
def test_clip_loader_never_crashes(tmp_path: Path, text: str) -> None:
    """Any text in a clip file gives clips or a CatalogError, never another exception."""
    root = tmp_path / "fuzz"
    make_project(root, {"clip": text})
    try:
        load_catalog(root, Settings())
    except CatalogError as exc:
        assert all(p.path.startswith("videos/") for p in exc.problems)


def test_a_video_without_a_clip_file_is_a_warning(tmp_path: Path) -> None:
    make_project(tmp_path, {"a": GOOD})
    (tmp_path / "videos" / "forgotten.mov").write_bytes(b"\x00" * 100)
    (tmp_path / "videos" / "2023").mkdir()
    (tmp_path / "videos" / "2023" / "nested.yml").write_text(GOOD, encoding="utf-8")
    catalog = load_catalog(tmp_path, Settings())
    assert any(w.path == "videos/2023/" for w in catalog.problems)
    assert [w.path for w in catalog.problems if "no clip file" in w.message] == [
        "videos/forgotten.mov"]


def test_a_japanese_named_video_without_a_clip_file_gets_the_new_command_as_hint(
        tmp_path: Path) -> None:
    # "add videos/研修動画 第3回.yml" would name an invalid slug; the hint must be runnable
    make_project(tmp_path, {"a": GOOD})
    (tmp_path / "videos" / "研修動画 第3回.mp4").write_bytes(b"\x00" * 100)
    (tmp_path / "videos" / "kickoff.mp4").write_bytes(b"\x00" * 100)
    hints = {w.path: w.hint for w in load_catalog(tmp_path, Settings()).problems
             if "no clip file" in w.message}
    assert hints["videos/kickoff.mp4"].startswith("add videos/kickoff.yml")
    assert hints["videos/研修動画 第3回.mp4"].startswith(
        'run: clipportal new "videos/研修動画 第3回.mp4" --topic')


@pytest.mark.parametrize(("text", "line"), [
    ("title: t\ntopic: flow-mapping\ndate: 2022-02-30\n", 3),
    ('title: !!int "abc"\ntopic: flow-mapping\n', 1),
    ('title: t\ntopic: flow-mapping\nposter: !!timestamp "abc"\n', 3),
    ("title: t\ntopic: flow-mapping\ntags: " + "[" * 3000 + "]" * 3000 + "\n", 3),
    ("title:\ntopic: flow-mapping\n", 1),
    ("title: t\ntopic: ~\n", 2),
    ("title: a\ntopic: flow-mapping\ntitle: b\n", 3),
])
def test_unbuildable_values_are_errors_with_lines(tmp_path: Path, text: str, line: int) -> None:
    """Values PyYAML cannot build, nesting bombs, empty required keys, duplicate keys: each a
    plain error with its line, and the other clips' problems are still reported."""
    make_project(tmp_path, {"bad": text, "other": GOOD.replace("topic: flow-mapping", "topic: x")})
    problems = problems_of(tmp_path)
    assert ("videos/bad.yml", line) in {(p.path, p.line) for p in problems}, problems
    assert any(p.path == "videos/other.yml" for p in problems)


def test_links_out_of_the_project_are_refused_for_clip_and_caption_files(
        tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yml").write_text("title: SECRET\ntopic: flow-mapping\n", encoding="utf-8")
    (outside / "secret.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nSECRET\n")
    project = make_project(tmp_path / "portal", {"ok": GOOD})
    os.symlink(outside / "secret.yml", project / "videos" / "leak.yml")
    os.symlink(outside / "secret.srt", project / "captions" / "ok.ja.srt")
    problems = problems_of(project)
    paths = {p.path for p in problems}
    assert {"videos/leak.yml", "captions/ok.ja.srt"} <= paths
    assert all("SECRET" not in p.format() and str(tmp_path) not in p.format() for p in problems)


# --- what editors see: placeholders, damaged videos ----------------------------------------

SRT = "1\n00:00:00,500 --> 00:00:01,500\nはい\n"
MKDOCS = "site_name: テスト\nplugins:\n  - clipportal\n"


def _real_clip_project(root: Path, text: str) -> Path:
    """A project with one real (tiny) clip and its captions, so `check` probes a video."""
    from media_sources import make_plain

    make_project(root, {"clip": text}, {"clip.ja.srt": SRT}, with_video=False)
    make_plain(root / "videos", "clip.mp4")
    (root / "mkdocs.yml").write_text(MKDOCS, encoding="utf-8")
    return root


def test_the_placeholder_description_is_a_warning_and_fails_strict(tmp_path: Path) -> None:
    from conftest import run_cli

    text = GOOD.replace("現状の業務フローと所要時間を洗い出します。",
                        "（この動画の内容を書いてください）")
    root = _real_clip_project(tmp_path, text.replace("poster: 12.5\n", "").replace(
        '  - {start: "1:05", title: 所要時間を測る}\n', ""))
    plain = run_cli("check", str(root))
    assert plain.returncode == 0, plain.stderr
    assert "videos/clip.yml:4: warning: the description is still the placeholder" in plain.stderr
    strict = run_cli("check", "--strict", str(root))
    assert strict.returncode == 1 and "videos/clip.yml:4: warning" in strict.stderr


def test_clipportal_new_writes_the_placeholder_that_check_warns_about(tmp_path: Path) -> None:
    from conftest import run_cli
    from media_sources import make_plain

    (tmp_path / "mkdocs.yml").write_text(MKDOCS, encoding="utf-8")
    video = make_plain(tmp_path, "intro.mp4")
    made = run_cli("new", str(video), "--topic", "flow-mapping", "--title", "はじめに",
                   "--slug", "intro", "--dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    from clipportal.commands.check import check_project

    lines = (tmp_path / "videos" / "intro.yml").read_text(encoding="utf-8").splitlines()
    (warning,) = [p for p in check_project(tmp_path) if "placeholder" in p.message]
    assert warning.path == "videos/intro.yml" and "この動画の内容" in lines[warning.line - 1]


LEAKS = re.compile(r"[A-Z]\w*Error\(|Exception|(?i:object has no attribute|traceback|errno|"
                   r"'nonetype'|invalid data found|av\.error)")


def _damaged_videos(folder: Path) -> dict[str, bytes]:
    from media_sources import ffmpeg, make_plain, make_truncated

    whole = make_plain(folder, "whole.mp4").read_bytes()
    ffmpeg("-f", "lavfi", "-i", "testsrc=s=64x64", "-frames:v", "1", str(folder / "still.png"))
    return {
        "text": "会議メモ: これは動画ではありません。\n".encode() * 5,
        "truncated": make_truncated(folder, "t.mp4").read_bytes(),
        "truncated-head": whole[:300],
        "truncated-mkv": make_truncated(folder, "t.mkv", container="mkv").read_bytes(),
        "picture": (folder / "still.png").read_bytes(),
        "unknown-codec": whole.replace(b"avc1", b"zzzz"),  # PyAV gives no codec context
        "empty": b"",
    }


def test_damaged_videos_are_explained_without_program_internals(tmp_path: Path) -> None:
    from conftest import run_cli

    from clipportal.commands.check import check_project

    root = tmp_path / "portal"
    make_project(root, {}, with_video=False)
    (root / "mkdocs.yml").write_text(MKDOCS, encoding="utf-8")
    for name, data in _damaged_videos(tmp_path).items():
        (root / "videos" / f"{name}.mp4").write_bytes(data)
        (root / "videos" / f"{name}.yml").write_text(f"title: {name}\ntopic: flow-mapping\n",
                                                     encoding="utf-8")
    problems = [p for p in check_project(root) if "no captions" not in p.message]
    by_clip = {p.path.split("/")[1].split(".")[0]: p for p in problems}
    assert [p.format() for p in problems if LEAKS.search(p.format())] == []
    assert len(problems) == len(by_clip) == 7 and all(p.severity == "error" for p in problems)
    assert "damaged" in by_clip["unknown-codec"].message and by_clip["picture"].hint
    assert "cut short" in by_clip["truncated-mkv"].message
    result = run_cli("check", str(root))
    assert result.returncode == 1 and not LEAKS.search(result.stderr)
    verbose = run_cli("check", "--verbose", str(root))
    assert "probing videos/unknown-codec.mp4 failed" in verbose.stderr  # the detail, for admins


def test_videos_are_matched_to_clip_files_by_name(tmp_path: Path) -> None:
    make_project(tmp_path, {"clip": GOOD, "clip-2": GOOD.replace("書き出す", "書き出す 2")})
    (tmp_path / "videos" / "clip.MOV").write_bytes(b"\x00" * 2048)
    (problem,) = [p for p in problems_of(tmp_path) if p.severity == "error"]
    assert problem.path == "videos/clip.yml" and "2 video files named videos/clip.*" in \
        problem.message
    (tmp_path / "videos" / "clip.MOV").unlink()
    assert [c.video_source for c in load_catalog(tmp_path, Settings()).clips] == [
        "videos/clip-2.mp4", "videos/clip.mp4"]
