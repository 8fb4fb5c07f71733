"""Git LFS awareness for `clipportal check`: a portal repository that keeps its videos in LFS
must not receive a video committed as a plain Git blob (it would stay in the history forever)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from clipportal.errors import Problem


def repo_uses_lfs(root: Path) -> bool:
    attributes = root / ".gitattributes"
    try:
        return "filter=lfs" in attributes.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def untracked_by_lfs(root: Path, sources: Sequence[str]) -> list[str]:
    """The project-relative video paths whose Git `filter` attribute is not `lfs`."""
    git = shutil.which("git")
    if not sources or git is None:
        return []
    # Imported here: `subprocess` loads `fcntl` on POSIX, and `check` on a portal without
    # clips is tested to load no platform-only module (it must run on Windows).
    import subprocess

    result = subprocess.run([git, "check-attr", "filter", "--", *sources], cwd=root,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return []  # not a Git checkout: nothing to say
    tracked = {line.split(": ")[0] for line in result.stdout.splitlines()
               if line.endswith(": filter: lfs")}
    return [s for s in sources if s not in tracked]


def lfs_problems(root: Path, sources: Sequence[str]) -> list[Problem]:
    if not repo_uses_lfs(root):
        return []
    return [Problem(source, "this video is not stored with Git LFS, but this repository keeps "
                    "its videos in LFS", "add a rule for its file type to .gitattributes (e.g. "
                    "`videos/*.mov filter=lfs diff=lfs merge=lfs -text`) and add the file again")
            for source in untracked_by_lfs(root, sources)]
