"""The text panel's part of the static report: each key's texts.

The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import keys_of, plural

__all__ = ["report"]


def report(ctx: Any) -> str | None:
    keys = keys_of(ctx, "text")
    for k in keys:
        ctx.snap.json("text/entries", {"key": k["key"], "run": ctx.ids})
    return plural(len(keys), "key") if keys else None
