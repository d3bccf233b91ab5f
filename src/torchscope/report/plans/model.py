"""Plans for the model panels: Graph and Health (see ``__init__``).

Graph: per run, the graph record, its default, fully expanded and collapsed layouts and the
layouts one fold away from the default (expand one node, or collapse one: what a click does), up
to ``limits.graph_views``; a click further away gets the nearest kept view (``web/offline.js``
compares expanded sets). The summary table and the ``run.watch`` histograms of every parameter.
The Health panel's graph asks the same with ``key=``: those requests are kept as aliases.

Health: per watched run, the overview, each statistic's heat map, the graph map, and each
layer's histograms at up to 8 steps and at every alarm's step (a click gets the nearest).

Example::

    model.graph(ctx)   # "1 graph, 24 views"
"""

from __future__ import annotations

from typing import Any

from ._util import evenly, plural

__all__ = ["graph", "health"]

COLS = 800  # heat-map columns (the panel asks for ~0.78 x its width; the nearest answers)


def _views(layout: dict[str, Any], record: dict[str, Any]) -> list[tuple[str, str]]:
    """The (expand, collapse) pairs one click away from a layout."""
    expanded = set(layout.get("expanded", []))
    nodes = record.get("nodes", [])
    shown = {n["id"] for n in layout.get("nodes", [])}
    clusters = {c["id"] for c in layout.get("clusters", [])}
    out = [(str(i), "") for i in sorted(shown) if i not in expanded and i < len(nodes)
           and (nodes[i].get("has_children") or any(n["id"] == i and n.get("expandable") for n in layout["nodes"]))]
    out += [("", str(i)) for i in sorted(expanded & (shown | clusters)) if i != 0]
    return out


def graph(ctx: Any) -> str | None:
    snap, lim = ctx.snap, ctx.limits
    index = snap.json("graph/index", {"run": ctx.ids})
    if not index:
        return None
    graphs = views = 0
    for rid in ctx.ids:
        idx = index["runs"].get(rid) or {}
        if idx.get("summaries"):
            snap.json("graph/summary", {"run": rid})
        if not idx.get("graphs"):
            continue
        key = idx["graphs"][-1]["key"]
        record = snap.json("graph/record", {"run": rid})
        if record is None:
            continue
        graphs += 1
        snap.json("graph/record", {"run": rid, "key": key})
        base = {"run": rid}
        default = snap.json("graph/layout", {**base, "base": "default"})
        for b in ("all", "none"):
            snap.json("graph/layout", {**base, "base": b})
        views += 3
        for expand, collapse in (_views(default, record) if default else [])[:lim.graph_views]:
            if snap.json("graph/layout", {**base, "base": "default", "expand": expand, "collapse": collapse}):
                views += 1
        for b in ("default", "all", "none"):  # the Health panel's graph asks with the key
            snap.json("graph/layout", {**base, "key": key, "base": b})
        names = sorted({p for n in record.get("nodes", []) for p in (n.get("param_names") or [])})
        for i in range(0, len(names), 64):  # the route answers 64 names at a time
            snap.json("graph/weights", {"run": rid, "names": ",".join(names[i:i + 64])})
    if not graphs and not any((index["runs"].get(r) or {}).get("summaries") for r in ctx.ids):
        return None
    return f"{plural(graphs, 'graph')}, {plural(views, 'view')}"


def health(ctx: Any) -> str | None:
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
