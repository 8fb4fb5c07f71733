"""Git LFS awareness (commands/lfs.py): in a repository that keeps its videos in LFS, a video
that would be committed as a plain Git blob is a problem; elsewhere nothing is said."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import run_cli
from test_check import ONE_CHAPTER
from test_cli import portal

from clipportal.commands.lfs import lfs_problems, repo_uses_lfs, untracked_by_lfs

SOURCES = ["videos/a.mp4", "videos/b.mov"]


def repository(root: Path, attributes: str | None) -> Path:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    if attributes is not None:
        (root / ".gitattributes").write_text(attributes, encoding="utf-8")
    return root


def test_a_repository_uses_lfs_when_an_attribute_says_so(tmp_path: Path) -> None:
    assert not repo_uses_lfs(repository(tmp_path / "plain", None))
    assert not repo_uses_lfs(repository(tmp_path / "text", "*.srt -text\n"))
    assert repo_uses_lfs(repository(tmp_path / "lfs", "*.mp4 filter=lfs diff=lfs merge=lfs\n"))


def test_videos_whose_type_has_no_lfs_rule_are_named(tmp_path: Path) -> None:
    root = repository(tmp_path, "videos/*.mp4 filter=lfs diff=lfs merge=lfs -text\n")
    assert untracked_by_lfs(root, SOURCES) == ["videos/b.mov"]
    problems = lfs_problems(root, SOURCES)
    assert [p.path for p in problems] == ["videos/b.mov"]
    assert "not stored with Git LFS" in problems[0].message
    assert ".gitattributes" in (problems[0].hint or "")


def test_nothing_is_said_without_lfs_or_outside_a_git_checkout(tmp_path: Path) -> None:
    assert lfs_problems(repository(tmp_path / "plain", None), SOURCES) == []
    folder = tmp_path / "no-git"
    folder.mkdir()
    (folder / ".gitattributes").write_text("*.mp4 filter=lfs\n", encoding="utf-8")
    assert untracked_by_lfs(folder, SOURCES) == []
    assert untracked_by_lfs(repository(tmp_path / "lfs", "*.mp4 filter=lfs\n"), []) == []


def test_check_flags_a_video_outside_lfs_when_the_repo_uses_lfs(tmp_path: Path) -> None:
    root = portal(tmp_path, {"good": ONE_CHAPTER})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitattributes").write_text("videos/*.mov filter=lfs diff=lfs merge=lfs -text\n")
    result = run_cli("check", str(root))
    assert result.returncode == 1 and "videos/good.mp4" in result.stderr
    assert "Git LFS" in result.stderr
    (root / ".gitattributes").write_text("videos/*.mp4 filter=lfs diff=lfs merge=lfs -text\n")
    assert run_cli("check", str(root)).returncode == 0
