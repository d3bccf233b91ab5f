"""Downsampling scalar series to a number of buckets without hiding spikes.

Every bucket keeps its last point and the min and max over the bucket (the M4/min-max idea of
Jugel et al., "M4: A Visualization-Oriented Time Series Data Aggregation", VLDB 2014), and counts
NaN separately, so a single spike or NaN among millions of points is always visible.

Long series are not read point by point: each stored chunk carries *summaries* of consecutive
blocks of points (count, min, max, last, NaN count) at three resolutions, ``BLOCKS`` = 16, 64 and
256 points. When a query spans many more points than buckets, buckets are built from the coarsest
summaries that still give each bucket a few blocks (a block is placed at its last point; extremes
are exact values, their x position is known to within one block, a fraction of a bucket's width).
Chunks cut by the query range are summarized afresh from their raw points.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BLOCKS", "FIELDS", "bucket_points", "bucket_summaries", "from_bytes", "pick_block", "summarize"]

BLOCKS = (16, 64, 256)
# one row per block of BLOCK points, float64 columns (steps are exact below 2**53)
FIELDS = ("n", "vmin", "vmax", "vlast", "step_last", "wall_last", "nan")
N, VMIN, VMAX, VLAST, STEP_LAST, WALL_LAST, NAN = range(len(FIELDS))


def pick_block(points: int, buckets: int) -> int | None:
    """The summary resolution for ``points`` in ``buckets`` (None: read the raw points)."""
    per_bucket = points / max(buckets, 1)
    for block in reversed(BLOCKS):
        if per_bucket >= 2 * block:
            return block
    return None


def summarize(steps: np.ndarray, walls: np.ndarray, vals: np.ndarray, block: int) -> np.ndarray:
    """Per-block summaries (rows of ``FIELDS``) of a chunk of points, in storage order."""
    n = len(steps)
    out = np.zeros(((n + block - 1) // block, len(FIELDS)))
    if n == 0:
        return out
    starts = np.arange(0, n, block, dtype=np.int64)
    ends = np.minimum(starts + block, n) - 1
    out[:, N] = ends - starts + 1
    with np.errstate(invalid="ignore"):
        out[:, VMIN] = np.fmin.reduceat(vals, starts)
        out[:, VMAX] = np.fmax.reduceat(vals, starts)
    out[:, VLAST] = vals[ends]
    out[:, STEP_LAST] = steps[ends]
    out[:, WALL_LAST] = walls[ends]
    out[:, NAN] = np.add.reduceat(np.isnan(vals).astype(np.int64), starts)
    return out


def from_bytes(data: bytes) -> np.ndarray:
    """A stored summary blob back as its 2-D array."""
    return np.frombuffer(data, "<f8").reshape(-1, len(FIELDS))


def _edges(x_lo: float, x_hi: float, buckets: int) -> np.ndarray:
    if x_hi <= x_lo:
        x_hi = x_lo + 1
    return np.linspace(x_lo, x_hi, buckets + 1)


def _bucket_index(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    # the edges are evenly spaced: arithmetic, not a search
    scale = (len(edges) - 1) / (edges[-1] - edges[0])
    idx = ((x - edges[0]) * scale).astype(np.int64)
    return np.clip(idx, 0, len(edges) - 2, out=idx)


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
    pos = summ[:, STEP_LAST] if x == "step" else summ[:, WALL_LAST]
    if np.any(pos[1:] < pos[:-1]):
        order = np.argsort(pos, kind="stable")
        summ, pos = summ[order], pos[order]
    b = _bucket_index(pos, _edges(x_lo, x_hi, buckets))
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    lasts = np.r_[starts[1:], len(b)] - 1
    with np.errstate(invalid="ignore"):
        vmin = np.fmin.reduceat(summ[:, VMIN], starts)
        vmax = np.fmax.reduceat(summ[:, VMAX], starts)
    return dict(
        step=summ[lasts, STEP_LAST].astype(np.int64),
        wall_time=summ[lasts, WALL_LAST],
        value=summ[lasts, VLAST],
        min=vmin,
        max=vmax,
        count=np.add.reduceat(summ[:, N], starts).astype(np.int64),
        nan_count=np.add.reduceat(summ[:, NAN], starts).astype(np.int64),
    )
