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

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from ....errors import NotFound
from ...apidoc import RUN, Param
from ...context import context
from ...encode import JSON
from ...params import run_ids, text_param
from ...registry import Panel
from .data import BASES, graph_index, layout_view, load, parse_ids, weight_histograms
from .report import report


def _one_run(request: Request) -> str:
    return run_ids(request)[0]


def _record(request: Request, kind: str) -> Any:
    rid, key = _one_run(request), text_param(request, "key", "")
    try:
        return load(context(request).provider, rid, kind, key)
    except NotFound as e:
        raise HTTPException(404, str(e.args[0] if e.args else e)) from None


def _ids(request: Request, name: str) -> list[int]:
    try:
        return parse_ids(text_param(request, name, "", max_len=100_000))
    except ValueError as e:
        raise HTTPException(400, f"parameter {name!r}: {e}") from None


def index(request: Request) -> JSON:
    store = context(request).provider
    return JSON({"runs": {rid: graph_index(store, rid) for rid in run_ids(request)}})


def record(request: Request) -> JSON:
    return JSON(_record(request, "model.graph").to_dict()[0])


def layout(request: Request) -> JSON:
    base = text_param(request, "base", "default")
    if base not in BASES:
        raise HTTPException(400, f"base must be one of {', '.join(BASES)}")
    g = _record(request, "model.graph")
    return JSON(layout_view(g, base, _ids(request, "expand"), _ids(request, "collapse")))


def summary(request: Request) -> JSON:
    return JSON(_record(request, "model.summary").to_dict()[0])


def weights(request: Request) -> JSON:
    names = [n for n in text_param(request, "names", "", max_len=20_000).split(",") if n][:64]
    return JSON({"weights": weight_histograms(context(request).provider, _one_run(request), names)})


_RUN = {"run": RUN, "key": "record key (default: the latest)"}
_IDS = "^([0-9]{1,9}(,[0-9]{1,9})*)?$"
PANEL = Panel(
    name="graph", report=report, title="Graph", order=58,
    routes=[Route("/index", index), Route("/record", record), Route("/layout", layout),
            Route("/summary", summary), Route("/weights", weights)],
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
