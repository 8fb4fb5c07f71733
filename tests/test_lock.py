"""The build lock (media/lock.py): one build per project at a time, refused at once and in
plain words, and free again when the first build ends, even by an exception."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from clipportal.errors import ClipportalError
from clipportal.media import lock
from clipportal.media.lock import build_lock


def test_a_second_build_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    with build_lock(tmp_path / "build"):
        with pytest.raises(ClipportalError) as info, build_lock(tmp_path / "build"):
            pass
        assert info.value.problems[0].format() == (
            "build/: error: another clipportal build is running on this project "
            "(hint: wait for it to finish, or stop it, then build again)")
    with build_lock(tmp_path / "build"):  # released
        pass


def test_the_lock_is_released_when_the_build_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), build_lock(tmp_path / "build"):
        raise RuntimeError("the build failed")
    with build_lock(tmp_path / "build"):
        pass


def test_no_platform_only_module_is_imported_at_module_level() -> None:
    """`fcntl` does not exist on Windows: importing the module there must not fail."""
    tree = ast.parse(Path(lock.__file__).read_text(encoding="utf-8"))
    top = {alias.name for node in tree.body if isinstance(node, ast.Import)
           for alias in node.names}
    assert not top & {"fcntl", "msvcrt"}
