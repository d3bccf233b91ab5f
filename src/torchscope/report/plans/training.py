"""Plans for the training panels: Scalars, Images, Histograms, Text, Config (see ``__init__``).

Scalars: every key of rank 0 at ``limits.buckets`` buckets on each x axis (the answers for
``wall_time`` and ``relative`` are the same bytes, kept once), and the exact CSV of every key; runs
logged by several ranks are shown by their rank 0 (the panel hides its rank selector in a report).
Images: each key's index and every image of up to ``limits.max_steps`` steps (the step slider
snaps to the nearest kept step). Histograms and Text: each key as the panel asks for it. Config: the
one table.

Example::

    training.scalars(ctx)   # "66 charts, 857 points, 66 CSV files"
"""

from __future__ import annotations

from typing import Any

from ._util import evenly, plural

__all__ = ["config", "histograms", "images", "scalars", "text"]


def _keys(ctx: Any, kind: str) -> list[dict[str, Any]]:
    got = ctx.snap.json("keys", {"run": ctx.ids, "kind": kind})
    return got["keys"] if got else []


def scalars(ctx: Any) -> str | None:
    keys = _keys(ctx, "scalar")  # rank 0's: a report draws rank 0 (it shows no rank selector)
    if not keys:
        return None
    ctx.snap.json("scalars/keys", {"run": ctx.ids})  # the panel's key list (every rank's keys and ranks)
    lim = ctx.limits
    buckets = max(min(lim.buckets, 128), min(lim.buckets, lim.series_budget // max(1, len(ctx.ids))))
    for k in keys:
        for x in ("step", "wall_time", "relative"):
            ctx.snap.binary("scalars/series", {"key": k["key"], "run": ctx.ids, "x": x, "buckets": buckets})
    left, csvs = lim.max_csv_points if lim.csv else 0, 0
    for k in sorted(keys, key=lambda k: k["count"]):  # the smallest first: as many keys as fit
        if k["count"] > left:
            break
        if ctx.snap.url("scalars/csv", {"key": k["key"], "run": ctx.ids, "x": "step"}) is not None:
            csvs += 1
            left -= k["count"]
    points, skipped = sum(k["count"] for k in keys), len(keys) - csvs
    return (f"{plural(len(keys), 'chart')}, {plural(points, 'point')}, {plural(csvs, 'CSV file')}"
            + (f" ({plural(skipped, 'key')} without CSV: over the size limit)" if skipped and lim.csv else ""))


def images(ctx: Any) -> str | None:
    keys = _keys(ctx, "image")
    if not keys:
        return None
    n = 0
    for k in keys:
        idx = ctx.snap.json("images/index", {"key": k["key"], "run": ctx.ids})
        if not idx:
            continue
        steps = sorted({e["step"] for rows in idx["runs"].values() for e in rows})
        most = min(ctx.limits.max_steps, max(2, ctx.limits.max_images // max(1, len(idx["runs"]))))
        kept = set(evenly(steps, most))
        for rid, rows in idx["runs"].items():
            for e in rows:
                if e["step"] in kept and ctx.snap.url("images/blob", {"key": k["key"], "run": rid, "step": e["step"],
                                                                      "index": e["index"]}) is not None:
                    n += 1
    return f"{plural(len(keys), 'key')}, {plural(n, 'image')}"


def histograms(ctx: Any) -> str | None:
    keys = _keys(ctx, "histogram")
    for k in keys:
        ctx.snap.json("histograms/series", {"key": k["key"], "run": ctx.ids, "limit": 60})
    return plural(len(keys), "key") if keys else None


def text(ctx: Any) -> str | None:
    keys = _keys(ctx, "text")
    for k in keys:
        ctx.snap.json("text/entries", {"key": k["key"], "run": ctx.ids})
    return plural(len(keys), "key") if keys else None


def config(ctx: Any) -> str | None:
    got = ctx.snap.json("config/table", {"run": ctx.ids})
    rows = got["rows"] if got else []
    if not rows or not any(r["config"] or r["metrics"] or r["summary"] for r in rows):
        return None
    return plural(len(rows), "run")
