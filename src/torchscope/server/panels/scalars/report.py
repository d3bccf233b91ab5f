"""The scalars panel's part of the static report: every key's chart at the report's resolution and its exact CSV
(the custom charts of an ``add_custom_scalars`` layout draw the same keys' series).

The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import keys_of, plural

__all__ = ["report"]


def report(ctx: Any) -> str | None:
    keys = keys_of(ctx, "scalar")  # rank 0's: a report draws rank 0 (it shows no rank selector)
    if not keys:
        return None
    # the panel's key list (every rank's keys and ranks) and the runs' add_custom_scalars layout, if any
    answer = ctx.snap.json("scalars/keys", {"run": ctx.ids}) or {}
    custom = sum(len(c["charts"]) for c in answer.get("layout", {}).get("categories", []))
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
    return (f"{plural(len(keys), 'chart')}{f' (and {custom} custom)' if custom else ''}, {plural(points, 'point')}, "
            f"{plural(csvs, 'CSV file')}"
            + (f" ({plural(skipped, 'key')} without CSV: over the size limit)" if skipped and lim.csv else ""))
