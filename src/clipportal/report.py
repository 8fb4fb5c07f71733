"""Printing problems for people: `path:line: message (hint)` on stderr, plus GitHub Actions
annotations when running there, so an editor sees each problem on the pull request."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

from clipportal.errors import Problem


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def print_problems(problems: Sequence[Problem], stream: TextIO | None = None) -> None:
    stream = stream or sys.stderr
    ordered = sorted(problems, key=lambda p: (p.severity != "error", p.path, p.line or 0))
    for problem in ordered:
        print(problem.format(), file=stream)
    if in_github_actions():
        for problem in ordered:
            print(problem.github_annotation(), file=sys.stdout)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if problems:
        print(f"{errors} error(s), {warnings} warning(s)", file=stream)
