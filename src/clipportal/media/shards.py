"""Splitting the media jobs of a portal over N machines (CI runners) by cache key.

A job's shard is a function of its key alone, so every runner computes the same split
without talking to the others, every job lands in exactly one shard, and adding a clip
never moves another clip to a different shard."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    def holds(self, key: str) -> bool:
        return shard_of(key, self.count) == self.index


def parse_shard(text: str) -> Shard:
    """`K/N` with 1 ≤ K ≤ N; ValueError with a plain message otherwise."""
    match = _SHARD.fullmatch(text)
    if match is None:
        raise ValueError(f"'{text}' is not K/N (e.g. 2/4)")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= index <= count:
        raise ValueError(f"'{text}': K must be between 1 and N")
    return Shard(index, count)


def shard_of(key: str, count: int) -> int:
    """The 1-based shard of a cache key (a hex digest, so already uniformly spread)."""
    return int(key, 16) % count + 1


def select(keys: Iterable[str], shard: Shard) -> list[str]:
    return [key for key in keys if shard.holds(key)]
