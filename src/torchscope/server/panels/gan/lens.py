"""The GAN panel's on-demand lens: class prototypes and counterfactuals computed on the server from
a run's stored generator and classifier (``gan/checkpoint/generator|classifier``), and the
fixed-noise timeline as an animated GIF.

Prototypes and counterfactuals take seconds, so they run as jobs (``jobs.py``): the route answers at
once with the job's id, status and progress, the page polls ``job?id=`` until the answer is there;
the same question asked again is the same job (or its cached answer; a cancelled or failed one
starts anew). Models are rebuilt
from the checkpoints once per checkpoint version and kept for the last few runs.

Example::

    GET /api/gan/prototype?run=a1&cls=3&steps=200       -> {"id", "status", "progress", "result"?}
    GET /api/gan/counterfactual?run=a1&source=3&target=8 -> {"id", "status", "progress", "result"?}
    GET /api/gan/job?id=...                             -> the job's status (poll this)
    POST /api/gan/cancel {"job": id}                    -> {"id", "status": "cancelled", ...}
    GET /api/gan/gif?run=a1                             -> image/gif (one frame per checkpoint)
"""

from __future__ import annotations

import base64
import io
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ....errors import NotFound
from ....store.provider import Provider
from ...context import PanelContext, context
from ...download import attachment, safe_name
from ...encode import JSON
from ...endpoint import Query
from ...params import int_param, one_run, text_param
from .jobs import Jobs

GENERATOR, CLASSIFIER = "gan/checkpoint/generator", "gan/checkpoint/classifier"
SAVE_HINT = {
    GENERATOR: "train_dcgan(ds, run=run) stores it, or ts.gan.save_checkpoint(run, G, role='generator', z_dim=...)",
    CLASSIFIER: "train_dcgan(ds, run=run) stores it (metrics on), or ts.gan.save_checkpoint(run, "
                "ts.gan.feature_extractor(ds), role='classifier', real=ds)",
}
_LOCK = threading.Lock()


class Lens:
    """Per app: the job queue, the rebuilt models (last ``size`` runs) and the last GIFs."""

    def __init__(self, size: int = 4) -> None:
        self.jobs, self.size, self.lock = Jobs(), size, threading.Lock()
        self.models: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self.gifs: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()

    def _keep(self, cache: OrderedDict[Any, Any], key: Any, value: Any) -> Any:
        with self.lock:
            cache[key] = value
            while len(cache) > self.size:
                cache.popitem(last=False)
        return value

    def loaded(self, store: Provider, rid: str, version: tuple[int, int]) -> dict[str, Any]:
        """Generator, classifier and what goes with them, rebuilt from the run's checkpoints."""
        key = (id(store), rid, version)
        with self.lock:
            if key in self.models:
                self.models.move_to_end(key)
                return self.models[key]
        gen, cls = (_checkpoint(store, rid, k) for k in (GENERATOR, CLASSIFIER))
        G, clf = gen.build(None).cpu().eval(), cls.build(None).cpu().eval()
        names = list(cls.meta.get("class_names") or gen.meta.get("class_names") or [])
        if not names:
            names = [str(i) for i in range(int(cls.config.get("num_classes", 0)))]
        clf.class_names = names
        return self._keep(self.models, key, {
            "G": G, "classifier": clf, "names": names, "z_dim": int(gen.meta.get("z_dim") or G.z_dim),
            "value_range": tuple(gen.meta.get("value_range") or (-1.0, 1.0)),
            "means": cls.means if cls.means is not None and len(cls.means) == len(names) else None})


def get_lens(ctx: PanelContext) -> Lens:
    """The app's lens, made by the panel's setup: ``get_lens(context(request))``."""
    state = ctx.state
    with _LOCK:
        gan = state.get("gan")
        if gan is None:  # the panel's setup did not run (an app made without the panel)
            gan = state["gan"] = GanState()
        return gan.lens  # type: ignore[no-any-return]


