"""Improved precision and recall for generative models, fast and exact.

Kynkaanniemi, Karras, Laine, Lehtinen & Aila, "Improved Precision and Recall Metric for Assessing
Generative Models" (NeurIPS 2019): each set's manifold is the union of balls that reach each
point's k-th nearest neighbour in its own set; precision is the share of fakes inside the real
manifold, recall the share of reals inside the fake manifold.

How it stays fast without an N x N float64 matrix: distances are computed tile by tile as float32
matrix products (``|a|^2 + |b|^2 - 2 a.b``, on centred features), never stored whole. Past one
tile of points the k-th neighbours come from the tiles on and above the diagonal of each set's
symmetric distances, half the products, each kept value screened by a per-point threshold instead
of a sort (:mod:`torchscope.gan._knn`); smaller sets use row blocks whose candidates come from the
minima of groups of :data:`GROUP` columns. One product ``2 F R^T + cf + cr`` per tile serves both
precision (its row maxima) and recall (its column maxima). Tiles are independent and run on a small
pool of threads, each with a single-threaded BLAS (OpenBLAS's float32 products, faster here than
torch's) and one intra-op thread: no core waits at a barrier for another that a busy machine took
away. How it stays exact: every float32 answer carries a
rounding bound, and whatever falls within it (a radius whose neighbours are too close to call, a
point that sits on a ball's edge) is recomputed in float64 from the original features, as a
brute-force reference would. The results are the float64 brute force's.

Example::

    p, r = precision_recall(real_features, fake_features, k=3)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import torch

from ._knn import TILE, kth_radii

__all__ = ["precision_recall"]

EXTRA = 4  # float32 candidates beyond the k+1 nearest, re-ranked in float64
BLOCK = 1 << 21  # float32 elements per block of distances (8 MB: two blocks stay in a 32 MB cache)
GROUP = 64  # columns whose minimum screens them for the nearest neighbours


def _as_f64(x: Any) -> np.ndarray:
    x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    return np.ascontiguousarray(x, dtype=np.float64).reshape(len(x), -1)


def _exact_d2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared distances in float64 from the differences (what a brute-force reference computes)."""
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)


def _gamma(dim: int) -> float:
    # A bound on the rounding error of a float32 |a|^2 + |b|^2 - 2 a.b (a dot product of length
    # dim + 1, then additions), relative to the squared norms and radii involved, taken 2x over.
    return 4.0 * (dim + 4) * 2.0 ** -24


