"""The evaluation panel's part of the static report: every evaluation record and its images.

The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import plural

__all__ = ["report"]


def report(ctx: Any) -> str | None:
    snap = ctx.snap
    index = snap.json("evaluation/index", {"run": ctx.ids})
    if not index or not any(index["runs"].get(r) for r in ctx.ids):
        return None
    n = 0
    for rid in ctx.ids:
        for e in index["runs"].get(rid, []):
            q = {"run": rid, "kind": e["kind"], "key": e["key"], "step": e["step"]}
            rec = snap.json("evaluation/record", q)
            n += rec is not None
            if rec and e["kind"] == "eval.mistakes" and rec["data"].get("images", {}).get("kept"):
                snap.url("evaluation/mistakes.png", {"run": rid, "key": e["key"], "step": e["step"]})
    return plural(n, "record")
