"""The Attention panel's routes: a run's ``attention.maps`` and ``explain.tokens`` records, the weights
as compact binary frames fetched per layer (or per head) on demand, rollout over a ViT's patches.

The listing reads only the records' JSON (no weights). The weights leave as uint8 planes, each
scaled to its maximum (:mod:`.frame`): the model view's thumbnails (block maxima at most
``THUMB`` a side, :func:`torchscope.attention.views.thumbnails`), one layer's heads and their mean
(the head view: exact below ``HEAD_VIEW_LIMIT`` tokens), or one map reduced by block maxima to
``size`` a side, optionally over a window of queries and keys (the heat map, and its zoom).

Example::

    GET /api/attention/index?run=a1                                         -> {"maps": [...], "tokens": [...]}
    GET /api/attention/layer?run=a1&key=attention/x&step=0&layer=1           -> application/octet-stream
    GET /api/attention/layer?run=a1&key=k&step=0&layer=1&head=mean&size=1024&window=0,512,0,2048
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ....attention.views import HEAD_VIEW_LIMIT, MIN_WEIGHT, THUMB, block_max, thumbnails
from ....errors import InvalidArgument, NotFound
from ...apidoc import RUN, STEP, Param
from ...context import PanelContext
from ...endpoint import Blob, Query, endpoint
from ...params import int_param, one_run, text_param
from ...registry import Panel
from ...shared.records import IMAGE_HEADERS, entries, pick, png_blob
from .frame import planes_frame
from .report import report

SIZE = 1024  # the heat map's default side, in pixels (block maxima beyond)
MAX_SIZE = 4096
MAX_SAMPLES = 64  # token attribution samples sent
BINARY = {"X-Content-Type-Options": "nosniff", "Cache-Control": IMAGE_HEADERS["Cache-Control"]}


def _maps_entry(e: Any) -> dict[str, Any]:
    d = e.data
    groups = [{k: g[k] for k in ("name", "role", "causal", "layers", "heads", "shape", "query", "key")}
              for g in d.get("groups", [])]
    return {"key": e.key, "step": e.step, "model": d.get("model", ""), "source": d.get("source", ""),
            "samples": int(groups[0]["shape"][1]) if groups else 0, "grid": d.get("grid"),
            "prefix": int(d.get("prefix") or 0), "image": bool(d.get("image")), "groups": groups}


def _tokens_entry(e: Any) -> dict[str, Any]:
    d = e.data
    return {"key": e.key, "step": e.step, "method": d.get("method", ""), "layer": d.get("layer", ""),
            "samples": len(d.get("targets", [])), "signed": bool(d.get("signed", True)),
            "position": d.get("position")}


def index(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """A run's attention maps and token attributions (their JSON only), and the view limits."""
    rid = one_run(q)
    return {"run": rid, "maps": [_maps_entry(e) for e in entries(ctx.provider, rid, ("attention.maps",))],
            "tokens": [_tokens_entry(e) for e in entries(ctx.provider, rid, ("explain.tokens",))],
            "limit": HEAD_VIEW_LIMIT, "thumb": THUMB, "size": SIZE, "min_weight": MIN_WEIGHT}


# -- one record ------------------------------------------------------------------------------------
def _index(q: Query, name: str, n: int, owner: str) -> int:
    """``?name=`` as an index below ``n``: ``_index(q, "layer", 12, "the group")`` (404 past the end)."""
    i = int_param(q, name, 0, 0, 1 << 24)
    if i >= n:
        raise NotFound(f"no {name} {i}: {owner} has {n} ({name} 0 to {n - 1})" if n else f"{owner} has no {name}")
    return i


def _record(ctx: PanelContext, q: Query) -> tuple[Any, Any, int]:
    """The record, its group (``?group=``, default the first) and the sample (``?sample=``)."""
    rec = pick(ctx, q, "attention.maps").record
    name = q.get("group") or None
    try:
        g = rec.group(name)
    except KeyError as exc:
        raise NotFound(str(exc.args[0])) from None
    return rec, g, _index(q, "sample", len(rec), "the record")


