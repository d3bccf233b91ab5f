"""The explain panel's part of the static report: every attribution with its samples.

The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import plural

__all__ = ["report"]


def report(ctx: Any) -> str | None:
    snap, most = ctx.snap, ctx.limits.max_samples
    found = attributions = 0
    for rid in ctx.ids:
        idx = snap.json("explain/index", {"run": rid})
        if not idx or not (idx["attributions"] or idx["feature_maps"] or idx["filters"] or idx["topk"]):
            continue
        found += 1
        for a in idx["attributions"]:
            attributions += 1
            one = {"run": rid, "key": a["key"], "step": a["step"]}
            snap.url("explain/gallery.png", one)
            for i in range(min(a["n"], most)):
                snap.url("explain/image.png", {**one, "i": i})
                snap.url("explain/heat.png", {**one, "i": i})
        for route, entries in (("explain/maps.png", idx["feature_maps"]), ("explain/filters.png", idx["filters"])):
            for e in entries:
                snap.url(route, {"run": rid, "key": e["key"], "step": e["step"]})
    return f"{plural(found, 'run')}, {plural(attributions, 'attribution')}" if found else None
