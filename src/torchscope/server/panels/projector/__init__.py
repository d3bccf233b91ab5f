"""The Projector panel's routes: a run's projections, their points as binary, their thumbnails.

A projection is a ``data.projection`` record, or the projection inside a ``data.profile``
record (``part`` is its index there). Records are read through the provider only (which keeps them
rebuilt, by record id).

Example::

    GET /api/projector/sources?run=a1          -> {"sources": [{"run", "key", "id", "part", "n", "dims", ...}]}
    GET /api/projector/points?run=a1&key=k&id=3&part=-1   -> application/octet-stream (see frame.py)
    GET /api/projector/thumbs?run=a1&key=k&id=3&part=-1&page=0  -> image/png (1,024 thumbnails)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ....errors import NotFound
from ....store.types import KeyInfo, RecordEntry
from ...apidoc import RUN, Param
from ...context import PanelContext
from ...endpoint import Blob, Query, endpoint
from ...params import int_param, one_run, run_ids, text_param
from ...registry import Panel
from ...shared.data_records import data_entries, find_record
from .frame import PAGE, PAGE_COLUMNS, page_png, points_frame
from .report import report
from .stored import StoredProjection, stored_parts, stored_projection

KINDS = ("data.projection", "data.profile")
IMMUTABLE = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400"}


def _describe(rec: Any) -> dict[str, Any]:
    """A rebuilt record's description (the fallback for records not in the sprite format)."""
    n, dims = rec.coords.shape
    thumbs = None
    if rec.thumbnails is not None and len(rec.thumbnails):
        _, h, w, c = rec.thumbnails.shape
        thumbs = {"width": w, "height": h, "channels": c, "page": PAGE, "page_columns": PAGE_COLUMNS,
                  "pages": -(-n // PAGE)}
    return {"n": int(n), "dims": int(dims), "method": rec.method, "title": rec.title, "class_names": rec.class_names,
            "has_predictions": rec.predictions is not None, "color_by": rec.color_by, "params": rec.params,
            "thumbs": thumbs}


def _entries(ctx: PanelContext, rid: str, key: str | None = None) -> Iterator[tuple[KeyInfo, RecordEntry]]:
    for info, entries in data_entries(ctx.provider, rid, KINDS, key=key):
        for e in entries:
            yield info, e


def sources(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """Every projection of the runs (standalone records and those inside profiles), newest last.

    Described from each record's JSON part and its ``coords`` blob: no record is rebuilt (that
    would decode its thumbnails), so the list answers in milliseconds.
    """
    out = []
    for rid in run_ids(q):
        for info, e in _entries(ctx, rid):
            for part, data in stored_parts(e):
                try:
                    about = StoredProjection(ctx.provider, rid, e.id, part, data).describe()
                except (ValueError, KeyError, OSError):  # not the layout this reader knows: rebuild it
                    about = _describe(find_record(ctx.provider, rid, info.key, e.id, part))
                out.append({"run": rid, "key": info.key, "id": e.id, "part": part, "step": e.step,
                            "wall_time": e.wall_time, **about})
    out.sort(key=lambda s: s["wall_time"])  # oldest first: the panel opens the newest
    return {"sources": out}


def _projection(ctx: PanelContext, q: Query) -> Any:
    rec = find_record(ctx.provider, one_run(q), text_param(q, "key"), int_param(q, "id", 0, 0, 2 ** 62),
                      int_param(q, "part", -1, -1, 10_000))
    if rec.kind != "data.projection":
        raise NotFound(f"that record is a {rec.kind}, not a data.projection")
    return rec


def _stored(ctx: PanelContext, q: Query) -> StoredProjection:
    rid, key = one_run(q), text_param(q, "key")
    rec_id, part = int_param(q, "id", 0, 0, 2 ** 62), int_param(q, "part", -1, -1, 10_000)
    for _, e in _entries(ctx, rid, key):
        if e.id == rec_id:
            return stored_projection(ctx.provider, rid, e, part)
    raise NotFound(f"run {rid!r} has no data record {key!r} #{rec_id} part {part}")


def _columns(coords: Any, labels: Any, predictions: Any, indices: Any) -> list[tuple[str, np.ndarray]]:
    cols: list[tuple[str, np.ndarray]] = [("coords", np.asarray(coords, np.float32)), ("labels", np.asarray(labels))]
    if predictions is not None:
        cols.append(("predictions", np.asarray(predictions)))
    if indices is not None and len(indices):
        idx = np.asarray(indices)
        if not np.array_equal(idx, np.arange(len(idx))) and int(np.max(idx)) < 2 ** 31 and int(np.min(idx)) >= 0:
            cols.append(("indices", idx))  # left out when point i is sample i
    return cols


def points(ctx: PanelContext, q: Query) -> Blob:
    """The points as a binary frame: float32 ``coords`` (N x dims), ``labels``, ``predictions`` and
    ``indices`` (the smallest integer type that holds them; ``indices`` only when they are not 0..N-1).

    Read from the record's column blobs, without rebuilding the record (which decodes its thumbnails).
    """
    p = _stored(ctx, q)
    try:
        coords = p.array("coords")
        about = p.describe(coords)
        cols = _columns(coords, p.array("labels"), p.array("predictions"), p.array("indices"))
    except (ValueError, KeyError, OSError):  # not the layout this reader knows: rebuild it
        rec = _projection(ctx, q)
        about, cols = _describe(rec), _columns(rec.coords, rec.labels, rec.predictions, rec.indices)
    return Blob(points_frame(about, cols), "application/octet-stream", IMMUTABLE)


def thumbs(ctx: PanelContext, q: Query) -> Blob:
    """One page of thumbnails as a PNG grid: point ``i`` is at slot ``i % 1024`` of page ``i // 1024``."""
    rec = _projection(ctx, q)
    if rec.thumbnails is None:
        raise NotFound("this projection has no thumbnails (tabular data)")
    page = int_param(q, "page", 0, 0, 1 << 20)
    return Blob(page_png(rec.thumbnails, page), "image/png", IMMUTABLE)


_ADDR = {"run": RUN, "key": Param("record key", required=True),
         "id": Param("record id (from /sources)", type="integer", minimum=0, maximum=2 ** 62),
         "part": Param("index inside a data.profile record, or -1", type="integer", minimum=-1, maximum=10_000)}

PANEL = Panel(
    name="projector", report=report, title="Projector", order=65,
    routes=[endpoint("/sources", sources), endpoint("/points", points), endpoint("/thumbs", thumbs)],
    api_doc={
        "/sources": {"summary": "The projections of runs (data.projection records and inside data.profile)",
                     "params": {"run": RUN}},
        "/points": {"summary": "A projection's points as a binary frame (float32 coords, uint8/uint16/int32 labels)",
                    "media": "application/octet-stream", "params": _ADDR},
        "/thumbs": {"summary": "A page of 1,024 thumbnails as one PNG (32 per row)", "media": "image/png",
                    "params": {**_ADDR, "page": Param("page number (point i is on page i // 1024)", type="integer",
                                                         minimum=0, maximum=1 << 20)}},
    },
)
