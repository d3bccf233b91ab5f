"""The Overview's part of the static report: the stage cards and their picture thumbnails.

The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import plural

__all__ = ["report"]


def report(ctx: Any) -> str | None:
    got = ctx.snap.json("overview/stages", {"run": ctx.ids})
    if not got:
        return None
    shown = [s for s in got["stages"] if s["runs"]]
    for s in shown:
        if s["thumb"] and s["thumb"]["type"] == "image":
            ctx.snap.url("overview/thumb", s["thumb"]["params"])
    return f"{plural(len(shown), 'stage')} of {len(got['stages'])} with something logged"
