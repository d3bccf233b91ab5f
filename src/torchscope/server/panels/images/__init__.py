"""The Images panel's routes: which steps have images, and one image's bytes.

Example::

    GET /api/images/index?key=samples&run=a1&run=b2  -> {"runs": {"a1": [{"step", "index", ...}]}}
    GET /api/images/blob?key=samples&run=a1&step=10&index=0  -> image/png
"""

from __future__ import annotations

from typing import Any

from ....errors import NotFound
from ...apidoc import RUN, Param
from ...context import PanelContext
from ...endpoint import Blob, Query, endpoint
from ...params import int_param, one_run, run_ids, text_param
from ...registry import Panel
from .report import report

SAFE_MIME = {"image/png", "image/jpeg", "image/gif", "image/webp"}  # never SVG: it can carry script


def index(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """Per run, the images of a key without their bytes: step, index within the step, size, caption."""
    store = ctx.provider
    key = text_param(q, "key")
    out: dict[str, list[dict[str, Any]]] = {}
    for rid in run_ids(q):
        try:
            entries = store.images(rid, key, with_data=False)
        except NotFound:
            continue
        seen: dict[int, int] = {}
        rows = []
        for e in entries:
            i = seen[e.step] = seen.get(e.step, -1) + 1
            rows.append({"step": e.step, "index": i, "width": e.width, "height": e.height,
                         "caption": e.caption, "wall_time": e.wall_time})
        out[rid] = rows
    return {"key": key, "runs": out}


def blob(ctx: PanelContext, q: Query) -> Blob:
    store = ctx.provider
    key = text_param(q, "key")
    rid = one_run(q)
    step = int_param(q, "step", 0, -(2 ** 62), 2 ** 62)
    i = int_param(q, "index", 0, 0, 1 << 20)
    entries = store.images(rid, key, step=step, with_data=True)
    if i >= len(entries):
        raise NotFound(f"no image {i} at step {step}")
    e = entries[i]
    mime = e.mime if e.mime in SAFE_MIME else "application/octet-stream"
    return Blob(e.data, mime, {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"})


PANEL = Panel(
    name="images", report=report, title="Images", order=20,
    routes=[endpoint("/index", index), endpoint("/blob", blob)],
    api_doc={
        "/index": {"summary": "Images of a key per run (no bytes)",
                   "params": {"key": Param("image key", required=True), "run": RUN}},
        "/blob": {"summary": "One image's bytes", "media": (*sorted(SAFE_MIME), "application/octet-stream"),
                  "params": {"key": Param("image key", required=True), "run": RUN,
                             "step": Param("step", type="integer", minimum=-(2 ** 62), maximum=2 ** 62),
                             "index": Param("index within the step", type="integer", minimum=0, maximum=1 << 20)}},
    },
)
