"""The health panel's part of the static report: rank 0's heat maps, histograms and alarms.

The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import evenly, plural

__all__ = ["report"]


COLS = 800


def report(ctx: Any) -> str | None:
    snap = ctx.snap
    got = snap.json("health/runs", {"run": ctx.ids})
    usable = [w["run"] for w in (got or {}).get("runs", []) if w.get("layers")]
    if not usable:
        return None
    maps = hists = 0
    for rid in usable:
        overview = snap.json("health/overview", {"run": rid})
        gmap = snap.json("health/graph_map", {"run": rid})
        graph_key = ((gmap or {}).get("graph") or {}).get("key")
        if graph_key is not None:  # the card's own graph requests, also when the Graph panel is left out
            snap.json("graph/record", {"run": rid, "key": graph_key})
            for b in ("default", "all", "none"):
                snap.json("graph/layout", {"run": rid, "key": graph_key, "base": b})
        if not overview:
            continue
        steps: set[int] = set()
        layers: list[str] = []
        for stat in overview.get("stats", []):
            m = snap.json("health/matrix", {"run": rid, "stat": stat, "cols": COLS})
            if m:
                maps += 1
                steps.update(int(s) for s in m["steps"])
                layers = layers or m["layers"]
        picked = set(evenly(sorted(steps), 8)) | {int(a["step"]) for a in overview.get("alarms", [])
                                                  if isinstance(a.get("step"), int)}
        for layer in layers:
            for step in sorted(picked):
                if snap.json("health/histograms", {"run": rid, "layer": layer, "step": step}):
                    hists += 1
    return f"{plural(len(usable), 'watched run')}, {plural(maps, 'heat map')}, {plural(hists, 'histogram view')}"
