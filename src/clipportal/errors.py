"""The error hierarchy and the `Problem` record every check reports through.

A problem always names a file (relative to the project) and, where known, a line,
so an editor can find it from a pull-request annotation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, as `path:line: message (hint)`."""

    path: str
    """Project-relative path with forward slashes."""
    message: str
    """What is wrong, in plain words."""
    hint: str = ""
    """How to fix it."""
    line: int | None = None
    """1-based line number, when the problem has one."""
    severity: Severity = "error"

    def format(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {self.severity}: {self.message}"
        return printable(f"{text} (hint: {self.hint})" if self.hint else text)

    def github_annotation(self) -> str:
        """A GitHub Actions workflow command that shows the problem on the pull request."""
        level = "error" if self.severity == "error" else "warning"
        line = f",line={self.line}" if self.line else ""
        body = printable(f"{self.message} ({self.hint})" if self.hint else self.message)
        path = _escape_property(printable(self.path))
        return f"::{level} file={path}{line}::{_escape_data(body)}"


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 and C1 controls and DEL (tab and newline allowed): never shown raw, never published;
C1 includes \\x9b, which some terminals read as the start of an escape sequence."""


def printable(text: str) -> str:
    """Control characters from hostile file contents shown as \\xNN, never sent raw to a
    terminal or a CI log."""
    return CONTROL_CHARACTERS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class ClipportalError(Exception):
    """Base of every error a user can cause; the CLI prints it without a traceback."""

    def __init__(self, problems: Iterable[Problem] | Problem) -> None:
        self.problems: tuple[Problem, ...] = (
            (problems,) if isinstance(problems, Problem) else tuple(problems)
        )
        super().__init__("\n".join(p.format() for p in self.problems))

    def __reduce__(self) -> tuple[type[ClipportalError], tuple[tuple[Problem, ...]]]:
        """Rebuilt from its problems, not its text: a media job's error crosses process and
        machine boundaries (Dask workers) and must arrive as the same problems."""
        return type(self), (self.problems,)


class CatalogError(ClipportalError):
    """Clip metadata, file layout or configuration is wrong."""


class MediaError(ClipportalError):
    """A clip could not be probed, transcoded or verified."""


class CaptionError(ClipportalError):
    """A caption file cannot be decoded or parsed."""


class ToolMissingError(ClipportalError):
    """An external program (ffmpeg, pagefind) is not available."""
