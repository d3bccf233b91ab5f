"""Reading model graphs and summaries from the store for the Graph panel, and laying out views.

A view is sent as ``base`` (``default``: the record's own expansion, ``all``: every module and
folded block open, ``none``: only the root) plus ids to ``expand`` and to ``collapse`` on top of
it, so a view stays a short URL however many modules are open. The layout itself is
``ModelGraph.layout()`` (torchscope's layered drawing, see :mod:`torchscope.model.layout`).

Example: ``layout_view(g, base="default", expand=[412], collapse=[])["nodes"][0]["x"]``
"""

from __future__ import annotations

import dataclasses
from typing import Any

from torchscope.model import ModelGraph
from torchscope.model.svg import PALETTE

from ....errors import InvalidArgument
from ....store.provider import Provider

__all__ = ["expanded_set", "graph_index", "layout_view", "load", "parse_ids", "weight_histograms"]

BASES = ("default", "all", "none")


def parse_ids(text: str) -> list[int]:
    """Ids from ``"3,7,12-15"`` (ranges allowed): ``parse_ids("1,4-6") == [1, 4, 5, 6]``."""
    out: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        lo, _, hi = part.partition("-")
        a, b = int(lo), int(hi or lo)
        if b < a or b - a > 1_000_000:
            raise InvalidArgument(f"bad id range {part!r}")
        out.extend(range(a, b + 1))
    return out


def load(store: Provider, run_id: str, kind: str, key: str | None) -> Any:
    """The latest record of ``kind`` (and ``key``) in a run; KeyError when there is none."""
    return store.latest(run_id, kind, key=key or None)


def graph_index(store: Provider, run_id: str) -> dict[str, Any]:
    """The graphs and summaries logged in a run, newest last, without their node lists."""
    graphs = [{"key": e.key, "step": e.step, "model": e.record.model, "nodes": len(e.record.nodes),
               "edges": len(e.record.edges), "total_params": e.record.total_params,
               "total_flops": e.record.total_flops, "error": e.record.error}
              for e in store.records(run_id, kind="model.graph")]
    summaries = [{"key": e.key, "step": e.step} for e in store.records(run_id, kind="model.summary")]
    return {"graphs": graphs, "summaries": summaries}


def expanded_set(g: ModelGraph, base: str, expand: list[int], collapse: list[int]) -> set[int]:
    """The expanded ids of a view: ``base`` plus ``expand`` minus ``collapse`` (unknown ids dropped)."""
    if base == "all":
        ids = {n["id"] for n in g.nodes if n.get("has_children")}
    elif base == "none":
        ids = set()
    else:
        ids = g.expanded_ids()
    valid = range(len(g.nodes))
    return (ids | {i for i in expand if i in valid}) - set(collapse)


def layout_view(g: ModelGraph, base: str, expand: list[int], collapse: list[int]) -> dict[str, Any]:
    """Positioned JSON of a view (``ModelGraph.layout()``) plus the palette and the expanded ids."""
    ids = expanded_set(g, base, expand, collapse)
    out = dataclasses.replace(g, expanded=sorted(ids)).layout()
    out["expanded"] = sorted(ids)
    out["palette"] = {k: list(v) for k, v in PALETTE.items()}
    return out


def weight_histograms(store: Provider, run_id: str, names: list[str]) -> dict[str, Any]:
    """The latest ``watch/<layer>/<param>`` histogram of each parameter name (``"0.weight"``).

    Keys are matched on their ending ``/<layer>/<param>`` under any prefix that ``run.watch``
    was given; gradients (``.grad``) are left out.
    """
    keys = [k.key for k in store.keys(run_id, kind="histogram") if k.rank == 0 and not k.key.endswith(".grad")]
    out: dict[str, Any] = {}
    for name in names:
        layer, _, param = name.rpartition(".")
        tail = f"/{layer}/{param}" if layer else f"/{param}"
        hits = sorted((k for k in keys if k.endswith(tail)), key=lambda k: not k.startswith("watch/"))
        if not hits:
            continue
        entries = store.histograms(run_id, hits[0])
        if entries:
            e = entries[-1]
            out[name] = {"key": hits[0], "step": e.step, "steps": len(entries), "lo": e.lo, "hi": e.hi,
                         "counts": e.counts, "stats": e.stats}
    return out
