"""The k-th nearest neighbour of every point of a set, exact, from half the distance products.

Precision and recall (Kynkaanniemi et al. 2019, :mod:`torchscope.gan.manifold`) need each point's
distance to its k-th nearest neighbour in its own set. Squared distances are symmetric, so the set
is cut in tiles of ``tile`` points and only the tiles on and above the diagonal are computed, as
float32 products ``[x_i, |x_i|^2, 1] . [-2 x_j, 1, |x_j|^2] = |x_i - x_j|^2``; each off-diagonal
tile serves its rows and its columns.

The m = k + 1 + EXTRA smallest values of every point are found without sorting rows: a diagonal
tile gives each of its points m candidates (a partial sort of ``tile`` values) and so a threshold,
the m-th smallest; an off-diagonal tile only keeps the values under its rows' and its columns'
thresholds (a comparison, a few per row: about m per point and tile for points in random order;
a tile where too many pass, as when points coincide, is partially sorted instead). The m
smallest of what was kept are the m smallest of the whole row, since whatever was left out is at
least the threshold, itself at least the m-th smallest kept.

The float32 candidates are then re-ranked in float64 from the original features, and a point
whose m-th and (k+1)-th candidates are too close to call within the rounding bound gets its whole
row in float64, as :func:`torchscope.gan.manifold._radii` does: the answers are the float64 brute
force's.

Example::

    radii = kth_radii(x64, x32, k=3, workers=2)     # exact float64 distances to the 3rd neighbour
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["TILE", "kth_radii"]

TILE = 1024  # points per tile: a 4 MB float32 block
GROUP = 64  # columns whose minimum bounds a diagonal tile's m-th smallest value
CROWD = 4  # a tile direction keeps at most CROWD * m values per point before it is partially sorted


def _smallest_per_row(p: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns and values of the m smallest of each row of ``p`` (any order)."""
    cols = np.argpartition(p, m - 1, axis=1)[:, :m]
    return cols, np.take_along_axis(p, cols, 1)


class _Scratch(threading.local):
    """Per-thread buffers for a tile and its masks: fresh 4 MB arrays per tile cost their page faults
    (about as much again as the product itself)."""

    def get(self, name: str, shape: tuple[int, int], dtype: type) -> np.ndarray:
        buf: np.ndarray | None = getattr(self, name, None)
        size = shape[0] * shape[1]
        if buf is None or buf.size < size:
            buf = np.empty(size, dtype)
            setattr(self, name, buf)
        return buf[:size].reshape(shape)


