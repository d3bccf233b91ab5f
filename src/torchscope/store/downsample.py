"""Downsampling scalar series to a number of buckets without hiding spikes.

Every bucket keeps its last point and the min and max over the bucket (the M4/min-max idea of
Jugel et al., "M4: A Visualization-Oriented Time Series Data Aggregation", VLDB 2014), and counts
NaN separately, so a single spike or NaN among millions of points is always visible.

Long series are not read point by point: each stored chunk carries a *summary* of consecutive
blocks of ``BLOCK`` points (count, x range, min, max, last, NaN count). When a query spans many
more points than buckets, buckets are built from block summaries (a block is placed at its last
point; extremes are exact values, their x position is known to within one block, far below a
bucket's width). Chunks cut by the query range are summarized afresh from their raw points.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BLOCK", "SUMMARY_DTYPE", "bucket_points", "bucket_summaries", "summarize"]

BLOCK = 64
SUMMARY_DTYPE = np.dtype(
    [
        ("n", "<i8"),
        ("step_lo", "<i8"),
        ("step_hi", "<i8"),
        ("wall_lo", "<f8"),
        ("wall_hi", "<f8"),
        ("vmin", "<f8"),
        ("vmax", "<f8"),
        ("vlast", "<f8"),
        ("step_last", "<i8"),
        ("wall_last", "<f8"),
        ("nan", "<i8"),
    ]
)


def _segment_starts(n: int, block: int) -> np.ndarray:
    return np.arange(0, n, block, dtype=np.int64)


def summarize(steps: np.ndarray, walls: np.ndarray, vals: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """Per-block summaries of a chunk of points, in storage order."""
    n = len(steps)
    out = np.zeros((n + block - 1) // block, dtype=SUMMARY_DTYPE)
    if n == 0:
        return out
    starts = _segment_starts(n, block)
    ends = np.minimum(starts + block, n) - 1
    isnan = np.isnan(vals)
    out["n"] = ends - starts + 1
    out["step_lo"] = np.minimum.reduceat(steps, starts)
    out["step_hi"] = np.maximum.reduceat(steps, starts)
    out["wall_lo"] = np.minimum.reduceat(walls, starts)
    out["wall_hi"] = np.maximum.reduceat(walls, starts)
    with np.errstate(invalid="ignore"):
        out["vmin"] = np.fmin.reduceat(vals, starts)
        out["vmax"] = np.fmax.reduceat(vals, starts)
    out["vlast"] = vals[ends]
    out["step_last"] = steps[ends]
    out["wall_last"] = walls[ends]
    out["nan"] = np.add.reduceat(isnan.astype(np.int64), starts)
    return out


def _edges(x_lo: float, x_hi: float, buckets: int) -> np.ndarray:
    if x_hi <= x_lo:
        x_hi = x_lo + 1
    return np.linspace(x_lo, x_hi, buckets + 1)


def _bucket_index(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(edges, x, side="right") - 1
    return np.clip(idx, 0, len(edges) - 2)


def bucket_points(
    x: np.ndarray, step: np.ndarray, wall: np.ndarray, vals: np.ndarray, x_lo: float, x_hi: float, buckets: int
) -> dict[str, np.ndarray]:
    """Exact per-bucket last/min/max/count/NaN-count of points sorted by ``x``."""
    edges = _edges(x_lo, x_hi, buckets)
    b = _bucket_index(x, edges)
    # x is sorted, so each bucket's points are contiguous: reduce over segment starts
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]]) if len(b) else np.zeros(0, np.int64)
    if len(starts) == 0:
        empty_f = np.zeros(0)
        empty_i = np.zeros(0, np.int64)
        return dict(step=empty_i, wall_time=empty_f, value=empty_f, min=empty_f, max=empty_f,
                    count=empty_i, nan_count=empty_i)
    lasts = np.r_[starts[1:], len(b)] - 1
    with np.errstate(invalid="ignore"):
        vmin = np.fmin.reduceat(vals, starts)
        vmax = np.fmax.reduceat(vals, starts)
    return dict(
        step=step[lasts],
        wall_time=wall[lasts],
        value=vals[lasts],
        min=vmin,
        max=vmax,
        count=np.diff(np.r_[starts, len(b)]).astype(np.int64),
        nan_count=np.add.reduceat(np.isnan(vals).astype(np.int64), starts),
    )


def bucket_summaries(summ: np.ndarray, x: str, x_lo: float, x_hi: float, buckets: int) -> dict[str, np.ndarray]:
    """Per-bucket last/min/max/count/NaN-count from block summaries (``x`` is "step" or "wall_time")."""
    pos = summ["step_last"] if x == "step" else summ["wall_last"]
    order = np.argsort(pos, kind="stable")
    summ = summ[order]
    pos = pos[order]
    edges = _edges(x_lo, x_hi, buckets)
    b = _bucket_index(pos, edges)
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    lasts = np.r_[starts[1:], len(b)] - 1
    with np.errstate(invalid="ignore"):
        vmin = np.fmin.reduceat(summ["vmin"], starts)
        vmax = np.fmax.reduceat(summ["vmax"], starts)
    return dict(
        step=summ["step_last"][lasts],
        wall_time=summ["wall_last"][lasts],
        value=summ["vlast"][lasts],
        min=vmin,
        max=vmax,
        count=np.add.reduceat(summ["n"], starts),
        nan_count=np.add.reduceat(summ["nan"], starts),
    )
