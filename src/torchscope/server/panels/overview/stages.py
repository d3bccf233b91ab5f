"""The Overview's stages: what each shows, where the runs logged it, and a small picture of it.

One :class:`Stage` per stage of deep learning (data, projections, the model, training, health,
evaluation, explanations, GANs, the GAN lab), each naming the panel it opens, one sentence on what
it shows, and what to log to see it when nothing is there. :func:`cards` finds, from the runs'
key listings (one ``keys()`` call per run), which runs hold each stage, and builds its card: a few
facts and a thumbnail read from the first run that has it, as small JSON (a line per run, a
matrix, points, bars, alarms) or as an image the page asks ``/thumb`` for (:mod:`.thumbs`).

Example::

    cards(ctx.provider, ["a1", "b2"])  # -> [{"id": "data", "panel": "data", "runs": ["a1"], "thumb": ...}, ...]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from ....errors import NotFound
from ....store.provider import Provider
from ....store.types import KeyInfo

__all__ = ["STAGES", "Stage", "cards"]

OWN_PREFIXES = ("watch/", "system/")  # scalars the tracker writes for run.watch / system=True: not the user's
MAX_LINES = 8  # runs drawn in the training thumbnail
MAX_POINTS = 400  # points in a scatter thumbnail


@dataclasses.dataclass(frozen=True)
class Stage:
    """One card: ``Stage("model", "Model", "graph", says="...", empty="...", has=...)``."""

    id: str
    title: str
    panel: str  # the panel the card opens
    says: str  # one sentence: what the panel shows
    empty: str  # what to log to see it
    has: Callable[[list[KeyInfo]], bool]  # does a run, by its keys, hold this stage?


def _kinds(keys: list[KeyInfo]) -> set[str]:
    return {k.record_kind for k in keys if k.kind == "record" and k.record_kind}


def _user_scalars(keys: list[KeyInfo]) -> list[str]:
    return [k.key for k in keys if k.kind == "scalar" and not k.key.startswith(OWN_PREFIXES)]


STAGES: tuple[Stage, ...] = (
    Stage("data", "Data", "data",
          "What the network learns from: class balance, samples of every class, mean images and pixel statistics.",
          "Log a profile of your data: run.log_record(ts.data.profile(train, test)).",
          lambda ks: any(k.startswith("data.") and k != "data.projection" for k in _kinds(ks))),
    Stage("projector", "Projector", "projector",
          "Every sample as a point: a 2-D map (PCA, t-SNE, UMAP) of the inputs or of a layer's features.",
          "Log a projection: run.log_record(ts.data.project(test, model=model)).",
          lambda ks: "data.projection" in _kinds(ks)),
    Stage("model", "Model", "graph",
          "The network itself: its layers, shapes and parameters, and its forward pass as a graph that folds.",
          "Log the model: run.log_graph(model, x), or run.watch(model, graph=True).",
          lambda ks: bool({"model.summary", "model.graph"} & _kinds(ks))),
    Stage("training", "Training", "scalars",
          "Every number the loop logged, for every run: losses, accuracy, learning rate; overlaid, zoomable, exact.",
          "Log from the training loop: run.log({\"train/loss\": loss}, step=step).",
          lambda ks: bool(_user_scalars(ks))),
    Stage("health", "Health", "health",
          "Inside the network as it trains: per-layer statistics, and alarms for NaN, exploding or vanishing "
          "gradients and dead units.",
          "Watch the model before training: run.watch(model).",
          lambda ks: "health.alarm" in _kinds(ks) or any(k.key.startswith("watch/") for k in ks)),
    Stage("evaluation", "Evaluation", "evaluation",
          "The trained model on held-out data: confusion matrix, per-class scores, PR and ROC curves, "
          "calibration, its mistakes.",
          "Log the views of ev = ts.evaluate(model, loader): run.log_record(ev.confusion_matrix()), ...",
          lambda ks: any(k.startswith("eval.") for k in _kinds(ks))),
    Stage("explain", "Explanations", "explain",
          "Why the model decided: saliency, SmoothGrad, Integrated Gradients, Grad-CAM and occlusion over its inputs.",
          "Log an explanation: run.log_record(ts.explain(model, x, method=\"gradcam\")).",
          lambda ks: "explain.attribution" in _kinds(ks)),
    Stage("attention", "Attention", "attention",
          "What a transformer looks at: every layer's and head's attention as lines between tokens and heat maps, "
          "and which tokens a prediction rested on.",
          "Log attention: run.log_record(ts.attention(model, inputs, tokens=...)).",
          lambda ks: bool({"attention.maps", "explain.tokens"} & _kinds(ks))),
    Stage("volumes", "Volumes", "volumes",
          "3-D images (MRI, CT) in three linked planes: label maps, predictions with Dice per class, heat maps.",
          "Log a volume: run.log_volume(\"mri\", \"scan.nii.gz\", labels=seg, pred=pred).",
          lambda ks: "volume" in _kinds(ks)),
    Stage("gan", "GAN", "gan",
          "A GAN's training made visible: the two losses, samples from fixed noise over time, Frechet distance, "
          "and its latent space as a lens.",
          "Monitor a GAN: ts.gan.train_dcgan(ds, run=run), or ts.gan.Monitor(run, G, D) in your loop.",
          lambda ks: bool({"gan.monitor", "gan.metrics"} & _kinds(ks))
          or any(k.kind == "image" and k.key.startswith("gan/") for k in ks)),
    Stage("ganlab", "GAN lab", "ganlab",
          "A real PyTorch GAN learning a 2-D distribution live, with every knob: losses, optimizers, network size.",
          "Open it and press play; or log a frame: run.log_record(lab.frame()).",
          lambda ks: "gan.lab2d.frame" in _kinds(ks)),
)


def _keys(store: Provider, ids: list[str]) -> dict[str, list[KeyInfo]]:
    out = {}
    for rid in ids:
        try:
            out[rid] = store.keys(rid)
        except NotFound:  # a run deleted meanwhile: left out
            continue
    return out


def _latest(store: Provider, rid: str, kind: str) -> Any:
    """The last stored entry of a record kind in a run, its JSON part loaded (its blobs on first use)."""
    found = store.records(rid, kind=kind)
    return found[-1] if found else None


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _round(a: Any, digits: int = 3) -> list[Any]:
    return np.round(np.asarray(a, dtype=np.float64), digits).tolist()


def _spread(n: int, most: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, num=min(n, most)).astype(np.int64)) if n else np.zeros(0, np.int64)


# -- one function per stage: (facts, thumbnail) from the first run that has it ------------------------------------
def _data(store: Provider, rid: str, keys: list[KeyInfo]) -> tuple[list[str], dict[str, Any] | None]:
    prof = _latest(store, rid, "data.profile")
    facts: list[str] = []
    if prof is not None:
        s = prof.data.get("summary", {})
        split = f"{s['samples']:,} train" + (f" / {s['test samples']:,} test" if "test samples" in s else "")
        facts = [str(s.get("name", "")), f"{s.get('classes', '?')} classes", split, f"{s.get('sample shape', '')}"]
    has_image = prof is not None or "data.samples" in _kinds(keys) or any(
        k.kind == "image" and k.key == "data/samples" for k in keys)
    return [f for f in facts if f], ({"type": "image"} if has_image else None)


def _projector(store: Provider, rid: str, keys: list[KeyInfo]) -> tuple[list[str], dict[str, Any] | None]:
    rec: Any = store.latest(rid, "data.projection")
    xy = np.asarray(rec.coords, dtype=np.float64)[:, :2]
    keep = _spread(len(xy), MAX_POINTS)
    xy, labels = xy[keep], np.asarray(rec.labels)[keep]
    lo, hi = np.nanmin(xy, axis=0), np.nanmax(xy, axis=0)
    xy = (xy - lo) / np.where(hi > lo, hi - lo, 1.0)
    facts = [f"{len(rec.coords):,} points", rec.method.upper(), f"{len(rec.class_names)} classes"]
    return facts, {"type": "scatter", "x": _round(xy[:, 0]), "y": _round(xy[:, 1]),
                   "c": labels.astype(np.int64).tolist()}


def _model(store: Provider, rid: str, keys: list[KeyInfo]) -> tuple[list[str], dict[str, Any] | None]:
    summ = _latest(store, rid, "model.summary")
    if summ is None:
        graph = _latest(store, rid, "model.graph")
        return [str(graph.data.get("model", "")), f"{graph.data.get('total_params', 0):,} parameters"], None
    d = summ.data
    rows = d.get("rows", [])
    names = [r["name"] for r in rows]
    leaves = [r for r in rows if r.get("params") and r["name"]
              and not any(n.startswith(r["name"] + ".") for n in names)]  # layers holding parameters themselves
    facts = [str(d.get("model", "")), f"{d.get('total_params', 0):,} parameters"]
    if d.get("total_flops"):
        shape = (d.get("inputs") or [{}])[0].get("shape") or []
        batch = int(shape[0]) if shape and isinstance(shape[0], int) and shape[0] > 1 else 1
        per, rest = divmod(int(d["total_flops"]), batch)  # the summary counts the captured batch
        facts.append(f"{'~' if rest else ''}{per:,} FLOPs" + (" per sample" if batch > 1 else ""))
    bars = [{"name": r["name"], "type": r.get("type", ""), "params": int(r["params"])} for r in leaves[:16]]
    return facts, ({"type": "bars", "bars": bars} if bars else None)


def _training(store: Provider, ids: list[str], index: dict[str, list[KeyInfo]]) -> tuple[list[str], dict[str, Any]]:
    have = {rid: _user_scalars(index[rid]) for rid in ids}
    every = sorted({k for ks in have.values() for k in ks})
    count = {k: sum(k in ks for ks in have.values()) for k in every}
    losses = [k for k in every if k.rsplit("/", 1)[-1].endswith("loss")]
    preferred: list[str] = [k for k in ("train/loss", "loss") if k in count]
    key: str
    if preferred:
        key = preferred[0]
    else:  # the loss most runs logged (the shortest name among equals), else the key most runs logged
        key = max(losses, key=lambda k: (count[k], -len(k))) if losses else max(every, key=lambda k: count[k])
    lines = []
    for rid in [r for r in ids if key in have[r]][:MAX_LINES]:
        s = store.scalars(rid, key, downsample=64)
        lines.append({"run": rid, "x": s.step.tolist(), "y": s.value.tolist()})
    facts = [_plural(len(every), "key"), _plural(sum(bool(ks) for ks in have.values()), "run")]
    return facts, {"type": "lines", "key": key, "lines": lines}


def _health(store: Provider, ids: list[str], index: dict[str, list[KeyInfo]]) -> tuple[list[str], dict[str, Any]]:
    watched = [rid for rid in ids if any(k.key.startswith("watch/") for k in index[rid])]
    total, by_run = 0, []
    for rid in ids:
        if "health.alarm" not in _kinds(index[rid]):
            continue
        found = store.records(rid, kind="health.alarm")
        total += len(found)
        first: dict[str, dict[str, Any]] = {}  # the first alarm of each type, in step order
        for e in sorted(found, key=lambda e: e.step):
            first.setdefault(str(e.data.get("type")), {k: e.data.get(k) for k in ("type", "step", "layer", "message")})
        by_run.append({"run": rid, "count": len(found), "first": list(first.values())})
    facts = [_plural(total, "alarm") + (f" in {_plural(len(by_run), 'run')}" if by_run else ""),
             f"{_plural(len(watched), 'run')} watched"]
    return facts, {"type": "alarms", "total": total, "runs": by_run[:3]}


def _evaluation(store: Provider, rid: str, keys: list[KeyInfo]) -> tuple[list[str], dict[str, Any] | None]:
    facts = []
    per = _latest(store, rid, "eval.per_class")
    if per is not None and per.data.get("accuracy") is not None:
        facts.append(f"accuracy {per.data['accuracy']:.3f}")
    conf = _latest(store, rid, "eval.confusion")
    if conf is None:
        return facts, None
    counts = np.asarray(conf.data["counts"], dtype=np.float64)
    facts.append(f"{len(counts)} classes, {int(counts.sum()):,} samples")
    if not 1 < len(counts) <= 30:
        return facts, None
    total = counts.sum(axis=1, keepdims=True)
    norm = np.where(total > 0, counts / np.where(total > 0, total, 1), 0.0)
    return facts, {"type": "matrix", "values": _round(norm), "labels": [str(c) for c in conf.data["class_names"]]}


def _explain(store: Provider, rid: str, keys: list[KeyInfo]) -> tuple[list[str], dict[str, Any] | None]:
    methods = [str(e.data.get("method", "")) for e in store.records(rid, kind="explain.attribution")]
    return [", ".join(dict.fromkeys(m for m in methods if m))], {"type": "image"}


def _attention(store: Provider, rid: str, keys: list[KeyInfo]) -> tuple[list[str], dict[str, Any] | None]:
    found = store.records(rid, kind="attention.maps")
    if not found:
        return [_plural(len(store.records(rid, kind="explain.tokens")), "token attribution")], None
    facts = [_plural(len(found), "attention record")]
    groups = found[-1].data.get("groups") or []
    shape = groups[0].get("shape") if groups and isinstance(groups[0], dict) else None
    if shape and len(shape) == 5:
        facts.append(f"{shape[0]} layers x {shape[2]} heads, {shape[3]} tokens")
    return facts, {"type": "image"}


def _volumes(store: Provider, rid: str, keys: list[KeyInfo]) -> tuple[list[str], dict[str, Any] | None]:
    found = store.records(rid, kind="volume")
    facts = [_plural(len(found), "volume")]
    dice = [d for e in found for d in (e.data.get("dice") or {}).values()]
    if dice:
        facts.append(f"mean Dice {float(np.mean(dice)):.2f}")
    return facts, {"type": "image"}


def _gan(store: Provider, rid: str, keys: list[KeyInfo]) -> tuple[list[str], dict[str, Any] | None]:
    grids = [k for k in keys if k.kind == "image" and k.key.startswith("gan/")]
    facts = [f"{grids[0].count:,} sample grids"] if grids else []
    steps = [k for k in keys if k.kind == "scalar" and k.key.startswith("gan/")]
    if steps:
        facts.append(f"{len(steps)} curves")
    return facts, ({"type": "image"} if grids else None)


def _ganlab(store: Provider, rid: str, keys: list[KeyInfo]) -> tuple[list[str], dict[str, Any] | None]:
    frame: Any = store.latest(rid, "gan.lab2d.frame")
    lo, hi = [*frame.bounds, -1.5, 1.5][:2]
    scale = lambda p: _round((np.asarray(p, np.float64)[_spread(len(p), 250), :2] - lo) / (hi - lo))  # noqa: E731
    cfg = frame.config or {}
    target = cfg.get("target")
    facts = [f"step {frame.step:,}", str(target.get("name", "")) if isinstance(target, dict) else str(target or ""),
             str(cfg.get("loss") or "")]
    return [f for f in facts if f], {"type": "points", "real": scale(frame.real), "fake": scale(frame.fake)}


PER_RUN = {"data": _data, "projector": _projector, "model": _model, "evaluation": _evaluation, "explain": _explain,
           "attention": _attention, "volumes": _volumes, "gan": _gan, "ganlab": _ganlab}


def cards(store: Provider, ids: list[str]) -> list[dict[str, Any]]:
    """One card per stage for the runs ``ids`` (in the order given: a thumbnail comes from the first run
    that has its stage); see the module doc."""
    index = _keys(store, ids)
    ids = [rid for rid in ids if rid in index]
    out = []
    for st in STAGES:
        runs = [rid for rid in ids if st.has(index[rid])]
        card: dict[str, Any] = {"id": st.id, "title": st.title, "panel": st.panel, "says": st.says,
                                "empty": st.empty, "runs": runs, "run": runs[0] if runs else None,
                                "facts": [], "thumb": None, "drawn": runs[:1]}
        if runs:
            if st.id in ("training", "health"):
                card["facts"], card["thumb"] = (_training if st.id == "training" else _health)(store, runs, index)
                drawn = [x["run"] for x in card["thumb"].get("lines", card["thumb"].get("runs", []))]
                card["run"] = drawn[0] if drawn else runs[0]  # the run the picture starts with
                card["drawn"] = drawn
            else:
                card["facts"], card["thumb"] = PER_RUN[st.id](store, runs[0], index[runs[0]])
            if card["thumb"] and card["thumb"]["type"] == "image":
                card["thumb"]["params"] = {"run": runs[0], "stage": st.id, "v": _version(index[runs[0]], st.id)}
        out.append(card)
    return out


def _version(keys: list[KeyInfo], stage: str) -> int:
    """Changes when the stage's picture may have: the count of what it is drawn from (a cache buster)."""
    if stage == "gan":
        return sum(k.count for k in keys if k.kind == "image" and k.key.startswith("gan/"))
    if stage in ("volumes", "attention"):
        kind = "volume" if stage == "volumes" else "attention.maps"
        return sum(k.count for k in keys if k.kind == "record" and k.record_kind == kind)
    prefix = "data." if stage == "data" else "explain."
    return sum(k.count for k in keys if k.kind == "record" and (k.record_kind or "").startswith(prefix))
