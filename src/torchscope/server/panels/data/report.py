"""The data panel's part of the static report: every data view's figure, pixels and points.

The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import plural, record_address

__all__ = ["report"]


DRAWN = {"data.class_balance", "data.pixel_stats", "data.feature_dists", "data.correlation", "data.pairplot"}


PIXELS = {"data.samples": ("images",), "data.mean_images": ("mean", "std")}


def report(ctx: Any) -> str | None:
    snap = ctx.snap
    got = snap.json("data/overview", {"run": ctx.ids})
    if not got or not any(got["runs"].get(r) for r in ctx.ids):
        return None
    views = 0
    for rid in ctx.ids:
        for group in got["runs"].get(rid, []):
            for v in group["views"]:
                views += 1
                addr = record_address(v, rid)
                if v["kind"] in PIXELS:
                    for field in PIXELS[v["kind"]]:
                        snap.url("data/pixels", {**addr, "field": field})
                elif v["kind"] == "data.projection":
                    snap.url("projector/points", addr)
                elif v["kind"] not in DRAWN:
                    snap.url("data/figure", addr)
    return plural(views, "view")
