"""The Evaluation panel's routes: which ``eval.*`` records a run holds, one record's JSON, and the
mistakes gallery's images (one PNG sprite sheet).

Example::

    GET /api/evaluation/index?run=a1                       -> {"runs": {"a1": [{"kind", "key", "step", ...}]}}
    GET /api/evaluation/record?run=a1&kind=eval.confusion&key=eval.confusion&step=3  -> the record's JSON
    GET /api/evaluation/mistakes.png?run=a1&key=eval.mistakes&step=7                 -> image/png
"""

from __future__ import annotations

from typing import Any

from ....errors import InvalidArgument, NotFound
from ...apidoc import RUN, STEP, Param
from ...context import PanelContext
from ...endpoint import Blob, Query, endpoint
from ...params import run_ids, text_param
from ...registry import Panel
from ...shared.records import entries, pick, sprite, sprite_layout
from .report import report

KINDS = ("eval.confusion", "eval.per_class", "eval.curves", "eval.calibration", "eval.most_confused",
         "eval.mistakes")
THUMB = 96  # the gallery's tiles: at most 96 px on the longer side


def _summary(e: Any) -> dict[str, Any]:
    r = e.record
    out: dict[str, Any] = {"kind": e.kind, "key": e.key, "step": e.step}
    if e.kind == "eval.curves":
        out["curve"] = r.curve
    if hasattr(r, "class_names"):
        out["classes"] = len(r.class_names)
    return out


def index(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """Per run, every evaluation record (kind, key, step; ``curve`` for curves), oldest first."""
    store = ctx.provider
    return {"runs": {rid: [_summary(e) for e in entries(store, rid, KINDS)] for rid in run_ids(q)}}


def record(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """One record's JSON (see docs/explain.md); ``eval.mistakes`` says whether images were kept."""
    kind = text_param(q, "kind")
    if kind not in KINDS:
        raise InvalidArgument(f"kind must be one of {', '.join(KINDS)}")
    e = pick(ctx, q, kind)
    data, _ = e.record.to_dict()
    if kind == "eval.mistakes":
        imgs = e.record.images
        kept = bool(len(imgs)) and imgs.size > 0 and len(imgs) == len(e.record.indices)
        data["images"] = {"kept": kept, "layout": sprite_layout(imgs.shape, THUMB) if kept else None,
                          "height": int(imgs.shape[1]) if kept else 0, "width": int(imgs.shape[2]) if kept else 0}
    return {"kind": kind, "key": e.key, "step": e.step, "data": data}


def mistakes_png(ctx: PanelContext, q: Query) -> Blob:
    """The mistakes' images as one PNG grid, laid out as ``record``'s ``images.layout`` says."""
    imgs = pick(ctx, q, "eval.mistakes").record.images
    if not imgs.size:
        raise NotFound("this mistakes record kept no images")
    return sprite(imgs, THUMB)


ONE = {"run": RUN, "key": Param("record key", required=True), "step": STEP}

PANEL = Panel(
    name="evaluation", report=report, title="Evaluation", order=62,
    routes=[endpoint("/index", index), endpoint("/record", record), endpoint("/mistakes.png", mistakes_png)],
    api_doc={
        "/index": {"summary": "Evaluation records per run (kind, key, step)", "params": {"run": RUN}},
        "/record": {"summary": "One evaluation record's JSON",
                    "params": {**ONE, "kind": Param("eval.* kind", required=True, enum=KINDS)}},
        "/mistakes.png": {"summary": "The most confident mistakes' images as one sprite sheet",
                          "media": "image/png", "params": ONE},
    },
)
