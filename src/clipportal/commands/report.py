"""Printing problems for people: `path:line: message (hint)` on stderr, plus GitHub Actions
annotations when running there, so an editor sees each problem on the pull request."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

from clipportal.errors import Problem

MAX_PER_FILE = 25


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def print_problems(problems: Sequence[Problem], stream: TextIO | None = None) -> None:
    stream = stream or sys.stderr
    ordered = sorted(problems, key=lambda p: (p.severity != "error", p.path, p.line or 0))
    shown, hidden = _cap_per_file(ordered)
    for problem in shown:
        print(problem.format(), file=stream)
    for path, count in hidden.items():
        print(f"{path}: … and {count} more problem(s) in this file", file=stream)
    if in_github_actions():
        for problem in shown:
            print(problem.github_annotation(), file=sys.stdout)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if problems:
        print(f"{errors} error(s), {warnings} warning(s)", file=stream)


def _cap_per_file(problems: Sequence[Problem]) -> tuple[list[Problem], dict[str, int]]:
    """At most MAX_PER_FILE problems of one file: a broken caption file with thousands of bad
    cues must not bury the other files' messages."""
    shown: list[Problem] = []
    counts: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for problem in problems:
        counts[problem.path] = counts.get(problem.path, 0) + 1
        if counts[problem.path] <= MAX_PER_FILE:
            shown.append(problem)
        else:
            hidden[problem.path] = hidden.get(problem.path, 0) + 1
    return shown, hidden
