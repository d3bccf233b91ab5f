"""The GAN panel's routes: a run's GAN curves, fixed-noise timeline, metrics, alarms, latent explorer.

Example::

    GET /api/gan/runs?run=a1&run=b2          -> {"runs": [{"id", "samples", "checkpoint", ...}]}
    GET /api/gan/overview?run=a1&buckets=512 -> {"scalars": {key: {step, value, min, max}}, "timeline": [...],
                                                 "metrics": [...], "alarms": [...], "config": {...}}
    GET /api/gan/sample?run=a1&step=40       -> image/png (the fixed-noise grid at that checkpoint)
    GET /api/gan/directions?run=a1           -> {"k", "sigma", "explained", "layer"}  (computed on demand)
    GET /api/gan/explore?run=a1&s=1.5,0,-2   -> image/png (the generator at those slider offsets, in sigma)
    GET /api/gan/prototype?run=a1&cls=3      -> {"id", "status", "progress", "result"?}  (a job: poll it)
    GET /api/gan/counterfactual?run=a1&source=3&target=8 -> the same, for a counterfactual path
    GET /api/gan/job?id=..                   -> a job's status and progress, its result when done
    POST /api/gan/cancel {"job": id}         -> the job, cancelled
    GET /api/gan/gif?run=a1                  -> image/gif (the fixed-noise timeline, one frame per checkpoint)

On-demand lens jobs live in ``lens.py`` and ``jobs.py``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from starlette.routing import Route

from ....errors import InvalidArgument, NotFound
from ....store.provider import Provider
from ...apidoc import RUN, Param
from ...context import PanelContext
from ...endpoint import Blob, Query, endpoint
from ...params import int_param, one_run, run_ids, text_param
from ...registry import Panel
from . import lens
from .report import report

SAMPLES = "gan/samples"
LOSS_KEYS = ["gan/d_loss", "gan/g_loss"]
D_KEYS = ["gan/d_real", "gan/d_fake"]
OTHER_KEYS = ["gan/g_grad_norm", "gan/d_grad_norm", "gan/diversity"]
METRIC_KEYS = ["gan/fd", "gan/kid", "gan/precision", "gan/recall"]
SAFE_MIME = {"image/png", "image/jpeg", "image/gif", "image/webp"}
PNG_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}


def _fields(rec: Any) -> dict[str, Any]:
    import dataclasses

    if isinstance(getattr(rec, "data", None), dict):
        return dict(rec.data)
    if dataclasses.is_dataclass(rec):
        return {f.name: getattr(rec, f.name) for f in dataclasses.fields(rec)}
    return {}


def _records(store: Provider, rid: str, **kw: Any) -> list[Any]:
    try:
        return store.records(rid, **kw)
    except NotFound:
        return []


def _timeline(store: Provider, rid: str) -> list[dict[str, Any]]:
    try:
        entries = store.images(rid, SAMPLES, with_data=False)
    except NotFound:
        return []
    return [{"step": e.step, "width": e.width, "height": e.height, "wall_time": e.wall_time} for e in entries]


def runs(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """Which of the given runs hold GAN data: sample count, checkpoint, config."""
    store = ctx.provider
    out = []
    for rid in run_ids(q):
        cfg = _records(store, rid, kind="gan.monitor", key="gan/config")
        ck = _records(store, rid, kind="gan.checkpoint", key="gan/checkpoint/generator")
        n = len(_timeline(store, rid))
        if cfg or ck or n:
            out.append({"id": rid, "samples": n, "checkpoint": bool(ck), "monitor": bool(cfg)})
    return {"runs": out}


def overview(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """One run's GAN curves (downsampled), timeline steps, metrics records, alarms and monitor config."""
    store = series = ctx.provider
    rid = one_run(q)
    buckets = int_param(q, "buckets", 512, 16, 8192)
    scal: dict[str, Any] = {}
    for key in LOSS_KEYS + D_KEYS + OTHER_KEYS + METRIC_KEYS:
        try:
            s = series.scalars(rid, key, downsample=buckets)
        except NotFound:
            continue
        if not len(s):
            continue
        col = {"step": s.step.tolist(), "value": s.value.tolist()}
        if s.min is not None and s.max is not None:
            col["min"], col["max"] = s.min.tolist(), s.max.tolist()
        scal[key] = col
    metrics = []
    for e in _records(store, rid, kind="gan.metrics", key="gan/metrics"):
        f = _fields(e.record)
        metrics.append({k: f.get(k) for k in ("fd", "kid", "kid_std", "precision", "recall", "extractor",
                                               "n_real", "n_fake", "k")} | {"step": f.get("step") if f.get("step")
                                                                            is not None else e.step})
    alarms = []
    for e in _records(store, rid, kind="health.alarm", key="gan/alarms"):
        f = _fields(e.record)
        alarms.append({"type": f.get("type"), "step": f.get("step", e.step), "message": f.get("message"),
                       "value": f.get("value"), "key": f.get("key")})
    config: dict[str, Any] = {}
    cfg = _records(store, rid, kind="gan.monitor", key="gan/config")
    if cfg:
        f = _fields(cfg[-1].record)
        config = {k: v for k, v in f.items() if isinstance(v, (int, float, str, bool, list, type(None)))}
    ck = _records(store, rid, kind="gan.checkpoint", key="gan/checkpoint/generator")
    return {"run": rid, "scalars": scal, "timeline": _timeline(store, rid), "metrics": metrics,
            "alarms": alarms, "config": config, "checkpoint": bool(ck), "lens": lens.info(store, rid)}


