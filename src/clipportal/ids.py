"""Unique element ids from times: transcript paragraphs and caption cues are both `t-<seconds>`,
and two starting in the same second must still get ids of their own."""

from __future__ import annotations

from collections.abc import Iterable


def unique_ids(ids: Iterable[str]) -> list[str]:
    """`ids` in order, a repeated one suffixed -2, -3 … (never clashing with one already used)."""
    seen: set[str] = set()
    unique: list[str] = []
    for base in ids:
        ident, n = base, 1
        while ident in seen:
            n += 1
            ident = f"{base}-{n}"
        seen.add(ident)
        unique.append(ident)
    return unique
