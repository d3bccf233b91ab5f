"""What the Health panel reads from a run that ``run.watch(model)`` observed.

``run.watch`` writes per-layer scalars ``watch/<layer>/<stat>``, learning rates
``watch/lr/group<i>``, weight and gradient histograms ``watch/<layer>/<param>`` and
``watch/<layer>/<param>.grad``, and ``health.alarm`` records (see ``torchscope/watch``). These
helpers find them through the store's key listing and shape them for the panel: a layers x steps
matrix per statistic, a layer's histograms at the logged step nearest to a given one, the alarms.

A run logged by several processes (``ts.init(..., all_ranks=True)``, each calling ``run.watch``)
holds each rank's statistics under its own rank: everything here reads one rank (default 0), and
``WatchKeys.ranks`` says which ranks have watch data. The alarms are every rank's, each saying its rank.

Example::

    keys = watch_keys(store, run_id)      # WatchKeys(stats={"grad_norm": {"0": "watch/0/grad_norm"}}, ...)
    keys = watch_keys(store, run_id, rank=1)   # rank 1's; keys.ranks -> [0, 1]
    m = matrix(reader, run_id, keys, "grad_norm", cols=400)
    alarms(store, run_id, keys.run_ranks)      # [{"type": "nonfinite_output", "rank": 1, ...}]
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from ....errors import NotFound
from ....store.provider import Provider

__all__ = ["ALARM_KEY", "LOG_STATS", "PREFIX", "STATS", "WatchKeys", "alarms", "layer_histograms", "matrix",
           "watch_keys"]

PREFIX = "watch"
STATS = ("grad_norm", "weight_norm", "update_ratio", "act_mean", "act_std", "act_zero", "dead")
LOG_STATS = ("grad_norm", "weight_norm", "update_ratio")  # spans decades: coloured on a log scale
FRACTION_STATS = ("act_zero", "dead")  # in [0, 1]: a fixed colour scale
ALARM_KEY = "health/alarms"  # the key run.watch files its health.alarm records under


def natural(name: str) -> list[Any]:
    """Sort key that puts ``layer.2`` before ``layer.10``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


@dataclasses.dataclass
class WatchKeys:
    """The watch keys of one run at one rank: ``stats[stat][layer] = key``, layers in natural order, lr
    keys; and the ranks of the run: those with watch data, and every rank that logged anything."""

    stats: dict[str, dict[str, str]]
    layers: list[str]
    lr: list[str]
    histograms: dict[str, list[str]]  # layer -> histogram keys
    alarm_count: int  # this rank's
    rank: int = 0
    ranks: list[int] = dataclasses.field(default_factory=list)  # the ranks with watch keys or alarms
    run_ranks: list[int] = dataclasses.field(default_factory=list)  # every rank that logged any key
    alarm_counts: dict[int, int] = dataclasses.field(default_factory=dict)  # rank -> alarms


def watch_keys(store: Provider, run_id: str, rank: int = 0) -> WatchKeys:
    """Every ``watch/...`` key of a run at ``rank`` (default 0), sorted out by kind, and the run's ranks."""
    stats: dict[str, dict[str, str]] = {}
    lr: list[str] = []
    hists: dict[str, list[str]] = {}
    alarm_counts: dict[int, int] = {}
    watched: set[int] = set()
    run_ranks: set[int] = set()
    head = PREFIX + "/"
    for k in store.keys(run_id):
        run_ranks.add(k.rank)
        if k.kind == "record" and k.key == ALARM_KEY:
            alarm_counts[k.rank] = alarm_counts.get(k.rank, 0) + k.count
            watched.add(k.rank)
        if not k.key.startswith(head) or "/" not in k.key[len(head):]:
            continue
        if k.kind in ("scalar", "histogram"):
            watched.add(k.rank)
        if k.rank != rank:
            continue
        layer, last = k.key[len(head):].rsplit("/", 1)
        if k.kind == "scalar":
            if layer == "lr" and last.startswith("group"):
                lr.append(k.key)
            elif last in STATS:
                stats.setdefault(last, {})[layer] = k.key
        elif k.kind == "histogram":
            hists.setdefault(layer, []).append(k.key)
    layers = sorted({layer for per in stats.values() for layer in per} | set(hists), key=natural)
    return WatchKeys(stats=stats, layers=layers, lr=sorted(lr, key=natural), histograms=hists,
                     alarm_count=alarm_counts.get(rank, 0), rank=rank, ranks=sorted(watched),
                     run_ranks=sorted(run_ranks), alarm_counts=dict(sorted(alarm_counts.items())))