class GanState:
    """The GAN panel's long-lived objects: the lens (jobs, rebuilt models, GIFs) and the latent explorers."""

    def __init__(self) -> None:
        from . import _Explorers  # the package defines them beside its routes

        self.lens = Lens()
        self.explorers = _Explorers()

    def close(self) -> None:
        self.lens.jobs.stop()


def _checkpoint(store: Provider, rid: str, key: str) -> Any:
    """The latest ``gan.checkpoint`` record under ``key`` (a ``ModelCheckpoint``)."""
    return store.latest(rid, "gan.checkpoint", key=key)


def _versions(store: Provider, rid: str) -> dict[str, int]:
    """How many checkpoints of each role the run holds (cheap: no blobs read); 0 = none."""
    try:
        keys = store.keys(rid, kind="record")
    except NotFound:
        return {}
    return {k.key: k.count for k in keys if k.key in (GENERATOR, CLASSIFIER) and k.record_kind == "gan.checkpoint"}


def info(store: Provider, rid: str) -> dict[str, Any]:
    """What the lens can do for a run: ``{"ready", "classes", "means", "message"}`` (the message says why not)."""
    have = _versions(store, rid)
    missing = [role for role in (GENERATOR, CLASSIFIER) if not have.get(role)]
    if missing:
        return {"ready": False, "classes": [], "means": False, "generator": bool(have.get(GENERATOR)),
                "message": "; ".join(f"this run has no {r.rsplit('/', 1)[1]} checkpoint ({r}): {SAVE_HINT[r]}"
                                     for r in missing)}
    cls = _checkpoint(store, rid, CLASSIFIER)  # small: a classifier's weights
    if not cls.builder:  # (a generator of the user's own class fails when its job rebuilds it, with this reason)
        return {"ready": False, "classes": [], "means": False, "generator": True,
                "message": "the classifier checkpoint is a model of your own class: the server rebuilds only "
                           "torchscope's models (use ts.gan.prototypes / counterfactual in Python)"}
    names = list(cls.meta.get("class_names") or [str(i) for i in range(int(cls.config.get("num_classes", 0)))])
    return {"ready": True, "classes": names, "means": cls.means is not None and len(cls.means) == len(names),
            "generator": True, "message": None}