def labels(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """A sample's token labels: ``tokens`` (the encoder's) and ``decoder_tokens`` (an encoder-decoder's)."""
    e = pick(ctx, q, "attention.maps")
    d = e.data
    n = int(d["groups"][0]["shape"][1]) if d.get("groups") else 0
    i = _index(q, "sample", n, "the record")

    def one(lists: list[list[str]]) -> list[str]:
        return [str(t) for t in (lists[i] if i < len(lists) else lists[0])] if lists else []

    return {"tokens": one(d.get("tokens") or []), "decoder_tokens": one(d.get("decoder_tokens") or [])}


def thumbs(ctx: PanelContext, q: Query) -> Blob:
    """Every layer x head map of a sample as ``THUMB``-pixel block maxima: one plane per map (``L<l>h<h>``)."""
    _, g, sample = _record(ctx, q)
    t = thumbnails(g, sample, THUMB)
    layers, heads, th, tw = t.shape
    shape = g.maps.shape
    names = [f"L{i}h{h}" for i in range(layers) for h in range(heads)]
    body = planes_frame(t.reshape(layers * heads, th, tw), names=names,
                        block=(-(-shape[3] // th), -(-shape[4] // tw)), window=(0, shape[3], 0, shape[4]),
                        layers=layers, heads=heads)
    return Blob(body, "application/octet-stream", BINARY)


def _window(q: Query, tq: int, tk: int) -> tuple[int, int, int, int]:
    raw = q.get("window")
    if not raw:
        return 0, tq, 0, tk
    try:
        q0, q1, k0, k1 = (int(v) for v in raw.split(","))
    except ValueError:
        raise InvalidArgument(f"window must be four integers q0,q1,k0,k1, got {raw[:60]!r}") from None
    if not (0 <= q0 < q1 <= tq and 0 <= k0 < k1 <= tk):
        raise InvalidArgument(f"window {q0},{q1},{k0},{k1} is not inside the map's {tq} queries x {tk} keys "
                              "(0 <= q0 < q1 <= queries, 0 <= k0 < k1 <= keys)")
    return q0, q1, k0, k1


def layer(ctx: PanelContext, q: Query) -> Blob:
    """One layer's maps of a sample: every head and their mean (``head`` absent), or one (``head=3``,
    ``head=mean``); each reduced by block maxima to at most ``size`` a side, over ``window``."""
    _, g, sample = _record(ctx, q)
    n_layers, _, heads, tq, tk = g.maps.shape
    li = _index(q, "layer", n_layers, "the group")
    size = int_param(q, "size", SIZE, 1, MAX_SIZE)
    q0, q1, k0, k1 = _window(q, tq, tk)
    raw = text_param(q, "head", "", max_len=16)
    maps = g.maps[li, sample, :, q0:q1, k0:k1]
    if raw == "":
        chosen = [*range(heads), "mean"]
    elif raw == "mean":
        chosen = ["mean"]
    else:
        try:
            h = int(raw)
        except ValueError:
            raise InvalidArgument(f"head must be a head index or 'mean', got {raw!r}") from None
        if not 0 <= h < heads:
            raise NotFound(f"no head {h}: the group has {heads} (head 0 to {heads - 1})")
        chosen = [h]
    planes = [block_max(maps.mean(axis=0, dtype=np.float32) if c == "mean" else maps[c], size) for c in chosen]
    block = (-(-(q1 - q0) // planes[0].shape[0]), -(-(k1 - k0) // planes[0].shape[1]))
    body = planes_frame(np.stack(planes), names=[f"h{c}" if c != "mean" else "mean" for c in chosen], block=block,
                        window=(q0, q1, k0, k1), layer=li, heads=heads, tokens=[tq, tk])
    return Blob(body, "application/octet-stream", BINARY)


def rollout(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """Attention rollout (Abnar & Zuidema 2020) from the class token over a vision transformer's patch grid."""
    rec, g, sample = _record(ctx, q)
    if rec.grid is None:
        raise NotFound("this record has no patch grid (not a vision transformer's input): no rollout to draw")
    if g.role != "self":
        raise InvalidArgument(f"rollout follows self-attention; group {g.name!r} is cross-attention")
    grid = rec.rollout_grid(sample, g.name)
    return {"grid": list(rec.grid), "prefix": rec.prefix, "values": np.round(grid.astype(np.float64), 6).tolist(),
            "min": float(grid.min()), "max": float(grid.max())}


def image_png(ctx: PanelContext, q: Query) -> Blob:
    """A sample's input image (vision transformers)."""
    rec = pick(ctx, q, "attention.maps").record
    if rec.image is None:
        raise NotFound("this record holds no image")
    img = rec.image[_index(q, "sample", len(rec.image), "the record")]
    return png_blob(img if img.shape[-1] in (1, 3) else img[..., :3])


def tokens(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """A token attribution record's samples (at most ``MAX_SAMPLES``): tokens, raw scores and scores
    divided by the sample's largest magnitude (the colours), captions."""
    from ....explain._labels import caption

    e = pick(ctx, q, "explain.tokens")
    r = e.record
    samples = []
    for i in range(min(len(r), MAX_SAMPLES)):
        pairs = r.sample(i)
        raw = np.array([s for _, s in pairs], dtype=np.float64)
        top = float(np.nanmax(np.abs(raw))) if raw.size else 0.0
        samples.append({"tokens": [t for t, _ in pairs], "scores": np.round(raw, 6).tolist(),
                        "norm": np.round(raw / (top if top > 0 else 1.0), 4).tolist(), "caption": caption(r, i),
                        "target": r.target_labels[i], "predicted": r.pred_labels[i]})
    return {"key": e.key, "step": e.step, "method": r.method, "layer": r.layer, "signed": r.signed,
            "samples": samples, "total": len(r)}


ONE = {"run": RUN, "key": Param("record key", required=True), "step": STEP}
SAMPLE = {**ONE, "sample": Param("sample index in the record", type="integer", minimum=0, maximum=1 << 24),
          "group": Param("attention group: self, encoder, decoder or cross (default: the first)")}

PANEL = Panel(
    name="attention", report=report, title="Attention", order=66,
    routes=[endpoint("/index", index), endpoint("/labels", labels), endpoint("/thumbs", thumbs),
            endpoint("/layer", layer), endpoint("/rollout", rollout), endpoint("/image.png", image_png),
            endpoint("/tokens", tokens)],
    api_doc={
        "/index": {"summary": "A run's attention maps and token attributions (their JSON, no weights)",
                   "params": {"run": RUN}},
        "/labels": {"summary": "A sample's token labels", "params": {k: v for k, v in SAMPLE.items() if k != "group"}},
        "/thumbs": {"summary": "Every layer x head map as uint8 thumbnails (a planes frame)",
                    "media": "application/octet-stream", "params": SAMPLE},
        "/layer": {"summary": "One layer's heads and their mean, or one map, as uint8 planes reduced to size",
                   "media": "application/octet-stream",
                   "params": {**SAMPLE, "layer": Param("layer index", type="integer", minimum=0, maximum=1 << 24),
                              "head": Param("a head index or 'mean' (default: every head and the mean)"),
                              "size": Param("at most this many values a side (block maxima)", type="integer",
                                            minimum=1, maximum=MAX_SIZE),
                              "window": Param("queries and keys q0,q1,k0,k1 (half-open; default all)")}},
        "/rollout": {"summary": "Attention rollout from the class token over the patch grid", "params": SAMPLE},
        "/image.png": {"summary": "A sample's input image (vision transformers)", "media": "image/png",
                       "params": {k: v for k, v in SAMPLE.items() if k != "group"}},
        "/tokens": {"summary": "A token attribution record's samples: tokens and scores", "params": ONE},
    },
)
