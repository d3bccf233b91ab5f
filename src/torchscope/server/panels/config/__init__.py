"""The Config panel's route: runs x hyper-parameters, linked to each scalar key's final/min/max.

Nested config dicts are flattened with dots (``{"opt": {"lr": 1e-3}}`` -> ``opt.lr``). Metrics
come from one downsampling bucket per key (last, min and max over every point, cheap from the
store's block summaries) and from the run summary.

Example::

    GET /api/config/table?run=a1&run=b2
      -> {"rows": [{"run": "a1", "config": {"lr": 0.001}, "metrics": {"val/acc": {"last": .9, ...}}}]}
"""

from __future__ import annotations

from typing import Any

from ...apidoc import RUN
from ...context import PanelContext
from ...endpoint import Query, endpoint
from ...params import run_ids
from ...registry import Panel
from .report import report

MAX_KEYS = 50


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``flatten({"a": {"b": 1}})`` -> ``{"a.b": 1}``; lists become their JSON-ish text."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, name + "."))
        elif isinstance(v, (list, tuple)):
            out[name] = str(list(v))
        else:
            out[name] = v
    return out


def table(ctx: PanelContext, q: Query) -> dict[str, Any]:
    store = ctx.provider
    wanted = run_ids(q)
    infos = {r.id: r for r in store.runs()}
    rows = []
    for rid in wanted:
        info = infos.get(rid)
        if info is None:
            continue
        metrics: dict[str, dict[str, Any]] = {}
        for k in store.keys(rid, kind="scalar")[:MAX_KEYS]:
            if k.rank != 0 or k.count == 0:
                continue
            s = store.scalars(rid, k.key, downsample=1)
            if len(s):
                lo = s.min[0] if s.min is not None else s.value[0]
                hi = s.max[0] if s.max is not None else s.value[0]
                metrics[k.key] = {"last": float(s.value[-1]), "min": float(lo), "max": float(hi),
                                  "step": int(s.step[-1])}
        rows.append({"run": rid, "name": info.name, "status": info.status, "config": flatten(info.config),
                     "summary": flatten(info.summary), "metrics": metrics})
    return {"rows": rows}


PANEL = Panel(
    name="config", report=report, title="Config", order=50,
    routes=[endpoint("/table", table)],
    api_doc={"/table": {"summary": "Hyper-parameters and final/min/max metrics per run", "params": {"run": RUN}}},
)