def _png(img: np.ndarray, size: int = 96) -> str:
    from torchscope.data._images import encode_png

    s = max(1, size // max(img.shape[:2]))
    big = np.repeat(np.repeat(img, s, 0), s, 1)
    return "data:image/png;base64," + base64.b64encode(encode_png(big, compress_level=1)).decode()


def _class(names: list[str], raw: str, what: str) -> int:
    if raw in names:
        return names.index(raw)
    if raw.lstrip("-").isdigit() and 0 <= int(raw) < len(names):
        return int(raw)
    raise HTTPException(400, f"{what}: unknown class {raw!r}; the classifier's classes are {names}")


def _ready(request: Request) -> tuple[Any, str, list[str]]:
    store, rid = context(request).provider, one_run(Query(request.query_params))
    have = info(store, rid)
    if not have["ready"]:
        raise HTTPException(409, have["message"])
    return store, rid, have["classes"]


def _job(request: Request, store: Provider, rid: str, what: str, params: dict[str, Any], compute: Any) -> JSON:
    lens = get_lens(context(request))
    versions = _versions(store, rid)
    version = (versions.get(GENERATOR, 0), versions.get(CLASSIFIER, 0))
    key = (what, id(store), rid, version, tuple(sorted(params.items())))

    def run(progress: Any) -> dict[str, Any]:
        return compute(lens.loaded(store, rid, version), progress)

    return JSON(lens.jobs.submit(key, run).to_json())


def prototype(request: Request) -> JSON:
    """Start (or poll) the prototype of class ``cls``: the latent code optimized for the classifier's score."""
    store, rid, names = _ready(request)
    q = Query(request.query_params)
    c = _class(names, text_param(q, "cls", "0", max_len=200), "cls")
    steps, starts = int_param(q, "steps", 200, 5, 2000), int_param(q, "starts", 16, 1, 64)

    def compute(m: dict[str, Any], progress: Any) -> dict[str, Any]:
        from torchscope.gan import prototypes

        rec = prototypes(m["G"], m["classifier"], [c], means=m["means"], z_dim=m["z_dim"], steps=steps,
                         starts=starts, value_range=m["value_range"], callback=progress)
        return {"kind": "prototype", "class": rec.classes[0], "index": c, "image": _png(rec.images[0]),
                "mean": _png(rec.means[0]) if len(rec.means) else None, "score": rec.probs[0],
                "start_score": rec.start_probs[0], "steps": steps, "starts": starts}

    return _job(request, store, rid, "prototype", {"cls": c, "steps": steps, "starts": starts}, compute)


def counterfactual(request: Request) -> JSON:
    """Start (or poll) the counterfactual path from class ``source`` to ``target``."""
    store, rid, names = _ready(request)
    q = Query(request.query_params)
    s = _class(names, text_param(q, "source", "0", max_len=200), "source")
    t = _class(names, text_param(q, "target", "1", max_len=200), "target")
    if s == t:
        raise HTTPException(400, "source and target must be different classes")
    steps, points = int_param(q, "steps", 300, 5, 3000), int_param(q, "points", 9, 2, 32)

    def compute(m: dict[str, Any], progress: Any) -> dict[str, Any]:
        from torchscope.gan import counterfactual as cf

        rec = cf(m["G"], m["classifier"], s, t, z_dim=m["z_dim"], steps=steps, points=points,
                 value_range=m["value_range"], callback=progress)
        return {"kind": "counterfactual", "source": rec.source, "target": rec.target, "class_names": rec.class_names,
                "alphas": rec.alphas, "images": [_png(x, 64) for x in rec.images],
                "probs": np.round(rec.probs.astype(np.float64), 5).tolist(), "distance": rec.distance,
                "reached": float(rec.probs[-1, t]), "steps": steps}

    params = {"source": s, "target": t, "steps": steps, "points": points}
    return _job(request, store, rid, "counterfactual", params, compute)


def job(request: Request) -> JSON:
    """A lens job's status by ``id`` (polling; never restarts it): ``GET /api/gan/job?id=..``."""
    found = get_lens(context(request)).jobs.get(text_param(Query(request.query_params), "id", "", max_len=64))
    if found is None:
        raise HTTPException(404, "no such lens job (the server restarted, or it was dropped from the cache)")
    return JSON(found.to_json())


async def cancel(request: Request) -> JSON:
    """Cancel a queued or running lens job: ``POST {"job": id}`` (or ``?job=id``)."""
    try:
        body = await request.json() if await request.body() else {}
    except ValueError:
        raise HTTPException(400, "the body must be JSON: {\"job\": id}") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the body must be a JSON object: {\"job\": id}")
    jid = str(body.get("job") or request.query_params.get("job") or "")[:64]
    job = get_lens(context(request)).jobs.cancel(jid)
    if job is None:
        raise HTTPException(404, f"no lens job {jid!r}")
    return JSON(job.to_json())


def gif(request: Request) -> Response:
    """The fixed-noise timeline (``gan/samples``) as an animated GIF, one frame per checkpoint."""
    from torchscope.gan import timeline

    q = Query(request.query_params)
    store, rid = context(request).provider, one_run(q)
    fps = int_param(q, "fps", 6, 1, 30)
    try:
        entries = store.images(rid, "gan/samples", with_data=False)
    except NotFound:
        entries = []
    if not entries:
        raise HTTPException(404, f"run {rid!r} has no gan/samples images (no timeline to export)")
    lens = get_lens(context(request))
    key = (id(store), rid, len(entries), entries[-1].step, fps)
    data = lens.gifs.get(key)
    if data is None:
        buf = io.BytesIO()
        try:
            timeline(store, rid).gif(buf, fps=fps)
        except ValueError as exc:
            raise HTTPException(409, str(exc)) from None
        data = lens._keep(lens.gifs, key, buf.getvalue())
    name = safe_name(rid, default="run", limit=40)
    return Response(data, media_type="image/gif", headers={
        "X-Content-Type-Options": "nosniff", "X-Frames": str(len(entries)),
        "Content-Disposition": attachment(f"{name}-timeline.gif")})
