"""The config panel's part of the static report: the one config table.

The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import plural

__all__ = ["report"]


def report(ctx: Any) -> str | None:
    got = ctx.snap.json("config/table", {"run": ctx.ids})
    rows = got["rows"] if got else []
    if not rows or not any(r["config"] or r["metrics"] or r["summary"] for r in rows):
        return None
    return plural(len(rows), "run")
