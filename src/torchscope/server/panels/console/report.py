"""The Console panel's part of the static report: each run's whole console and its code snapshot.

The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import plural

__all__ = ["report"]


def report(ctx: Any) -> str | None:
    found = chunks = 0
    for rid in ctx.ids:
        got = ctx.snap.json("console/tail", {"run": rid})
        snapshot = ctx.snap.json("console/code", {"run": rid})
        if (got and got["chunks"]) or (snapshot and snapshot["code"]):
            found += 1
            chunks += len(got["chunks"]) if got else 0
    return f"{plural(found, 'run')}, {plural(chunks, 'console chunk')}" if found else None
