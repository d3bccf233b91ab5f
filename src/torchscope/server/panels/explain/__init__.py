"""The Explain panel's routes: logged attributions grouped by their inputs, each sample's image and
heat map as PNG (the browser draws the overlays), top-k predictions, feature maps and filters.

Attribution records logged for the same inputs (``explain/gradcam``, ``explain/ig``...) share a
``group`` (a digest of their display images), so a sample picked once shows every method.

Example::

    GET /api/explain/index?run=a1                                  -> {"attributions": [...], "groups": [...]}
    GET /api/explain/heat.png?run=a1&key=explain/ig&step=3&i=0     -> image/png (grey, 0..255)
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from ....errors import NotFound
from ...apidoc import RUN, STEP, Param
from ...context import PanelContext
from ...endpoint import Blob, Query, endpoint
from ...params import int_param, one_run
from ...registry import Panel
from ...shared.records import entries, pick, png_blob, sprite, sprite_layout, to_uint8
from .report import report

THUMB = 64  # the sample gallery's tiles
MAP_THUMB = 48  # feature-map tiles


def _group(images: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(images).tobytes(), digest_size=6).hexdigest() if images.size else ""


def _attribution(e: Any) -> dict[str, Any]:
    r = e.record
    return {"key": e.key, "step": e.step, "method": r.method, "layer": r.layer, "sign": r.sign,
            "signed": r.signed, "options": r.options, "n": len(r), "group": _group(r.images),
            "height": int(r.images.shape[1]), "width": int(r.images.shape[2]),
            "layout": sprite_layout(r.images.shape, THUMB), "class_names": r.class_names, "targets": r.targets,
            "predictions": r.predictions, "target_probs": r.target_probs, "pred_probs": r.pred_probs}


def index(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """The run's attributions (with predictions), groups of same-input records, top-k, maps, filters."""
    store = ctx.provider
    rid = one_run(q)
    attrs = [_attribution(e) for e in entries(store, rid, ("explain.attribution",))]
    groups: dict[str, dict[str, Any]] = {}
    for a in attrs:
        g = groups.setdefault(a["group"], {"group": a["group"], "n": a["n"], "keys": []})
        if a["key"] not in g["keys"]:
            g["keys"].append(a["key"])
    topk = [{"key": e.key, "step": e.step, "group": _group(e.record.images), "class_names": e.record.class_names,
             "indices": e.record.indices, "probs": e.record.probs, "labels": e.record.labels}
            for e in entries(store, rid, ("explain.topk",))]
    maps = [{"key": e.key, "step": e.step, "layer": e.record.layer, "channels": e.record.channels,
             "means": e.record.means, "shape": e.record.shape,
             "layout": sprite_layout(e.record.maps.shape, MAP_THUMB)}
            for e in entries(store, rid, ("explain.feature_maps",))]
    filters = [{"key": e.key, "step": e.step, "layer": e.record.layer, "rgb": e.record.rgb,
                "shape": list(e.record.weights.shape), "layout": sprite_layout(_filter_tiles(e.record).shape, 1 << 16)}
               for e in entries(store, rid, ("explain.filters",))]
    return {"run": rid, "attributions": attrs, "groups": list(groups.values()), "topk": topk,
            "feature_maps": maps, "filters": filters}


def _sample(q: Query, n: int) -> int:
    i = int_param(q, "i", 0, 0, 1 << 24)
    if i >= n:
        raise NotFound(f"no sample {i}: the record holds {n}")
    return i


def image_png(ctx: PanelContext, q: Query) -> Blob:
    """Sample ``i``'s display image (grey or RGB)."""
    r = pick(ctx, q, "explain.attribution").record
    img = r.images[_sample(q, len(r.images))]
    return png_blob(img if img.shape[-1] in (1, 3) else img[..., :3])


def heat_png(ctx: PanelContext, q: Query) -> Blob:
    """Sample ``i``'s normalized map, grey 0..255 (when ``signed``, 128 is zero)."""
    r = pick(ctx, q, "explain.attribution").record
    return png_blob(r.heat[_sample(q, len(r.heat))])


def gallery_png(ctx: PanelContext, q: Query) -> Blob:
    """The record's input images as one sprite sheet (the sample picker)."""
    return sprite(pick(ctx, q, "explain.attribution").record.images, THUMB)


def maps_png(ctx: PanelContext, q: Query) -> Blob:
    """A feature-maps record's channels, each scaled by its own min and max, as one sprite sheet."""
    maps = pick(ctx, q, "explain.feature_maps").record.maps
    tiles = np.stack([to_uint8(m) for m in maps])[..., None] if len(maps) else np.zeros((0, 1, 1, 1), np.uint8)
    return sprite(tiles, MAP_THUMB)


def _filter_tiles(r: Any) -> np.ndarray:
    t = (r.tiles() * 255).round().astype(np.uint8)
    return t if t.ndim == 4 else t[..., None]


def filters_png(ctx: PanelContext, q: Query) -> Blob:
    """A filters record's filters (RGB when the layer reads 3 channels), each scaled to 0..255."""
    return sprite(_filter_tiles(pick(ctx, q, "explain.filters").record), 1 << 16)


ONE = {"run": RUN, "key": Param("record key", required=True), "step": STEP}
SAMPLE = {**ONE, "i": Param("sample index in the record", type="integer", minimum=0, maximum=1 << 24)}

PANEL = Panel(
    name="explain", report=report, title="Explain", order=63,
    routes=[endpoint("/index", index), endpoint("/image.png", image_png), endpoint("/heat.png", heat_png),
            endpoint("/gallery.png", gallery_png), endpoint("/maps.png", maps_png),
            endpoint("/filters.png", filters_png)],
    api_doc={
        "/index": {"summary": "A run's attributions, groups, top-k, feature maps and filters",
                   "params": {"run": RUN}},
        "/image.png": {"summary": "A sample's display image", "media": "image/png", "params": SAMPLE},
        "/heat.png": {"summary": "A sample's normalized attribution map (grey)", "media": "image/png",
                      "params": SAMPLE},
        "/gallery.png": {"summary": "An attribution record's inputs as one sprite sheet", "media": "image/png",
                         "params": ONE},
        "/maps.png": {"summary": "Feature maps as one sprite sheet", "media": "image/png", "params": ONE},
        "/filters.png": {"summary": "First-layer filters as one sprite sheet", "media": "image/png", "params": ONE},
    },
)
