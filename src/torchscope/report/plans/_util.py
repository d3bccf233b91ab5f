"""Helpers for the panels' report parts: evenly spaced picks, counts in words, key listings, record addresses."""

from __future__ import annotations

from typing import Any

__all__ = ["evenly", "keys_of", "plural", "record_address"]


def evenly(items: list[Any], most: int) -> list[Any]:
    """At most ``most`` items, evenly spaced, first and last kept: ``evenly(list(range(10)), 3) == [0, 4, 9]``."""
    if len(items) <= most:
        return list(items)
    if most <= 1:
        return [items[-1]]
    picks = sorted({round(i * (len(items) - 1) / (most - 1)) for i in range(most)})
    return [items[i] for i in picks]


def plural(n: int, word: str) -> str:
    """``plural(1, "key") == "1 key"``, ``plural(3, "key") == "3 keys"``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def keys_of(ctx: Any, kind: str) -> list[dict[str, Any]]:
    """The runs' keys of ``kind`` as the dashboard lists them (``/api/keys``), kept for the page."""
    got = ctx.snap.json("keys", {"run": ctx.ids, "kind": kind})
    return got["keys"] if got else []


def record_address(v: dict[str, Any], rid: str) -> dict[str, Any]:
    """The query that addresses one data view of a record (run, key, id, part)."""
    return {"run": rid, "key": v["key"], "id": v["id"], "part": v["part"]}