def _rows(n_cols: int, chunk: int | None) -> int:
    return chunk or max(16, min(1024, BLOCK // max(n_cols, 1)))


def _ones(x: torch.Tensor, col: torch.Tensor) -> torch.Tensor:
    return torch.cat([x, col[:, None]], 1)


def _smallest(b: torch.Tensor, m: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The m smallest values of each row of ``b`` (ascending) and their columns, as ``torch.topk``.

    ``b`` has its columns padded to a multiple of :data:`GROUP` with +inf (or is narrow). Every
    group holding one of a row's m smallest values has a minimum no larger than the m-th smallest,
    so the m groups of smallest minima hold them all (ties included: the values are the same).
    """
    rows, cols = b.shape
    if cols % GROUP or cols // GROUP < 4 * m:
        return torch.topk(b[:, :n], m, dim=1, largest=False)
    mins = b.view(rows, cols // GROUP, GROUP).amin(2)
    groups = torch.topk(mins, m, dim=1, largest=False, sorted=False).indices
    where = (groups[:, :, None] * GROUP + torch.arange(GROUP)).view(rows, m * GROUP)
    vals, pick = torch.topk(torch.gather(b, 1, where), m, dim=1, largest=False)
    return vals, torch.gather(where, 1, pick)


def _pad(n: int) -> int:
    """Columns of a distance block: ``n`` rounded up to whole groups (when screening by groups pays)."""
    return n if n < 8 * GROUP * (1 + EXTRA) else -(-n // GROUP) * GROUP


class _Buffers(threading.local):
    """One block-sized float32 buffer per thread: a fresh 8 MB product per block costs its page faults
    (as much again as the product itself)."""

    def get(self, rows: int, cols: int) -> np.ndarray:
        buf: np.ndarray | None = getattr(self, "buf", None)
        if buf is None or buf.size < rows * cols:
            buf = self.buf = np.empty(rows * cols, np.float32)
        return buf[:rows * cols].reshape(rows, cols)


def _product(left: np.ndarray, right: np.ndarray, buffers: _Buffers) -> torch.Tensor:
    """``left @ right`` into this thread's buffer (valid until its next product)."""
    return torch.from_numpy(np.matmul(left, right, out=buffers.get(len(left), right.shape[1])))


def _blocks(n: int, rows: int, fn: Callable[[int, int], None], workers: int) -> None:
    """``fn(i, j)`` for every block of rows; ``workers`` threads take blocks as they free up."""
    spans = [(i, min(i + rows, n)) for i in range(0, n, rows)]
    if workers <= 1 or len(spans) == 1:
        for i, j in spans:
            fn(i, j)
        return
    with ThreadPoolExecutor(min(workers, len(spans))) as pool:
        for _ in pool.map(lambda s: fn(*s), spans):  # raises what a block raised
            pass


def _radii(x64: np.ndarray, x: torch.Tensor, sq: torch.Tensor, k: int, chunk: int | None,
           workers: int) -> np.ndarray:
    """Exact float64 distance from each point to its k-th nearest neighbour in its own set.

    Past one tile of points (:data:`torchscope.gan._knn.TILE`) from the tiles on and above the
    diagonal of the symmetric distances (:func:`torchscope.gan._knn.kth_radii`), else row blocks.
    """
    n = len(x)
    if n > TILE:
        return kth_radii(x64, x.numpy(), sq.numpy(), k, EXTRA, _gamma(x.shape[1]), workers=workers)
    m, rows, cols = min(n, k + 1 + EXTRA), _rows(n, chunk), _pad(n)
    left = _ones(x, torch.ones(n))  # [x_i, 1] . [-2 x_j, |x_j|^2] = d2_ij - |x_i|^2: ranks row i's neighbours
    right = torch.zeros(x.shape[1] + 1, cols)
    right[:, :n] = _ones(-2.0 * x, sq).T
    right[-1, n:] = float("inf")  # padding columns are never near
    gamma, top = _gamma(x.shape[1]), float(sq.max())
    out = np.empty(n)

    lnp, rnp, buffers = left.numpy(), right.numpy(), _Buffers()

    def block(i: int, j: int) -> None:
        tv, ti = _smallest(_product(lnp[i:j], rnp, buffers), m, n)  # sorted ascending
        v, ix = tv.double().numpy(), ti.numpy()
        here = np.arange(i, j)
        out[here] = np.sort(((x64[here][:, None, :] - x64[ix]) ** 2).sum(-1), axis=1)[:, k]
        # the k+1 true nearest are among the m candidates unless float32 cannot tell them apart
        tol = gamma * (sq[i:j].double().numpy() + top)
        for r in here[(v[:, -1] - v[:, k] <= 2 * tol) & (m < n)]:
            out[r] = np.sort(_exact_d2(x64[r:r + 1], x64)[0])[k]

    _blocks(n, rows, block, workers)
    return np.sqrt(out)


def _refine(q64: np.ndarray, ref64: np.ndarray, radius: np.ndarray) -> bool:
    """Exact answer for one point: is ``q64`` inside any ball (``ref64``, ``radius``)?"""
    return bool((np.sqrt(_exact_d2(q64[None], ref64)[0]) <= radius).any())


def precision_recall(real: Any, fake: Any, *, k: int = 3, chunk: int | None = None) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019) of fake vs real features: ``p, r = ...``.

    ``real`` and ``fake`` are N x D feature arrays or tensors (any float type); the answer is the
    float64 brute force's, computed in float32 blocks of ``chunk`` rows (default: 8 MB blocks) on as
    many threads as torch's intra-op count, each block on one.
    """
    from threadpoolctl import threadpool_limits

    from ._util import threads

    r64, f64 = _as_f64(real), _as_f64(fake)
    if len(r64) <= k or len(f64) <= k:
        raise ValueError(f"precision_recall needs more than k={k} points per set (got {len(r64)} and {len(f64)})")
    workers = torch.get_num_threads()
    with threads(1), threadpool_limits(1, user_api="blas"):
        return _precision_recall(r64, f64, k, chunk, workers)


def _precision_recall(r64: np.ndarray, f64: np.ndarray, k: int, chunk: int | None,
                      workers: int) -> tuple[float, float]:
    centre = r64.mean(0)  # smaller norms: smaller float32 rounding
    r, f = torch.from_numpy(r64 - centre).float(), torch.from_numpy(f64 - centre).float()
    sr, sf = (r * r).sum(1), (f * f).sum(1)
    rad_r, rad_f = _radii(r64, r, sr, k, chunk, workers), _radii(f64, f, sf, k, chunk, workers)
    # q is inside ball (c, rad) when its margin rad^2 - |q - c|^2 = 2 q.c + (rad^2 - |c|^2) - |q|^2 >= 0
    cr = torch.from_numpy(rad_r ** 2).float() - sr  # per real ball
    cf = torch.from_numpy(rad_f ** 2).float() - sf  # per fake ball
    # one product per tile, 2 f.r + cf_f + cr_r, serves both directions: its row maxima less cf_f are the
    # fakes' best margins in real balls (plus |f|^2), its column maxima less cr_r the reals' in fake balls
    ones_f, ones_r = torch.ones(len(f), 1), torch.ones(len(r), 1)
    left = torch.cat([f, cf[:, None], ones_f], 1).numpy()
    right = np.ascontiguousarray(torch.cat([2.0 * r, ones_r, cr[:, None]], 1).numpy())
    rows, cols = _rows(TILE, chunk), TILE
    f_spans = [(i, min(i + rows, len(f))) for i in range(0, len(f), rows)]
    r_spans = [(u, min(u + cols, len(r))) for u in range(0, len(r), cols)]
    row_max = np.empty((len(r_spans), len(f)), np.float32)  # per fake, per tile of reals
    col_max = np.empty((len(f_spans), len(r)), np.float32)  # per real, per tile of fakes

    buffers = _Buffers()

    def tile(a: int, b: int) -> None:
        (i, j), (u, v) = f_spans[a], r_spans[b]
        prod = np.matmul(left[i:j], right[u:v].T, out=buffers.get(j - i, v - u))
        prod.max(1, out=row_max[b, i:j])
        prod.max(0, out=col_max[a, u:v])

    tasks = [(a, b) for a in range(len(f_spans)) for b in range(len(r_spans))]
    _blocks(len(tasks), 1, lambda t, _: tile(*tasks[t]), workers)
    mf = row_max.max(0).astype(np.float64) - cf.double().numpy() - sf.double().numpy()
    mr = col_max.max(0).astype(np.float64) - cr.double().numpy() - sr.double().numpy()
    tol = _gamma(r.shape[1]) * float(sf.max() + sr.max() + (cr + sr).max() + (cf + sf).max())
    inside_f, inside_r = mf > tol, mr > tol
    for q in np.flatnonzero(np.abs(mf) <= tol):  # too close to a ball's edge to call in float32
        inside_f[q] = _refine(f64[q], r64, rad_r)
    for q in np.flatnonzero(np.abs(mr) <= tol):
        inside_r[q] = _refine(r64[q], f64, rad_f)
    return float(inside_f.mean()), float(inside_r.mean())