def _product(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b.T`` (float32): one tile of squared distances (into ``out`` when given)."""
    return np.matmul(a, b.T, out=out)


def _first(p: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A diagonal tile's candidates (rows, columns, values: at least the m smallest of each row) and each
    row's m-th smallest value.

    The m groups of :data:`GROUP` columns with the smallest minima hold m values at most the m-th of
    those minima, so every value up to it is kept (a comparison, not a sort of the row); the m-th
    smallest of each row is then found among the few kept. Rows that cannot be cut in enough groups,
    or tiles where too many values pass (coinciding points), are partially sorted instead.
    """
    h, w = p.shape
    if w % GROUP == 0 and w // GROUP >= 2 * m:
        bound = np.partition(p.reshape(h, w // GROUP, GROUP).min(2), m - 1, axis=1)[:, m - 1]
        idx = np.flatnonzero(p <= bound[:, None])
        if len(idx) <= CROWD * m * h:
            rows, cols = np.divmod(idx, w)  # in row order
            vals = p.ravel()[idx]
            counts = np.bincount(rows, minlength=h)
            slot = np.arange(len(idx)) - (np.cumsum(counts) - counts)[rows]
            dense = np.full((h, int(counts.max())), np.inf, np.float32)
            dense[rows, slot] = vals
            return rows, cols, vals, np.partition(dense, m - 1, axis=1)[:, m - 1]
    cols2, vals2 = _smallest_per_row(p, m)
    return np.repeat(np.arange(h), m), cols2.ravel(), vals2.ravel(), vals2.max(1)


def _run(tasks: list[Callable[[], None]], workers: int) -> None:
    if workers <= 1 or len(tasks) <= 1:
        for t in tasks:
            t()
        return
    with ThreadPoolExecutor(min(workers, len(tasks))) as pool:
        for _ in pool.map(lambda t: t(), tasks):  # raises what a task raised
            pass


def _sortable(v: np.ndarray) -> np.ndarray:
    """float32 values as int64 in 0..2^32 that sort as the floats do (negative zero and rounding included)."""
    b = v.astype(np.float32, copy=False).view(np.int32).astype(np.int64)
    return (b ^ ((b >> 31) & 0x7FFFFFFF)) + (1 << 31)


def _unsortable(u: np.ndarray) -> np.ndarray:
    """The inverse of :func:`_sortable`."""
    b = u - (1 << 31)
    return (b ^ ((b >> 31) & 0x7FFFFFFF)).astype(np.int32).view(np.float32)


def candidates(x: np.ndarray, sq: np.ndarray, m: int, *, tile: int = TILE,
               workers: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The m smallest float32 squared distances of every point of ``x`` (n x d float32, centred; ``sq``
    its squared norms) to the set, itself included, ascending, and their columns: ``(values, columns)``."""
    n = len(x)
    left = np.ascontiguousarray(np.hstack([x, sq[:, None], np.ones((n, 1), np.float32)]), np.float32)
    right = np.ascontiguousarray(np.hstack([-2.0 * x, np.ones((n, 1), np.float32), sq[:, None]]), np.float32)
    spans = [(i, min(i + tile, n)) for i in range(0, n, tile)]
    if len(spans) > 1 and spans[-1][1] - spans[-1][0] < m:  # every tile holds at least m points
        spans[-2:] = [(spans[-2][0], n)]
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (point, neighbour, value) arrays
    limit = np.empty(n, np.float32)
    scratch = _Scratch()

    def keep(pts: np.ndarray, nbr: np.ndarray, val: np.ndarray) -> None:
        found.append((pts.astype(np.int64, copy=False), nbr.astype(np.int64, copy=False), val))

    def partial(q: np.ndarray, first: int, other: int) -> None:
        cols, vals = _smallest_per_row(q, min(m, q.shape[1]))
        keep(np.repeat(np.arange(first, first + len(q)), cols.shape[1]), cols.ravel() + other, vals.ravel())

    def diagonal(t: int) -> None:
        i, j = spans[t]
        p = _product(left[i:j], right[i:j], scratch.get("p", (j - i, j - i), np.float32))
        rows, cols, vals, limit[i:j] = _first(p, m)
        keep(rows + i, cols + i, vals)

    def off(a: int, b: int) -> None:
        (i, j), (u, v) = spans[a], spans[b]
        shape = (j - i, v - u)
        p = _product(left[i:j], right[u:v], scratch.get("p", shape, np.float32))  # rows: points i..j, columns: u..v
        lr, lc = limit[i:j], limit[u:v]
        under = np.less(p, lr[:, None], out=scratch.get("m1", shape, np.bool_))
        under |= np.less(p, lc[None, :], out=scratch.get("m2", shape, np.bool_))
        idx = np.flatnonzero(under)
        if len(idx) > CROWD * m * (len(lr) + len(lc)):  # crowded (coinciding points): partial sorts
            partial(p, i, u)
            partial(p.T, u, i)
            return
        r, c = np.divmod(idx, v - u)
        val = p.ravel()[idx]
        row, col = val < lr[r], val < lc[c]
        keep(r[row] + i, c[row] + u, val[row])
        keep(c[col] + u, r[col] + i, val[col])

    _run([functools.partial(diagonal, t) for t in range(len(spans))], workers)
    _run([functools.partial(off, a, b) for a in range(len(spans)) for b in range(a + 1, len(spans))], workers)
    pts, nbr, val = (np.concatenate([f[c] for f in found]) for c in range(3))
    # each point's m-th smallest value kept: one sort of (point, value) packed in an int64
    packed = np.sort((pts << 32) | _sortable(val))
    start = np.searchsorted(packed >> 32, np.arange(n))  # every point has at least m (its diagonal tile)
    mth = _unsortable(packed[start + m - 1] & 0xFFFFFFFF)
    pick = np.flatnonzero(val <= mth[pts])  # each point's m smallest, and any value tied with the m-th
    pick = pick[np.argsort((pts[pick] << 32) | _sortable(val[pick]))]  # by point, then by value
    pts, nbr, val = pts[pick], nbr[pick], val[pick]
    at = (np.searchsorted(pts, np.arange(n))[:, None] + np.arange(m)).ravel()  # the first m of each point
    return val[at].reshape(n, m), nbr[at].reshape(n, m)


def kth_radii(x64: np.ndarray, x: np.ndarray, sq: np.ndarray, k: int, extra: int, gamma: float, *,
              tile: int = TILE, workers: int = 1) -> np.ndarray:
    """Exact float64 distance from each point to its k-th nearest neighbour in its own set (itself excluded).

    ``x64``: the original features; ``x``, ``sq``: centred float32 features and their squared norms;
    ``gamma``: the relative rounding bound of a float32 squared distance (see manifold._gamma).
    """
    n = len(x)
    m = min(n, k + 1 + extra)
    vals, cols = candidates(x, sq, m, tile=tile, workers=workers)
    v = vals.astype(np.float64)
    out = np.empty(n)
    step = 4096
    for i in range(0, n, step):  # float64 re-ranking, a few thousand rows at a time
        j = min(i + step, n)
        out[i:j] = np.sort(((x64[i:j, None, :] - x64[cols[i:j]]) ** 2).sum(-1), axis=1)[:, k]
    # the k+1 true nearest are among the m candidates unless float32 cannot tell them apart
    tol = gamma * (sq.astype(np.float64) + float(sq.max()))
    for r in np.flatnonzero((v[:, -1] - v[:, k] <= 2 * tol) & (m < n)):
        out[r] = np.sort(((x64[r:r + 1] - x64) ** 2).sum(-1))[k]
    return np.sqrt(out)
