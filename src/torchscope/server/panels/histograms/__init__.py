"""The Histograms panel's route: a key's histograms over time, thinned to at most ``limit`` steps.

Example::

    GET /api/histograms/series?key=weights/fc&run=a1&limit=100
      -> {"runs": {"a1": [{"step": 0, "lo": -1.0, "hi": 1.0, "counts": [...]}, ...]}}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ....errors import NotFound
from ...apidoc import RUN, Param
from ...context import PanelContext
from ...endpoint import Query, endpoint
from ...params import int_param, run_ids, text_param
from ...registry import Panel
from .report import report


def series(ctx: PanelContext, q: Query) -> dict[str, Any]:
    store = ctx.provider
    key = text_param(q, "key")
    limit = int_param(q, "limit", 100, 1, 5000)
    out: dict[str, list[dict[str, Any]]] = {}
    for rid in run_ids(q):
        try:
            entries = store.histograms(rid, key)
        except NotFound:
            continue
        if len(entries) > limit:  # keep the first and last, evenly spaced between
            pick = np.unique(np.linspace(0, len(entries) - 1, limit).round().astype(int))
            entries = [entries[i] for i in pick]
        out[rid] = [{"step": e.step, "wall_time": e.wall_time, "lo": e.lo, "hi": e.hi, "counts": e.counts,
                     "stats": e.stats} for e in entries]
    return {"key": key, "runs": out}


PANEL = Panel(
    name="histograms", report=report, title="Histograms", order=30,
    routes=[endpoint("/series", series)],
    api_doc={"/series": {"summary": "Histograms of a key over time per run",
                         "params": {"key": Param("histogram key", required=True), "run": RUN,
                                    "limit": Param("most steps (default 100)", type="integer", minimum=1,
                                                   maximum=5000)}}},
)
