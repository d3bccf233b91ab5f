"""The Health panel's routes: what ``run.watch(model)`` saw inside the network, per layer and step.

``/api/health/runs`` says which of the given runs were watched (layers, alarms);
``/api/health/overview`` lists one run's layers, statistics, learning-rate keys and alarms;
``/api/health/matrix`` is the layers x steps heat map of one statistic; ``/api/health/histograms``
a layer's weight and gradient histograms at the logged step nearest to the one asked for;
``/api/health/graph_map`` which watched layers each node of the run's model graph stands for.
Everything is read through the store (finished runs' series through the server's cache).

A run logged by several processes (``ts.init(..., all_ranks=True)``, ``run.watch`` on each) keeps
each rank's statistics: every route reads one rank (``rank=1``; default 0, a bad value is a 400),
the overview lists the ranks with watch data (``ranks``) and every rank's alarms, each with its
``rank``. ``/runs`` without ``rank`` counts every rank's alarms.

Example::

    GET /api/health/matrix?run=a1b2&stat=grad_norm&cols=400
      -> {"layers": ["0", "2"], "steps": [0, 100], "values": [[0.1, 0.08], [0.3, "NaN"]], "scale": "log"}
    GET /api/health/matrix?run=a1b2&stat=act_mean&rank=3      (rank 3's heat map)
"""

from __future__ import annotations

from typing import Any

from ....errors import InvalidArgument
from ...apidoc import RUN, Param
from ...context import PanelContext
from ...endpoint import Query, endpoint
from ...params import int_param, one_run, run_ids, text_param
from ...registry import Panel
from .data import LOG_STATS, STATS, WatchKeys, alarms, layer_histograms, matrix, watch_keys
from .graphmap import graph_map
from .report import report

MAX_RANK = 100000  # as the Scalars panel's rank parameter


def _rank(q: Query) -> int:
    """The ``rank`` parameter: the rank whose watch data to read (default 0)."""
    return int_param(q, "rank", 0, 0, MAX_RANK)


def _keys(ctx: PanelContext, q: Query, rid: str) -> WatchKeys:
    """The watch keys of run ``rid`` at the request's rank."""
    return watch_keys(ctx.provider, rid, _rank(q))


def _one_run(ctx: PanelContext, q: Query) -> str:
    run_id = one_run(q)
    ctx.provider.run(run_id)  # NotFound (404) for an unknown run
    return run_id


def runs(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """For each run: how many layers were watched and how many alarms it raised. With ``rank``: at that
    rank; without: the layers of rank 0 (of the lowest watched rank when rank 0 watched none) and the
    alarms of every rank."""
    reader = ctx.provider
    known = reader.by_id()
    asked = _rank(q) if q.get("rank") not in (None, "") else None
    out = []
    for rid in run_ids(q):
        if rid not in known:
            continue
        keys = watch_keys(reader, rid, 0 if asked is None else asked)
        if asked is None and not keys.layers and keys.ranks and keys.ranks[0] != 0:
            keys = watch_keys(reader, rid, keys.ranks[0])
        count = keys.alarm_count if asked is not None else sum(keys.alarm_counts.values())
        out.append({"run": rid, "layers": len(keys.layers), "alarms": count})
    return {"runs": out}


def overview(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """One run at one rank: its layers, statistics, lr keys, histograms; the ranks with watch data; the
    alarms of every rank (each with its ``rank``)."""
    rid = _one_run(ctx, q)
    store = ctx.provider
    keys = _keys(ctx, q, rid)
    stats = [s for s in STATS if s in keys.stats]
    return {"run": rid, "rank": keys.rank, "ranks": keys.ranks, "layers": keys.layers, "stats": stats,
                 "log_stats": list(LOG_STATS), "counts": {s: len(keys.stats[s]) for s in stats}, "lr": keys.lr,
                 "histograms": {layer: len(v) for layer, v in keys.histograms.items()},
                "alarms": alarms(store, rid, keys.run_ranks)}


def heat(ctx: PanelContext, q: Query) -> dict[str, Any]:
    rid = _one_run(ctx, q)
    stat = text_param(q, "stat", "grad_norm")
    if stat not in STATS:
        raise InvalidArgument(f"stat must be one of {', '.join(STATS)}")
    cols = int_param(q, "cols", 400, 2, 5000)
    keys = _keys(ctx, q, rid)
    return matrix(ctx.provider, rid, keys, stat, cols)


def histograms(ctx: PanelContext, q: Query) -> dict[str, Any]:
    rid = _one_run(ctx, q)
    layer = text_param(q, "layer", max_len=500)
    step = int_param(q, "step", 0, -1, 2**62)
    keys = _keys(ctx, q, rid)
    return {"run": rid, "rank": keys.rank, "layer": layer, "step": step,
            "params": layer_histograms(ctx.provider, rid, keys, layer, step)}


def graph_layers(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """The run's latest model graph (or the one logged under ``key``) mapped onto the layers watched at
    the rank asked for (the graph is the one the Graph panel draws, whichever rank logged it)."""
    rid = _one_run(ctx, q)
    key = text_param(q, "key", "", max_len=500) or None
    keys = _keys(ctx, q, rid)
    entries = ctx.provider.records(rid, kind="model.graph", key=key)
    if not entries:
        return {"run": rid, "graph": None, "layers": keys.layers, "ids": [], "covers": [], "layer_nodes": [],
                "unmatched": keys.layers, "aggregate": "max"}
    e = entries[-1]
    return {"run": rid, **graph_map(e.record, e.key, e.step, keys.layers)}


_RANK = "rank whose watch data to read (default 0; runs logged with ts.init(..., all_ranks=True))"
_RUN = {"run": RUN, "rank": Param(_RANK, type="integer", minimum=0, maximum=MAX_RANK)}
PANEL = Panel(
    name="health", report=report, title="Health", order=55,
    routes=[endpoint("/runs", runs), endpoint("/overview", overview), endpoint("/matrix", heat),
            endpoint("/histograms", histograms), endpoint("/graph_map", graph_layers)],
    api_doc={
        "/runs": {"summary": "Which of the runs were watched: layers and alarm counts (without rank: "
                             "rank 0's layers, every rank's alarms)",
                  "params": {"run": RUN, "rank": Param("count at this rank only (optional)", type="integer", minimum=0,
                                                           maximum=MAX_RANK)}},
        "/overview": {"summary": "One run's watched layers, statistics and learning-rate keys at one rank, the "
                                 "ranks with watch data (ranks) and every rank's alarms (each with its rank)",
                      "params": _RUN},
        "/matrix": {"summary": "Layers x steps of one statistic (cols buckets at most)",
                    "params": {**_RUN, "stat": Param(f"one of {', '.join(STATS)}", enum=tuple(STATS)),
                               "cols": Param("most columns (default 400)", type="integer", minimum=2, maximum=5000)}},
        "/histograms": {"summary": "A layer's weight and gradient histograms at the logged step nearest to step",
                        "params": {**_RUN, "layer": Param("layer name", required=True, max_length=500),
                                   "step": Param("training step", type="integer", minimum=-1, maximum=2 ** 62)}},
        "/graph_map": {"summary": "Which watched layers each node of the model graph covers (graph: null if none)",
                       "params": {**_RUN,
                                  "key": Param("model.graph record key (default: the latest)", max_length=500)}},
    },
)
