"""The images panel's part of the static report: each key's index and the images of up to max_steps steps.

The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import evenly, keys_of, plural

__all__ = ["report"]


def report(ctx: Any) -> str | None:
    keys = keys_of(ctx, "image")
    if not keys:
        return None
    n = 0
    for k in keys:
        idx = ctx.snap.json("images/index", {"key": k["key"], "run": ctx.ids})
        if not idx:
            continue
        steps = sorted({e["step"] for rows in idx["runs"].values() for e in rows})
        most = min(ctx.limits.max_steps, max(2, ctx.limits.max_images // max(1, len(idx["runs"]))))
        kept = set(evenly(steps, most))
        for rid, rows in idx["runs"].items():
            for e in rows:
                if e["step"] in kept and ctx.snap.url("images/blob", {"key": k["key"], "run": rid, "step": e["step"],
                                                                      "index": e["index"]}) is not None:
                    n += 1
    return f"{plural(len(keys), 'key')}, {plural(n, 'image')}"
