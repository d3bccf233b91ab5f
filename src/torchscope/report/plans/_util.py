"""Small helpers of the plans: evenly spaced picks, counts in words."""

from __future__ import annotations

from typing import Any

__all__ = ["evenly", "plural"]


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
