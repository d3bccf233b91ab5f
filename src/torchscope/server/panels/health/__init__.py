"""The Health panel's routes: what ``run.watch(model)`` saw inside the network, per layer and step.

``/api/health/runs`` says which of the given runs were watched (layers, alarms);
``/api/health/overview`` lists one run's layers, statistics, learning-rate keys and alarms;
``/api/health/matrix`` is the layers x steps heat map of one statistic; ``/api/health/histograms``
a layer's weight and gradient histograms at the logged step nearest to the one asked for;
``/api/health/graph_map`` which watched layers each node of the run's model graph stands for.
Everything is read through the store (finished runs' series through the server's cache).

Example::

    GET /api/health/matrix?run=a1b2&stat=grad_norm&cols=400
      -> {"layers": ["0", "2"], "steps": [0, 100], "values": [[0.1, 0.08], [0.3, "NaN"]], "scale": "log"}
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from ...encode import JSON
from ...params import int_param, run_ids, text_param
from ...registry import Panel
from .data import LOG_STATS, STATS, alarms, layer_histograms, matrix, watch_keys
from .graphmap import graph_map


def _one_run(request: Request) -> str:
    run_id = run_ids(request)[0]
    view = request.app.state.runs
    if run_id not in view.get():
        view.invalidate()  # created in the last second?
        if run_id not in view.get():
            raise KeyError(f"no run with id {run_id!r}")
    return run_id


def runs(request: Request) -> JSON:
    """For each run: how many layers were watched and how many alarms it raised."""
    known = request.app.state.runs.get()
    out = []
    for rid in run_ids(request):
        if rid not in known:
            continue
        keys = watch_keys(request.app.state.series, rid)
        out.append({"run": rid, "layers": len(keys.layers), "alarms": keys.alarm_count})
    return JSON({"runs": out})


def overview(request: Request) -> JSON:
    rid = _one_run(request)
    store = request.app.state.store
    keys = watch_keys(request.app.state.series, rid)
    stats = [s for s in STATS if s in keys.stats]
    return JSON({"run": rid, "layers": keys.layers, "stats": stats, "log_stats": list(LOG_STATS),
                 "counts": {s: len(keys.stats[s]) for s in stats}, "lr": keys.lr,
                 "histograms": {layer: len(v) for layer, v in keys.histograms.items()},
                 "alarms": alarms(store, rid)})


def heat(request: Request) -> JSON:
    rid = _one_run(request)
    stat = text_param(request, "stat", "grad_norm")
    if stat not in STATS:
        raise HTTPException(400, f"stat must be one of {', '.join(STATS)}")
    cols = int_param(request, "cols", 400, 2, 5000)
    keys = watch_keys(request.app.state.series, rid)
    return JSON(matrix(request.app.state.series, rid, keys, stat, cols))


def histograms(request: Request) -> JSON:
    rid = _one_run(request)
    layer = text_param(request, "layer", max_len=500)
    step = int_param(request, "step", 0, -1, 2**62)
    keys = watch_keys(request.app.state.series, rid)
    out: dict[str, Any] = {"run": rid, "layer": layer, "step": step,
                           "params": layer_histograms(request.app.state.store, rid, keys, layer, step)}
    return JSON(out)


def graph_layers(request: Request) -> JSON:
    """The run's latest model graph (or the one logged under ``key``) mapped onto its watched layers."""
    rid = _one_run(request)
    key = text_param(request, "key", "", max_len=500) or None
    keys = watch_keys(request.app.state.series, rid)
    entries = request.app.state.store.records(rid, kind="model.graph", key=key)
    if not entries:
        return JSON({"run": rid, "graph": None, "layers": keys.layers, "ids": [], "covers": [], "layer_nodes": [],
                     "unmatched": keys.layers, "aggregate": "max"})
    e = entries[-1]
    return JSON({"run": rid, **graph_map(e.record, e.key, e.step, keys.layers)})


_RUN = {"run": "run id"}
PANEL = Panel(
    name="health", title="Health", order=55,
    routes=[Route("/runs", runs), Route("/overview", overview), Route("/matrix", heat),
            Route("/histograms", histograms), Route("/graph_map", graph_layers)],
    api_doc={
        "/runs": {"summary": "Which of the runs were watched: layers and alarm counts",
                  "params": {"run": "run id, repeatable"}},
        "/overview": {"summary": "One run's watched layers, statistics, learning-rate keys and alarms",
                      "params": _RUN},
        "/matrix": {"summary": "Layers x steps of one statistic (cols buckets at most)",
                    "params": {**_RUN, "stat": f"one of {', '.join(STATS)}", "cols": "most columns (default 400)"}},
        "/histograms": {"summary": "A layer's weight and gradient histograms at the logged step nearest to step",
                        "params": {**_RUN, "layer": "layer name", "step": "training step"}},
        "/graph_map": {"summary": "Which watched layers each node of the model graph covers (graph: null if none)",
                       "params": {**_RUN, "key": "model.graph record key (default: the latest)"}},
    },
)
