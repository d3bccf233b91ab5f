"""The Graph panel's routes: a run's model graphs and summaries, laid-out views, weight histograms.

Example::

    GET /api/graph/index?run=a1                      -> {"graphs": [{"key": "model/graph", ...}], "summaries": [...]}
    GET /api/graph/record?run=a1                     -> the graph record's JSON (nodes, edges; docs/model.md)
    GET /api/graph/layout?run=a1&base=default&expand=412&collapse=
      -> {"width", "height", "nodes": [{id, x, y, w, h, ...}], "edges": [...], "clusters": [...], "expanded": [...]}
    GET /api/graph/summary?run=a1                    -> the summary record's JSON (rows, totals)
    GET /api/graph/weights?run=a1&names=0.weight,0.bias  -> latest watch/<layer>/<param> histograms
"""

from __future__ import annotations

from typing import Any

from ....errors import InvalidArgument
from ...apidoc import RUN, Param
from ...context import PanelContext
from ...endpoint import Query, endpoint
from ...params import one_run, run_ids, text_param
from ...registry import Panel
from .data import BASES, graph_index, layout_view, load, parse_ids, weight_histograms
from .report import report


def _record(ctx: PanelContext, q: Query, kind: str) -> Any:
    """The record of ``kind`` under ``?key=`` (the latest without one); NotFound (404) if none."""
    return load(ctx.provider, one_run(q), kind, text_param(q, "key", ""))


def _ids(q: Query, name: str) -> list[int]:
    try:
        return parse_ids(text_param(q, name, "", max_len=100_000))
    except ValueError as e:  # InvalidArgument, or int() of a bad id: what the reader gave
        raise InvalidArgument(f"parameter {name!r}: {e}") from None


def index(ctx: PanelContext, q: Query) -> dict[str, Any]:
    return {"runs": {rid: graph_index(ctx.provider, rid) for rid in run_ids(q)}}


def record(ctx: PanelContext, q: Query) -> dict[str, Any]:
    return _record(ctx, q, "model.graph").to_dict()[0]


def layout(ctx: PanelContext, q: Query) -> dict[str, Any]:
    base = text_param(q, "base", "default")
    if base not in BASES:
        raise InvalidArgument(f"base must be one of {', '.join(BASES)}")
    g = _record(ctx, q, "model.graph")
    return layout_view(g, base, _ids(q, "expand"), _ids(q, "collapse"))


def summary(ctx: PanelContext, q: Query) -> dict[str, Any]:
    return _record(ctx, q, "model.summary").to_dict()[0]


def weights(ctx: PanelContext, q: Query) -> dict[str, Any]:
    names = [n for n in text_param(q, "names", "", max_len=20_000).split(",") if n][:64]
    return {"weights": weight_histograms(ctx.provider, one_run(q), names)}


_RUN = {"run": RUN, "key": "record key (default: the latest)"}
_IDS = "^([0-9]{1,9}(,[0-9]{1,9})*)?$"
PANEL = Panel(
    name="graph", report=report, title="Graph", order=58,
    routes=[endpoint("/index", index), endpoint("/record", record), endpoint("/layout", layout),
            endpoint("/summary", summary), endpoint("/weights", weights)],
    api_doc={
        "/index": {"summary": "Model graphs and summaries logged in runs", "params": {"run": RUN}},
        "/record": {"summary": "A model.graph record (nodes, edges)", "params": _RUN},
        "/layout": {"summary": "A laid-out view of a model graph", "params": {
            **_RUN, "base": Param("default | all | none", enum=BASES),
            "expand": Param("ids to expand (1,4-6)", max_length=100_000, pattern=_IDS),
            "collapse": Param("ids to collapse", max_length=100_000, pattern=_IDS)}},
        "/summary": {"summary": "A model.summary record (rows, totals)", "params": _RUN},
        "/weights": {"summary": "Latest watch histograms of parameters",
                     "params": {"run": RUN, "names": Param("parameter names, comma-separated", max_length=20_000)}},
    },
)
