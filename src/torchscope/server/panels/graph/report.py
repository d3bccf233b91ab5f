"""The graph panel's part of the static report: the graph index and layouts one fold away.

The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import plural

__all__ = ["report"]


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


def report(ctx: Any) -> str | None:
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
