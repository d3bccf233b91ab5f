"""The gan panel's part of the static report: curves, timeline images and the explorer's sweeps.

The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import evenly, plural

__all__ = ["report"]


SWEEP = (-3, -2, -1, 1, 2, 3)


def report(ctx: Any) -> str | None:
    snap = ctx.snap
    got = snap.json("gan/runs", {"run": ctx.ids})
    runs = (got or {}).get("runs", [])
    if not runs:
        return None
    samples = explored = 0
    for r in runs:
        rid = r["id"]
        ov = snap.json("gan/overview", {"run": rid, "buckets": 512})
        if not ov:
            continue
        for t in evenly(ov.get("timeline", []), ctx.limits.max_steps):
            samples += snap.url("gan/sample", {"run": rid, "step": t["step"]}) is not None
        if not ov.get("checkpoint"):
            continue
        d = snap.json("gan/directions", {"run": rid})
        if not d:
            continue
        k = int(d["k"])
        vectors = [[0.0] * k]
        for i in range(k):
            for v in SWEEP:
                vec = [0.0] * k
                vec[i] = float(v)
                vectors.append(vec)
        for vec in vectors:
            explored += snap.url("gan/explore", {"run": rid, "s": ",".join(f"{v:.2f}" for v in vec)}) is not None
    return f"{plural(len(runs), 'run')}, {plural(samples, 'checkpoint')}, {plural(explored, 'explorer image')}"
