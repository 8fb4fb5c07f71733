"""`clipportal check` (commands/check.py): every problem at once, without transcoding, and
light enough to run on an editor's Windows PC (no fcntl, no PyAV until a video needs probing,
no MkDocs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from test_catalog import GOOD, make_project
from test_cli import CAPTION, portal

from clipportal.commands.check import check_project

ONE_CHAPTER = GOOD.replace("poster: 12.5\n", "").replace(
    '  - {start: "1:05", title: 所要時間を測る}\n', "")
HEAVY = ("av", "ffmpeg", "fcntl", "mkdocs")


def modules_after_check(root: Path) -> tuple[int, list[str]]:
    """Run `clipportal check` in a fresh interpreter; its exit code and which of the heavy or
    platform-only modules it loaded."""
    script = ("import json, sys\nfrom clipportal.cli import main\n"
              f"code = main(['check', {str(root)!r}])\n"
              f"print(json.dumps({{'code': code, 'loaded': [m for m in {HEAVY!r} "
              "if m in sys.modules]}))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, timeout=120)
    outcome = json.loads(result.stdout.splitlines()[-1])
    return int(outcome["code"]), [str(name) for name in outcome["loaded"]]


def test_check_without_clips_loads_neither_media_stack_nor_fcntl_nor_mkdocs(
        tmp_path: Path) -> None:
    root = portal(tmp_path, {})
    assert modules_after_check(root) == (0, [])


def test_pyav_is_loaded_when_there_is_a_video_to_probe(tmp_path: Path) -> None:
    root = portal(tmp_path, {"good": ONE_CHAPTER})
    code, loaded = modules_after_check(root)
    assert code == 0 and "av" in loaded
    assert "mkdocs" not in loaded  # probing is not building


def test_every_clips_problems_are_returned_together(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"damaged": ONE_CHAPTER, "typo": GOOD.replace("topic:",
                                                                                "topik:")})
    (root / "captions" / "damaged.ja.srt").write_bytes(b"1\n00:00:01,000 -> nonsense\n")
    problems = check_project(root)
    sources = {p.path for p in problems if p.severity == "error"}
    assert {"videos/damaged.mp4", "captions/damaged.ja.srt", "videos/typo.yml"} <= sources
    assert all("Traceback" not in p.format() for p in problems)


def test_captions_are_checked_against_the_probed_length(tmp_path: Path) -> None:
    root = portal(tmp_path, {"good": ONE_CHAPTER})  # a real 2-second clip
    assert [p for p in check_project(root) if p.severity == "error"] == []
    late = CAPTION + "\n2\n00:00:05,000 --> 00:00:06,000\n遅すぎる字幕\n"
    (root / "captions" / "good.ja.srt").write_text(late, encoding="utf-8")
    problems = [p for p in check_project(root) if p.severity == "error"]
    assert [(p.path, p.line) for p in problems] == [("captions/good.ja.srt", 6)]
    assert "after the clip ends" in problems[0].message


def test_a_broken_mkdocs_yml_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: [x\n", encoding="utf-8")
    problems = check_project(tmp_path)
    assert [p.path for p in problems] == ["mkdocs.yml"] and problems[0].severity == "error"
