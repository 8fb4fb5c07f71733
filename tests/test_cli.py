"""The `clipportal` command as users run it: exit codes, messages, annotations, no traceback."""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli
from test_catalog import GOOD

from clipportal.cli import build_parser
from clipportal.media.ffmpeg_runner import ffmpeg_exe

CAPTION = "1\n00:00:00,500 --> 00:00:01,800\n業務フローを書き出します\n"


def tiny_clip(path: Path, seconds: float = 2.0, size: str = "320x180") -> Path:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=s={size}:r=25:d={seconds}", "-f", "lavfi", "-i",
                    f"sine=d={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
                    "-c:a", "aac", "-shortest", str(path)], check=True)
    return path


def portal(root: Path, clips: dict[str, str]) -> Path:
    """A minimal portal project with real tiny clips."""
    for folder in ("videos", "captions", "docs"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text("site_name: テスト\ntheme:\n  name: material\n"
                                     "  language: ja\nplugins:\n  - clipportal\n",
                                     encoding="utf-8")
    for slug, text in clips.items():
        (root / "videos" / f"{slug}.yml").write_text(text, encoding="utf-8")
        tiny_clip(root / "videos" / f"{slug}.mp4")
        (root / "captions" / f"{slug}.ja.srt").write_text(CAPTION, encoding="utf-8")
    return root


def test_version_and_usage_errors() -> None:
    assert run_cli("--version").stdout.startswith("clipportal ")
    assert run_cli().returncode == 2
    assert run_cli("build", "--jobs", "0").returncode == 2
    bad_jobs = run_cli("build", "--jobs", "x")
    assert bad_jobs.returncode == 2 and "'x' is not a whole number" in bad_jobs.stderr
    assert run_cli("check", "/no/such/folder").returncode == 2


def _all_actions(parser: argparse.ArgumentParser, name: str) -> list[tuple[str, argparse.Action]]:
    found = []
    for action in parser._actions:
        found.append((name, action))
        if isinstance(action, argparse._SubParsersAction):
            found += [(f"{name} {choice.dest}", choice) for choice in action._choices_actions]
            for command, sub in action.choices.items():
                found += _all_actions(sub, f"{name} {command}")
    return found


def test_every_command_and_option_has_help() -> None:
    actions = _all_actions(build_parser(), "clipportal")
    assert {where for where, _ in actions} >= {"clipportal build", "clipportal check",
                                                 "clipportal serve", "clipportal new"}
    missing = [f"{where}: {action.option_strings or action.dest}" for where, action in actions
               if not (action.help or "").strip() or action.help == argparse.SUPPRESS]
    assert missing == []


def test_a_folder_without_mkdocs_yml_is_not_checked_as_ok(tmp_path: Path) -> None:
    for command in ("check", "build", "serve"):
        result = run_cli(command, str(tmp_path))
        assert result.returncode == 2, (command, result.stderr)
        assert "not a portal project" in result.stderr and "mkdocs.yml" in result.stderr


@pytest.mark.slow
def test_build_summary_says_whether_media_was_encoded_or_cached(tmp_path: Path) -> None:
    root = portal(tmp_path, {"good": GOOD.replace("poster: 12.5\n", "").replace(
        '  - {start: "1:05", title: 所要時間を測る}\n', "")})
    wide = {"COLUMNS": "200"}
    first = run_cli("build", str(root), env=wide)
    assert first.returncode == 0, first.stderr
    header = next(line for line in first.stderr.splitlines() if "clip" in line and "┃" in line)
    assert [cell.strip() for cell in header.strip("┃ ").split("┃")][:3] == [
        "clip", "media", "encode time (s)"]
    row = next(line for line in first.stderr.splitlines() if line.startswith("│ good "))
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells[1] == "encoded" and float(cells[2]) > 0
    os.utime(root / "videos" / "good.yml")  # touched: not skipped by the build stamp
    again = run_cli("build", str(root), env=wide)
    row = next(line for line in again.stderr.splitlines() if line.startswith("│ good "))
    assert [cell.strip() for cell in row.strip("│ ").split("│")][1:3] == ["cached", "-"]


def test_check_names_every_broken_file_with_lines(tmp_path: Path) -> None:
    root = portal(tmp_path, {"good": GOOD.replace("poster: 12.5\n", "").replace(
        '  - {start: "1:05", title: 所要時間を測る}\n', "")})
    (root / "videos" / "typo.yml").write_text(GOOD.replace("topic:", "topik:"), encoding="utf-8")
    (root / "videos" / "broken.yml").write_text("title: 'unclosed\ntopic: x\n", encoding="utf-8")
    result = run_cli("check", str(root), env={"GITHUB_ACTIONS": "true"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "videos/typo.yml:2:" in result.stderr and "did you mean 'topic'" in result.stderr
    assert "videos/broken.yml:" in result.stderr
    assert "::error file=videos/typo.yml,line=2::" in result.stdout
    assert "::error file=videos/broken.yml,line=" in result.stdout


def test_check_passes_a_good_project_and_strict_fails_on_warnings(tmp_path: Path) -> None:
    root = portal(tmp_path, {"good": GOOD.replace("poster: 12.5\n", "").replace(
        '  - {start: "1:05", title: 所要時間を測る}\n', "")})
    assert run_cli("check", str(root)).returncode == 0
    (root / "captions" / "good.ja.srt").unlink()
    result = run_cli("check", str(root))
    assert result.returncode == 0 and "no captions in the site language" in result.stderr
    assert run_cli("check", "--strict", str(root)).returncode == 1


def test_new_writes_a_clip_file_that_check_accepts(tmp_path: Path) -> None:
    root = portal(tmp_path, {})
    source = tiny_clip(tmp_path / "職員インタビュー.mp4", seconds=3)
    generated = run_cli("new", str(source), "--topic", "testimonials", "--title", "職員の声",
                        "--dir", str(root))  # a Japanese file name gets an ASCII slug
    assert generated.returncode == 0, generated.stderr
    assert len(list((root / "videos").glob("testimonials-*.yml"))) == 1
    assert run_cli("new", str(source), "--topic", "testimonials", "--title", "x",
                   "--slug", "Bad Slug", "--dir", str(root)).returncode == 1
    made = run_cli("new", str(source), "--topic", "testimonials", "--title", "職員の声",
                   "--slug", "staff-voice", "--dir", str(root))
    assert made.returncode == 0, made.stderr
    text = (root / "videos" / "staff-voice.yml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=") and "職員の声" in text
    for made_yml in (root / "videos").glob("*.yml"):
        (root / "captions" / f"{made_yml.stem}.ja.srt").write_text(CAPTION, encoding="utf-8")
    assert run_cli("check", str(root)).returncode == 0
    again = run_cli("new", str(source), "--topic", "testimonials", "--title", "x",
                    "--slug", "staff-voice", "--dir", str(root))
    assert again.returncode == 1 and "already exists" in again.stderr


@pytest.mark.slow
def test_build_reports_a_broken_clip_and_keeps_the_good_one(tmp_path: Path) -> None:
    root = portal(tmp_path, {"good": GOOD.replace("poster: 12.5\n", "").replace(
        '  - {start: "1:05", title: 所要時間を測る}\n', ""),
        "bad": GOOD.replace("業務フローを書き出す", "壊れた動画").replace("poster: 12.5\n", "")
        .replace('  - {start: "1:05", title: 所要時間を測る}\n', "")})
    video = root / "videos" / "bad.mp4"
    video.write_bytes(video.read_bytes()[: video.stat().st_size // 3])
    result = run_cli("build", str(root))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "videos/bad.mp4" in result.stderr
    entries = [p for p in (root / "build" / "cache").iterdir()
               if p.is_dir() and not p.name.startswith(".")]
    assert len(entries) == 1 and (entries[0] / "manifest.json").is_file()
    assert not (root / "build" / "cache" / ".staging").exists() or not any(
        (root / "build" / "cache" / ".staging").iterdir())
    (root / "videos" / "bad.yml").unlink()
    (root / "videos" / "bad.mp4").unlink()
    (root / "captions" / "bad.ja.srt").unlink()
    rebuilt = run_cli("build", str(root))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "0 encoded, 1 from cache" in rebuilt.stderr.replace("\n", " ")
    assert (root / "build" / "site" / "clips" / "good" / "index.html").is_file()


@pytest.mark.slow  # builds the portal
def test_poster_past_the_end_is_a_warning_on_the_clip_files_line(tmp_path: Path) -> None:
    root = portal(tmp_path, {"clip": GOOD.replace("poster: 12.5", "poster: 99").replace(
        '  - {start: "1:05", title: 所要時間を測る}\n', "")})
    result = run_cli("build", str(root))
    assert result.returncode == 0, result.stderr
    assert "videos/clip.yml:8: warning: poster time 99 s is past the end" in result.stderr


def test_check_reports_a_broken_clip_file_and_another_clips_bad_captions_together(
        tmp_path: Path) -> None:
    root = portal(tmp_path, {"good": GOOD.replace("poster: 12.5\n", "").replace(
        '  - {start: "1:05", title: 所要時間を測る}\n', "")})
    (root / "videos" / "broken.yml").write_text("title: [x\n", encoding="utf-8")
    (root / "captions" / "good.ja.srt").write_bytes(b"\x00\xff\xfe garbage" * 50)
    result = run_cli("check", str(root))
    assert result.returncode == 1
    assert "videos/broken.yml" in result.stderr and "captions/good.ja.srt" in result.stderr
