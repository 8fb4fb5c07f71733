"""Problems printed for people (commands/report.py): errors first, file by file, at most
MAX_PER_FILE per file, a count at the end, and GitHub annotations on a pull request."""

from __future__ import annotations

import io

import pytest

from clipportal.commands.report import MAX_PER_FILE, in_github_actions, print_problems
from clipportal.errors import Problem

WARNING = Problem("captions/a.ja.srt", "reading speed 9.2 characters/second is above 6",
                  "show the cue longer", line=6, severity="warning")
ERROR_B = Problem("videos/b.yml", "unknown key 'topik'", "did you mean 'topic'?", line=2)
ERROR_A = Problem("videos/a.yml", "title is missing", "add a title", line=1)


def printed(problems: list[Problem]) -> list[str]:
    stream = io.StringIO()
    print_problems(problems, stream)
    return stream.getvalue().splitlines()


def test_errors_come_first_by_file_then_warnings_then_the_count(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert printed([WARNING, ERROR_B, ERROR_A]) == [
        "videos/a.yml:1: error: title is missing (hint: add a title)",
        "videos/b.yml:2: error: unknown key 'topik' (hint: did you mean 'topic'?)",
        "captions/a.ja.srt:6: warning: reading speed 9.2 characters/second is above 6 "
        "(hint: show the cue longer)",
        "2 error(s), 1 warning(s)"]


def test_nothing_to_report_prints_nothing() -> None:
    assert printed([]) == []


def test_one_file_cannot_bury_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    flood = [Problem("captions/x.ja.srt", f"cue {i} is broken", line=i) for i in range(1, 101)]
    lines = printed([*flood, ERROR_A])
    assert sum(line.startswith("captions/x.ja.srt:") for line in lines) == MAX_PER_FILE + 1
    assert "captions/x.ja.srt: … and 75 more problem(s) in this file" in lines
    assert lines[0].startswith("captions/x.ja.srt:1:") and ERROR_A.format() in lines
    assert lines[-1] == "101 error(s), 0 warning(s)"  # the count is of every problem


def test_on_github_actions_each_shown_problem_is_also_an_annotation(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert in_github_actions()
    printed([ERROR_A, WARNING])
    assert capsys.readouterr().out.splitlines() == [
        "::error file=videos/a.yml,line=1::title is missing (add a title)",
        "::warning file=captions/a.ja.srt,line=6::reading speed 9.2 characters/second is "
        "above 6 (show the cue longer)"]


def test_elsewhere_no_annotations(monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    printed([ERROR_A])
    assert capsys.readouterr().out == ""