def sample(ctx: PanelContext, q: Query) -> Blob:
    """The fixed-noise grid (``gan/samples``) logged at ``step``."""
    store = ctx.provider
    rid = one_run(q)
    step = int_param(q, "step", 0, -(2 ** 62), 2 ** 62)
    try:
        entries = store.images(rid, SAMPLES, step=step, with_data=True)
    except NotFound:
        entries = []
    if not entries:
        raise NotFound(f"no {SAMPLES} image at step {step}")
    e = entries[0]
    return Blob(e.data, e.mime if e.mime in SAFE_MIME else "application/octet-stream", PNG_HEADERS)


def _explorers(ctx: PanelContext) -> _Explorers:
    lens.get_lens(ctx)  # makes the panel's state when its setup did not run
    return ctx.state["gan"].explorers  # type: ignore[no-any-return]


class _Explorers:
    """Latent explorers built on demand from a run's generator checkpoint; a few kept, newest last."""

    def __init__(self, size: int = 4) -> None:
        self.size, self.lock = size, threading.Lock()
        self.items: OrderedDict[Any, Any] = OrderedDict()

    def get(self, store: Provider, rid: str) -> Any:
        import torchscope as ts

        ck = _records(store, rid, kind="gan.checkpoint", key="gan/checkpoint/generator")
        if not ck:
            raise NotFound(f"run {rid!r} has no generator checkpoint (gan/checkpoint/generator)")
        ident = (id(store), rid, ck[-1].id)
        with self.lock:
            if ident in self.items:
                self.items.move_to_end(ident)
                return self.items[ident]
            meta = getattr(ck[-1].record, "meta", None) or {}
            G = ck[-1].record.build(None).cpu().eval()
            vr = tuple(meta.get("value_range") or (-1.0, 1.0))
            stored = _records(store, rid, kind="gan.directions")
            dirs = stored[-1].record if stored else ts.gan.directions(G, z_dim=meta.get("z_dim"), k=6, samples=500,
                                                                      value_range=vr)
            ex = ts.gan.LatentExplorer(G, dirs)
            self.items[ident] = ex
            while len(self.items) > self.size:
                self.items.popitem(last=False)
            return ex


