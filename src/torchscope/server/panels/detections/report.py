"""The detections panel's part of the static report: every detection record and its image.

The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import plural

__all__ = ["report"]


def report(ctx: Any) -> str | None:
    snap = ctx.snap
    index = snap.json("detections/index", {"run": ctx.ids})
    n = 0
    for rid in ctx.ids:
        for e in (index or {"runs": {}})["runs"].get(rid, []):
            q = {"run": rid, "key": e["key"], "step": e["step"]}
            rec = snap.json("detections/record", q)
            if rec is None:
                continue
            n += 1
            snap.url("detections/image.png", q)
            if rec.get("masks"):
                snap.url("detections/masks.png", q)
    return plural(n, "image") if n else None
