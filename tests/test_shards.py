"""Sharding the media jobs over CI runners: the split is by cache key, so it is the same on
every machine, disjoint and complete, and the merged shards leave a build nothing to encode."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import given
from hypothesis import strategies as st
from test_cli import portal, tiny_clip
from test_pipeline import SIMPLE, _counting_ffmpeg

from clipportal.media.shards import Shard, parse_shard, select, shard_of

KEYS = st.sets(st.text("0123456789abcdef", min_size=32, max_size=32), max_size=60)


@given(KEYS, st.integers(min_value=1, max_value=40))
def test_shards_partition_any_keys_exactly(keys: set[str], count: int) -> None:
    shards = [select(sorted(keys), Shard(k, count)) for k in range(1, count + 1)]
    assert sorted(k for shard in shards for k in shard) == sorted(keys)  # complete, disjoint


@given(KEYS, KEYS, st.integers(min_value=1, max_value=40))
def test_a_keys_shard_depends_on_the_key_alone(keys: set[str], others: set[str],
                                              count: int) -> None:
    """Stable: adding clips (other keys) never moves a clip to another shard."""
    for k in range(1, count + 1):
        alone = set(select(keys, Shard(k, count)))
        assert alone == set(select(keys | others, Shard(k, count))) & keys
    assert all(1 <= shard_of(key, count) <= count for key in keys)


def test_a_shard_is_the_same_number_on_every_machine() -> None:
    """No salted hash(): the shard is the key's value modulo N, written out here."""
    assert shard_of("0000000000000000000000000000000a", 3) == 10 % 3 + 1
    assert shard_of("ffffffffffffffffffffffffffffffff", 4) == (2**128 - 1) % 4 + 1


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0", "-1/2", ""])
def test_bad_shards_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_shard(text)


def test_good_shards_parse() -> None:
    assert parse_shard("2/3") == Shard(2, 3) and parse_shard(" 1 / 1 ") == Shard(1, 1)


def test_encode_with_a_bad_shard_is_a_usage_error(tmp_path: Path) -> None:
    root = portal(tmp_path, {})
    for text in ("0/3", "4/3", "x"):
        result = run_cli("encode", "--shard", text, str(root))
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert run_cli("encode", str(root)).returncode == 2


def _four_clip_portal(root: Path) -> Path:
    """Four clips with different content, so four different keys."""
    portal(root, {slug: SIMPLE for slug in ("a", "b", "c", "d")})
    for i, slug in enumerate("abcd"):
        tiny_clip(root / "videos" / f"{slug}.mp4", seconds=1.5 + i / 2)
    return root


def _entries(cache: Path) -> set[str]:
    return {p.name for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")}


@pytest.mark.slow
def test_three_shards_merged_leave_the_build_no_ffmpeg_to_run(tmp_path: Path) -> None:
    wrapper, log = _counting_ffmpeg(tmp_path)
    env = {"CLIPPORTAL_FFMPEG": str(wrapper)}
    source = _four_clip_portal(tmp_path / "source")
    listed = run_cli("encode", "--list-missing", str(source), env=env)
    missing = {line.split()[0] for line in listed.stdout.splitlines()}
    assert listed.returncode == 0 and len(missing) == 4, listed.stderr
    merged = tmp_path / "merged"
    shutil.copytree(source, merged)
    shards = []
    for k in (1, 2, 3):  # each runner: its own fresh checkout
        runner = tmp_path / f"runner{k}"
        shutil.copytree(source, runner)
        result = run_cli("encode", "--shard", f"{k}/3", str(runner), env=env)
        assert result.returncode == 0, result.stderr
        shards.append(_entries(runner / "build" / "cache"))
        shutil.copytree(runner / "build" / "cache", merged / "build" / "cache",
                        dirs_exist_ok=True)
    assert sum(len(s) for s in shards) == 4 and set().union(*shards) == missing
    assert "libx264" in log.read_text()
    log.unlink()
    assert run_cli("encode", "--list-missing", str(merged), env=env).stdout == ""
    built = run_cli("build", str(merged), env=env)
    assert built.returncode == 0, built.stderr
    assert "0 encoded, 4 from cache" in built.stderr.replace("\n", " ")
    assert not log.exists() or log.read_text() == "", log.read_text()


@pytest.mark.slow
def test_a_failed_clip_in_a_shard_exits_1_with_the_build_message(tmp_path: Path) -> None:
    root = portal(tmp_path, {"broken": SIMPLE})
    (root / "videos" / "broken.mp4").write_bytes(b"not a video at all")
    encoded = run_cli("encode", "--shard", "1/1", str(root))
    built = run_cli("build", str(root))
    assert encoded.returncode == built.returncode == 1
    messages = [line for line in built.stderr.splitlines() if line.startswith("videos/")]
    assert messages and all(line in encoded.stderr.splitlines() for line in messages)
