"""The import rule of ARCHITECTURE.md, enforced: every import of every module under
src/clipportal (function-level imports included) is checked against the layer table."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"

BASE = ("clipportal.errors", "clipportal.paths", "clipportal.ids", "clipportal.textutil",
        "clipportal.settings")
"""The bottom layer: plain rules and types every layer may use."""
CORE = ("clipportal.catalog", "clipportal.captions", "clipportal.media")
MEDIA_STACK = ("clipportal.media.ffmpeg_runner", "clipportal.media.jobs",
               "clipportal.media.probe", "clipportal.media.hls", "clipportal.media.output_checks",
               "clipportal.media.cache", "clipportal.media.lock", "av", "ffmpeg")
"""What runs or reads video: never imported by the site layer."""
MKDOCS_ADAPTERS = ("clipportal.site.mkdocs_plugin", "clipportal.site.mkdocs_build",
                   "clipportal.site.mkdocs_offline")

ALLOWED: dict[str, tuple[str, ...]] = {
    # settings reads mkdocs.yml with the catalog's YAML helper (one way to explain YAML slips)
    "base": ("clipportal.catalog.yamltext", "clipportal.catalog.fields"),
    # a clip's captions are found by their file names, a caption track needs its clip
    "catalog": ("clipportal.catalog", "clipportal.captions.parse"),
    "captions": ("clipportal.captions", "clipportal.catalog.clips",
                 "clipportal.media.manifest"),
    "media": ("clipportal.media", "av", "ffmpeg"),
    "pipeline": CORE,
    "site": ("clipportal.site", "clipportal.pipeline", "clipportal.catalog",
             "clipportal.captions", "clipportal.media.manifest"),
    "commands": ("clipportal.commands", "clipportal.pipeline", *CORE, "clipportal.site"),
    "cli": ("clipportal",),
}
"""Layer → what it may import besides the base layer and the standard library."""


def layer(module: str) -> str:
    if module == "clipportal" or module.startswith(BASE):
        return "base"
    parts = module.split(".")
    return parts[1] if parts[1] != "__init__" else "base"


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")


def imports(source: str, package: str) -> set[str]:
    """Every module `source` imports, at any depth (function-level imports are the usual way
    to break a layer rule unseen)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            # `from clipportal.media import probe` imports a module by its name
            named = [f"{module}.{alias.name}" for alias in node.names]
            found |= {n if _is_module(n) else module for n in named}
    return found


def _is_module(name: str) -> bool:
    path = SRC.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _is_under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(module: str, imported: set[str]) -> list[str]:
    """The imports of `module` that break the rule, as `module -> imported: why`."""
    found = []
    own = layer(module)
    allowed = (*BASE, *ALLOWED[own])
    for name in sorted(imported):
        if name.split(".")[0] == "mkdocs" and module not in MKDOCS_ADAPTERS:
            found.append(f"{module} -> {name}: only the MkDocs adapters import MkDocs")
        elif own == "site" and _is_under(name, MEDIA_STACK):
            found.append(f"{module} -> {name}: the site layer never runs ffmpeg or PyAV")
        elif name.split(".")[0] in ("av", "ffmpeg") and own not in ("media", "commands"):
            found.append(f"{module} -> {name}: PyAV and ffmpeg-python stay in media/")
        elif _is_under(name, ("clipportal",)) and not (_is_under(name, allowed)
                                                       or layer(name) == "base"):
            found.append(f"{module} -> {name}: {own} may not import {layer(name)}")
    return found


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((SRC / "clipportal").rglob("*.py"))}


def test_every_module_keeps_to_the_layer_rule() -> None:
    broken = []
    for module, path in all_modules().items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        broken += violations(module, imports(path.read_text(encoding="utf-8"), package))
    assert broken == []


def test_every_layer_is_in_the_table() -> None:
    assert {layer(m) for m in all_modules()} <= set(ALLOWED)


@pytest.mark.parametrize(("module", "source", "why"), [
    ("clipportal.catalog.clips", "def f():\n    import mkdocs.plugins\n", "MkDocs adapters"),
    ("clipportal.site.pages", "from clipportal.media.jobs import run_job\n", "never runs"),
    ("clipportal.site.pages", "def f():\n    from ..media import probe\n", "never runs"),
    ("clipportal.media.cache", "from clipportal.pipeline import prepare\n", "media may not"),
    ("clipportal.captions.parse", "import av\n", "stay in media"),
    ("clipportal.errors", "from clipportal.catalog.clips import Clip\n", "base may not"),
])
def test_the_checker_catches_a_broken_rule(module: str, source: str, why: str) -> None:
    package = module.rpartition(".")[0]
    found = violations(module, imports(source, package))
    assert len(found) == 1 and why in found[0]
