"""Plans for the data panels: Data and Projector (see ``__init__``).

Data: the overview of the runs' data records, the pixel sheets of sample grids and mean images,
the points of projection previews, and the matplotlib figure of views the browser does not draw
(the same split as ``panels/data/panel.js``). Projector: every projection's points (newest
first) and its thumbnail pages, up to ``limits.max_thumb_pages`` pages in all (points without a
kept page show no thumbnail).

Example::

    data.projector(ctx)   # "2 projections, 3 thumbnail pages"
"""

from __future__ import annotations

from typing import Any

from ._util import plural

__all__ = ["data", "projector"]

DRAWN = {"data.class_balance", "data.pixel_stats", "data.feature_dists", "data.correlation", "data.pairplot"}
PIXELS = {"data.samples": ("images",), "data.mean_images": ("mean", "std")}


def _address(v: dict[str, Any], rid: str) -> dict[str, Any]:
    return {"run": rid, "key": v["key"], "id": v["id"], "part": v["part"]}


def data(ctx: Any) -> str | None:
    snap = ctx.snap
    got = snap.json("data/overview", {"run": ctx.ids})
    if not got or not any(got["runs"].get(r) for r in ctx.ids):
        return None
    views = 0
    for rid in ctx.ids:
        for group in got["runs"].get(rid, []):
            for v in group["views"]:
                views += 1
                addr = _address(v, rid)
                if v["kind"] in PIXELS:
                    for field in PIXELS[v["kind"]]:
                        snap.url("data/pixels", {**addr, "field": field})
                elif v["kind"] == "data.projection":
                    snap.url("projector/points", addr)
                elif v["kind"] not in DRAWN:
                    snap.url("data/figure", addr)
    return plural(views, "view")


def projector(ctx: Any) -> str | None:
    snap = ctx.snap
    got = snap.json("projector/sources", {"run": ctx.ids})
    sources = (got or {}).get("sources", [])
    if not sources:
        return None
    pages_left, pages = ctx.limits.max_thumb_pages, 0
    for s in reversed(sources):  # the panel opens the newest
        addr = {"run": s["run"], "key": s["key"], "id": s["id"], "part": s["part"]}
        snap.url("projector/points", addr)
        thumbs = s.get("thumbs") or {}
        for page in range(min(int(thumbs.get("pages", 0)), pages_left)):
            if snap.url("projector/thumbs", {**addr, "page": page}) is not None:
                pages += 1
                pages_left -= 1
    return f"{plural(len(sources), 'projection')}, {plural(pages, 'thumbnail page')}"