def matrix(reader: Provider, run_id: str, keys: WatchKeys, stat: str, cols: int) -> dict[str, Any]:
    """Layers x steps of one statistic at ``keys.rank``; more sampled steps than ``cols``: ``cols`` buckets
    (last value, with each bucket's min and max)."""
    per_layer = keys.stats.get(stat, {})
    layers = [layer for layer in keys.layers if layer in per_layer]
    series = {}
    for layer in layers:
        try:
            series[layer] = reader.scalars(run_id, per_layer[layer], rank=keys.rank, downsample=cols)
        except NotFound:  # a key listed a moment ago, deleted since
            continue
    layers = [layer for layer in layers if layer in series]
    steps = np.unique(np.concatenate([s.step for s in series.values()])) if series else np.zeros(0, np.int64)
    col = {int(s): i for i, s in enumerate(steps.tolist())}
    downsampled = any(s.downsampled for s in series.values())
    values = np.full((len(layers), len(steps)), np.nan)
    known = np.zeros((len(layers), len(steps)), bool)
    lo, hi = values.copy(), values.copy()
    for r, layer in enumerate(layers):
        s = series[layer]
        idx = [col[int(t)] for t in s.step.tolist()]
        values[r, idx] = s.value
        known[r, idx] = True
        lo[r, idx] = s.min if s.downsampled else s.value
        hi[r, idx] = s.max if s.downsampled else s.value
    out: dict[str, Any] = {
        "run": run_id, "rank": keys.rank, "stat": stat, "layers": layers, "steps": steps,
        "scale": "log" if stat in LOG_STATS else ("fraction" if stat in FRACTION_STATS else "linear"),
        "values": [_row(values[r], known[r]) for r in range(len(layers))], "downsampled": downsampled,
    }
    if downsampled:
        out["min"] = [_row(lo[r], known[r]) for r in range(len(layers))]
        out["max"] = [_row(hi[r], known[r]) for r in range(len(layers))]
    return out


def _row(values: np.ndarray, known: np.ndarray) -> list[Any]:
    """A matrix row: numbers (non-finite as JSON strings later), None where nothing was logged."""
    return [v if k else None for v, k in zip(values.tolist(), known.tolist())]


def layer_histograms(store: Provider, run_id: str, keys: WatchKeys, layer: str, step: int) -> list[dict[str, Any]]:
    """Each weight and gradient histogram of ``layer`` (at ``keys.rank``) at the logged step nearest ``step``."""
    head = f"{PREFIX}/{layer}/"
    out = []
    for key in keys.histograms.get(layer, []):
        entries = store.histograms(run_id, key, rank=keys.rank)
        if not entries:
            continue
        best = min(entries, key=lambda e: (abs(e.step - step), e.step))
        param = key[len(head):]
        grad = param.endswith(".grad")
        out.append({"key": key, "param": param[:-5] if grad else param, "kind": "grad" if grad else "weight",
                    "step": best.step, "lo": best.lo, "hi": best.hi, "counts": best.counts, "stats": best.stats})
    out.sort(key=lambda e: (natural(str(e["param"])), e["kind"] != "weight"))
    return out


def alarms(store: Provider, run_id: str, ranks: Iterable[int] = (0,)) -> list[dict[str, Any]]:
    """The ``health.alarm`` records of each of ``ranks`` (give ``keys.run_ranks``: every rank), by step,
    then rank: type, step, message, layer, value, key, and the ``rank`` that raised it."""
    wanted = set(ranks)
    found: list[tuple[int, int, dict[str, Any]]] = []
    for e in store.records(run_id, kind="health.alarm"):
        if e.rank not in wanted:
            continue
        rec = e.record
        fields = rec.data if isinstance(getattr(rec, "data", None), dict) else dataclasses.asdict(rec)
        found.append((e.step, e.rank, {
            "type": fields.get("type"), "step": fields.get("step", e.step), "message": fields.get("message"),
            "layer": fields.get("layer"), "value": fields.get("value"), "key": fields.get("key"), "rank": e.rank,
            "wall_time": e.wall_time}))
    found.sort(key=lambda f: (f[0], f[1]))  # stable: each rank's records keep the store's order
    return [a for _, _, a in found]
