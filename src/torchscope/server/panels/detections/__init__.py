"""The Detections panel's routes: ``explain.detections`` records (from ``run.log_image(..., boxes=...)``
or ``run.log_record(detections(...))``) as JSON boxes, labels and scores, with the image and the
masks as PNG; the browser draws them so classes toggle and a score threshold filters.

Example::

    GET /api/detections/index?run=a1                      -> {"runs": {"a1": [{"key", "step", "n"}]}}
    GET /api/detections/record?run=a1&key=det&step=0      -> {"boxes": [[x1, y1, x2, y2]], "labels": ...}
    GET /api/detections/masks.png?run=a1&key=det&step=0   -> n masks stacked top to bottom (grey)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ....errors import NotFound
from ...apidoc import RUN, STEP, Param
from ...context import PanelContext
from ...endpoint import Blob, Query, endpoint
from ...params import run_ids
from ...registry import Panel
from ...shared.records import entries, pick, png_blob
from .report import report

KIND = "explain.detections"


def index(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """Per run, every detections record: key, step, number of detections, image size."""
    store = ctx.provider
    out = {}
    for rid in run_ids(q):
        out[rid] = [{"key": e.key, "step": e.step, "n": len(e.record.labels), "height": int(e.record.image.shape[0]),
                     "width": int(e.record.image.shape[1])} for e in entries(store, rid, (KIND,))]
    return {"runs": out}


def record(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """One record: ``class_names``, ``labels``, ``scores`` (NaN: unknown), ``boxes`` (x1, y1, x2, y2 px)."""
    e = pick(ctx, q, KIND)
    r = e.record
    return {"key": e.key, "step": e.step, "class_names": r.class_names, "labels": r.labels,
                 "scores": np.asarray(r.scores, dtype=np.float64), "boxes": r.boxes.astype(np.float64).tolist(),
                 "score_threshold": r.score_threshold, "height": int(r.image.shape[0]),
                 "width": int(r.image.shape[1]), "masks": bool(len(r.masks))}


def image_png(ctx: PanelContext, q: Query) -> Blob:
    """The image without anything drawn on it."""
    img = pick(ctx, q, KIND).record.image
    return png_blob(img if img.shape[-1] in (1, 3) else img[..., :3])


def masks_png(ctx: PanelContext, q: Query) -> Blob:
    """The n masks (0/255) stacked top to bottom in one grey PNG of n*H x W pixels."""
    m = pick(ctx, q, KIND).record.masks
    if not len(m):
        raise NotFound("this record has no masks")
    return png_blob(m.reshape(-1, m.shape[-1]))


ONE = {"run": RUN, "key": Param("record key (the image's key)", required=True), "step": STEP}

PANEL = Panel(
    name="detections", report=report, title="Detections", order=64,
    routes=[endpoint("/index", index), endpoint("/record", record), endpoint("/image.png", image_png),
            endpoint("/masks.png", masks_png)],
    api_doc={
        "/index": {"summary": "Detections records per run", "params": {"run": RUN}},
        "/record": {"summary": "One image's boxes, labels and scores", "params": ONE},
        "/image.png": {"summary": "The image", "media": "image/png", "params": ONE},
        "/masks.png": {"summary": "The masks stacked vertically", "media": "image/png", "params": ONE},
    },
)