def directions(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """The principal latent directions of the run's generator (the explorer's sliders)."""
    ex = _explorers(ctx).get(ctx.provider, one_run(q))
    d = ex.dirs
    return {"k": len(d.u), "sigma": [float(x) for x in d.sigma], "explained": [float(x) for x in d.explained],
            "layer": d.layer, "offsets": [float(o) for o in d.offsets]}


def explore(ctx: PanelContext, q: Query) -> Blob:
    """The generator's image at slider offsets ``s`` (comma-separated, in sigma of each direction)."""
    ex = _explorers(ctx).get(ctx.provider, one_run(q))
    raw = text_param(q, "s", "", max_len=400)
    try:
        vals = [max(-10.0, min(10.0, float(v))) for v in raw.split(",") if v.strip()]
    except ValueError:
        raise InvalidArgument("s must be comma-separated numbers") from None
    scale = int_param(q, "scale", 8, 1, 32)
    return Blob(ex.png(vals[:64], scale=scale), "image/png", {"X-Content-Type-Options": "nosniff"})


def _int(description: str, lo: int, hi: int) -> Param:
    return Param(description, type="integer", minimum=lo, maximum=hi)


PANEL = Panel(
    name="gan", report=report, title="GAN", order=68, setup=lambda ctx: lens.GanState(),
    teardown=lambda state: state.close(),
    # the lens's routes start, poll and cancel jobs and export the timeline: plain routes (a report never asks)
    routes=[endpoint("/runs", runs), endpoint("/overview", overview), endpoint("/sample", sample),
            endpoint("/directions", directions), endpoint("/explore", explore), Route("/prototype", lens.prototype),
            Route("/counterfactual", lens.counterfactual), Route("/job", lens.job),
            Route("/cancel", lens.cancel, methods=["POST"]),
            Route("/gif", lens.gif)],
    api_doc={
        "/runs": {"summary": "Which runs hold GAN monitor data", "params": {"run": RUN}},
        "/overview": {"summary": "A run's GAN curves, timeline steps, metrics, alarms and config",
                      "params": {"run": RUN, "buckets": _int("buckets per curve (default 512)", 16, 8192)}},
        "/sample": {"summary": "The fixed-noise sample grid at a step",
                    "media": (*sorted(SAFE_MIME), "application/octet-stream"),
                    "params": {"run": RUN, "step": _int("checkpoint step", -(2 ** 62), 2 ** 62)}},
        "/directions": {"summary": "Principal latent directions of the run's generator (computed on demand)",
                        "params": {"run": RUN}},
        "/explore": {"summary": "The generator's image at slider offsets", "media": "image/png",
                     "params": {"run": RUN, "s": Param("comma-separated offsets in sigma", max_length=400,
                                                       pattern=r"^(-?[0-9]{1,3}(\.[0-9]{1,3})?(,-?[0-9]{1,3}(\.[0-9]{1,3})?)*)?$"),
                                "scale": _int("enlargement", 1, 32)}},
        "/prototype": {"summary": "Start or poll the class prototype job (the latent code that maximizes the "
                                  "classifier's class score); the result holds the image, the real mean and the score",
                       "params": {"run": RUN, "cls": Param("class name or index", max_length=200),
                                  "steps": _int("optimizer steps (200)", 5, 2000),
                                  "starts": _int("random starts (16)", 1, 64)},
                       "errors": {409: "the run has no generator and classifier checkpoints to work with"}},
        "/counterfactual": {"summary": "Start or poll the counterfactual job: the latent path from a source class "
                                       "to a target class, with the classifier's probabilities along it",
                            "params": {"run": RUN, "source": Param("class", max_length=200),
                                       "target": Param("class", max_length=200),
                                       "steps": _int("optimizer steps (300)", 5, 3000),
                                       "points": _int("images on the path (9)", 2, 32)},
                            "errors": {409: "the run has no generator and classifier checkpoints to work with"}},
        "/job": {"summary": "A lens job's status, progress and (when done) result",
                 "params": {"id": Param("job id", max_length=64)}},
        "/cancel": {"summary": "Cancel a queued or running lens job: body {job} (or ?job=)",
                    "params": {"job": Param("job id (or in the JSON body)", max_length=64)},
                    "body": {"media": "application/json", "schema": {
                        "type": "object", "properties": {"job": {"type": "string", "maxLength": 64}}}}},
        "/gif": {"summary": "The fixed-noise timeline as an animated GIF (one frame per checkpoint)",
                 "media": "image/gif", "params": {"run": RUN, "fps": _int("frames per second (6)", 1, 30)},
                 "errors": {409: "the timeline's images cannot make a GIF"}},
    },
)
