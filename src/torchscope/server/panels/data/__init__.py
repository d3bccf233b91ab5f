"""The Data panel's routes: a run's data records (``data.profile`` and the ``data.*`` views).

Example::

    GET /api/data/overview?run=a1  -> {"runs": {"a1": [{"key", "id", "kind", "title", "views": [...]}]}}
    GET /api/data/pixels?run=a1&key=data.profile&id=3&part=1&field=images  -> image/png
    GET /api/data/figure?run=a1&key=data.profile&id=3&part=5  -> image/png (matplotlib fallback)
"""

from __future__ import annotations

from typing import Any

from ...apidoc import RUN, Param
from ...context import PanelContext
from ...endpoint import Blob, Query, endpoint
from ...params import int_param, one_run, run_ids, text_param
from ...registry import Panel
from ...shared.data_records import data_entries, find_record
from .payload import figure as figure_png
from .payload import payload, pixels
from .report import report

PNG_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}


def _view(rec: Any, key: str, rec_id: int, step: int, part: int) -> dict[str, Any]:
    return {"kind": rec.kind, "key": key, "id": rec_id, "step": step, "part": part,
            "title": getattr(rec, "title", rec.kind), "data": payload(rec)}


def overview(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """Per run, its data records (latest of each key first by step), each with its views' payloads."""
    out: dict[str, list[dict[str, Any]]] = {}
    for rid in run_ids(q):
        groups = []
        for info, entries in data_entries(ctx.provider, rid):
            if not entries:
                continue
            e = entries[-1]  # the latest record of the key
            rec = e.record
            group: dict[str, Any] = {"key": info.key, "id": e.id, "step": e.step, "kind": rec.kind,
                                     "count": len(entries), "title": getattr(rec, "title", rec.kind)}
            if rec.kind == "data.profile":
                group.update(summary=rec.summary, warnings=rec.warnings,
                             views=[_view(c, info.key, e.id, e.step, i) for i, c in enumerate(rec.records)])
            else:
                group["views"] = [_view(rec, info.key, e.id, e.step, -1)]
            groups.append(group)
        groups.sort(key=lambda g: (g["kind"] != "data.profile", g["key"]))
        out[rid] = groups
    return {"runs": out}


def _address(q: Query) -> tuple[str, str, int, int]:
    return one_run(q), text_param(q, "key"), int_param(q, "id", 0, 0, 2 ** 62), int_param(q, "part", -1, -1, 10_000)


def pixel_sheet(ctx: PanelContext, q: Query) -> Blob:
    """A PNG sheet of a record's pixels (``field``: images, mean or std)."""
    rec = find_record(ctx.provider, *_address(q))
    return Blob(pixels(rec, text_param(q, "field", max_len=20)), "image/png", PNG_HEADERS)


def figure(ctx: PanelContext, q: Query) -> Blob:
    """The record's matplotlib figure as PNG (for kinds the browser does not draw)."""
    rec = find_record(ctx.provider, *_address(q))
    return Blob(figure_png(rec), "image/png", PNG_HEADERS)


_ADDR = {"run": RUN, "key": Param("record key", required=True),
         "id": Param("record id (from /overview)", type="integer", minimum=0, maximum=2 ** 62),
         "part": Param("index of the view inside a data.profile record (-1: the record itself)", type="integer",
                       minimum=-1, maximum=10_000)}

PANEL = Panel(
    name="data", report=report, title="Data", order=60,
    routes=[endpoint("/overview", overview), endpoint("/pixels", pixel_sheet), endpoint("/figure", figure)],
    api_doc={
        "/overview": {"summary": "The data records of runs (data.profile and data.* views) with their payloads",
                      "params": {"run": RUN}},
        "/pixels": {"summary": "A PNG sheet of a record's pixels", "media": "image/png",
                    "params": {**_ADDR, "field": Param("images (data.samples), mean or std (data.mean_images)",
                                                          required=True, enum=("images", "mean", "std"))}},
        "/figure": {"summary": "A record's matplotlib figure (fallback)", "media": "image/png", "params": _ADDR},
    },
)
