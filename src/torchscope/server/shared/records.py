"""Reading typed records for the Evaluation, Explain and Detections panels, and sending images.

Records are read only through the store (``store.records(run_id, kind=..., key=...)``, typed
records rebuilt by the store); one record is named by run, kind, key and step (the latest when
no step is given). Images leave as PNG bytes, never SVG.

Example::

    entry = pick(ctx, q, "eval.confusion")   # ?run=..&key=..&step=..
    return png_blob(entry.record.images[0])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...data._images import encode_png, sprite_sheet, thumbnails
from ...errors import NotFound
from ...store.provider import Provider
from ..context import PanelContext
from ..endpoint import Blob, Query
from ..params import int_param, one_run, text_param

__all__ = ["IMAGE_HEADERS", "entries", "pick", "png_blob", "sprite", "sprite_layout", "to_uint8"]

STEP_RANGE = (-(2 ** 62), 2 ** 62)
IMAGE_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}


def entries(store: Provider, run_id: str, kinds: tuple[str, ...]) -> list[Any]:
    """Every stored record of ``kinds`` in a run (step order); an unknown run has none."""
    out: list[Any] = []
    for kind in kinds:
        try:
            out += store.records(run_id, kind=kind)
        except NotFound:
            continue
    return sorted(out, key=lambda e: (e.step, e.id))


def pick(ctx: PanelContext, q: Query, kind: str) -> Any:
    """The record entry named by ``?run=&key=&step=`` (the latest of the key without ``step``)."""
    store = ctx.provider
    rid = one_run(q)
    key = text_param(q, "key")
    raw_step = q.get("step")
    step = None if raw_step in (None, "") else int_param(q, "step", 0, *STEP_RANGE)
    try:
        found = store.records(rid, kind=kind, key=key)
    except NotFound:
        found = []
    if step is not None:
        found = [e for e in found if e.step == step]
    if not found:
        raise NotFound(f"no {kind} record under key {key!r}" + ("" if step is None else f" at step {step}"))
    return found[-1]


def to_uint8(a: np.ndarray) -> np.ndarray:
    """A float map scaled by its own min and max to 0..255 (a constant map is 0)."""
    a = np.nan_to_num(np.asarray(a, dtype=np.float32))
    lo, hi = float(a.min(initial=0.0)), float(a.max(initial=0.0))
    return ((a - lo) / (hi - lo) * 255).round().astype(np.uint8) if hi > lo else np.zeros(a.shape, np.uint8)


def png_blob(image: np.ndarray) -> Blob:
    """An H x W (x C) uint8 image as ``image/png``, cacheable (a stored record never changes)."""
    return Blob(encode_png(image), "image/png", IMAGE_HEADERS)


def sprite_layout(shape: tuple[int, ...], thumb: int) -> dict[str, int]:
    """Where thumbnail ``i`` of a :func:`sprite` sits: the same layout as ``data._images.sprite_sheet``."""
    n, h, w = int(shape[0]), int(shape[1]), int(shape[2])
    f = max(1, -(-max(h, w) // thumb))
    th, tw = (h // f, w // f) if f > 1 else (h, w)
    cols = max(1, int(np.ceil(np.sqrt(n))))
    return {"columns": cols, "rows": max(1, -(-n // cols)), "thumb_width": tw, "thumb_height": th, "count": n}


def sprite(images: np.ndarray, thumb: int) -> Blob:
    """N x H x W x C uint8 images in one PNG grid (longer side at most ``thumb``), laid out as
    :func:`sprite_layout` says."""
    data = sprite_sheet(thumbnails(images, thumb))[0] if len(images) else encode_png(np.zeros((1, 1, 1), np.uint8))
    return Blob(data, "image/png", IMAGE_HEADERS)
