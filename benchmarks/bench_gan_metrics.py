"""GAN metrics benchmark: KID and precision/recall on 10,000 samples each, this version against the
previous one (kept below as the reference: the same values, computed as the previous release did).

KID: 50 subsets of 1,000 (the default), previous = whole float64 kernel matrices per subset with
one BLAS call each; now = blocks in cache, the upper triangle of the symmetric kernels, subsets on
a pool of threads with a single-threaded BLAS each. Precision/recall (k=3): previous = float32
distance blocks with a full-row topk for the k-th neighbours, torch's threads inside each op; now =
each set's k-th neighbours from the tiles on and above the diagonal of its symmetric distances (half
the products, candidates kept under per-point thresholds, no sort of rows), one product per tile of
fakes x reals for both directions, tiles on a pool of threads. Both give the float64 answers.

Rounds alternate the two (who goes first changes each round); each prints the range and median of
the wall times and of the ratio previous/now, and the values side by side. Run on the target
machine (2 CPU cores), as a notebook would: torch's default threads.

    .venv/bin/python benchmarks/bench_gan_metrics.py [--quick] [--n 10000] [--dim 64]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np
import torch

import torchscope as ts

EXTRA = 4
BLOCK = 1 << 23


def kid_previous(a: Any, b: Any, *, subsets: int = 50, subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
    """torchscope's KID before the blocked sums: whole float64 kernel matrices per subset."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    m = min(subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    d = a.shape[1]

    def cubic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        k = x @ y.T
        k /= d
        k += 1
        sq = k * k
        sq *= k
        return sq

    vals = []
    whole = m == len(a) == len(b)
    for _ in range(1 if whole else subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        kxx, kyy, kxy = cubic(x, x), cubic(y, y), cubic(x, y)
        off = m * (m - 1)
        vals.append((kxx.sum() - np.trace(kxx)) / off + (kyy.sum() - np.trace(kyy)) / off - 2 * kxy.mean())
    if whole:
        return float(vals[0]), float("nan")
    return float(np.mean(vals)), float(np.std(vals))


# -- precision/recall as the previous release computed it (torchscope/gan/manifold.py) ---------------
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


def _radii(x64: np.ndarray, x: torch.Tensor, sq: torch.Tensor, k: int, chunk: int | None) -> np.ndarray:
    """Exact float64 distance from each point to its k-th nearest neighbour in its own set."""
    n = len(x)
    m, rows = min(n, k + 1 + EXTRA), _rows(n, chunk)
    left = _ones(x, torch.ones(n))  # [x_i, 1] . [-2 x_j, |x_j|^2] = d2_ij - |x_i|^2: ranks row i's neighbours
    right = _ones(-2.0 * x, sq).T.contiguous()
    buf, vals, idx = torch.empty(rows, n), torch.empty(rows, m), torch.empty(rows, m, dtype=torch.long)
    gamma, top = _gamma(x.shape[1]), float(sq.max())
    out = np.empty(n)
    for i in range(0, n, rows):
        j = min(i + rows, n)
        b = torch.mm(left[i:j], right, out=buf[:j - i])
        tv, ti = torch.topk(b, m, dim=1, largest=False, out=(vals[:j - i], idx[:j - i]))  # sorted ascending
        v, ix = tv.double().numpy(), ti.numpy()
        here = np.arange(i, j)
        out[here] = np.sort(((x64[here][:, None, :] - x64[ix]) ** 2).sum(-1), axis=1)[:, k]
        # the k+1 true nearest are among the m candidates unless float32 cannot tell them apart
        tol = gamma * (sq[i:j].double().numpy() + top)
        for r in here[(v[:, -1] - v[:, k] <= 2 * tol) & (m < n)]:
            out[r] = np.sort(_exact_d2(x64[r:r + 1], x64)[0])[k]
    return np.sqrt(out)


def _refine(q64: np.ndarray, ref64: np.ndarray, radius: np.ndarray) -> bool:
    """Exact answer for one point: is ``q64`` inside any ball (``ref64``, ``radius``)?"""
    return bool((np.sqrt(_exact_d2(q64[None], ref64)[0]) <= radius).any())


def pr_previous(real: Any, fake: Any, *, k: int = 3, chunk: int | None = None) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019) of fake vs real features: ``p, r = ...``.

    ``real`` and ``fake`` are N x D feature arrays or tensors (any float type); the answer is the
    float64 brute force's, computed in float32 blocks of ``chunk`` rows (default: 32 MB blocks).
    """
    r64, f64 = _as_f64(real), _as_f64(fake)
    if len(r64) <= k or len(f64) <= k:
        raise ValueError(f"precision_recall needs more than k={k} points per set (got {len(r64)} and {len(f64)})")
    centre = r64.mean(0)  # smaller norms: smaller float32 rounding
    r, f = torch.from_numpy(r64 - centre).float(), torch.from_numpy(f64 - centre).float()
    sr, sf = (r * r).sum(1), (f * f).sum(1)
    rad_r, rad_f = _radii(r64, r, sr, k, chunk), _radii(f64, f, sf, k, chunk)
    # q is inside ball (c, rad) when its margin rad^2 - |q - c|^2 = 2 q.c + (rad^2 - |c|^2) - |q|^2 >= 0
    cr = torch.from_numpy(rad_r ** 2).float() - sr  # per real ball
    cf = torch.from_numpy(rad_f ** 2).float() - sf  # per fake ball
    left, right = _ones(f, torch.ones(len(f))), _ones(2.0 * r, cr).T.contiguous()
    rows = _rows(len(r), chunk)
    buf = torch.empty(rows, len(r))
    best_f = torch.empty(len(f))  # per fake: max over real balls of 2 f.c + rad^2 - |c|^2
    best_r = torch.full((len(r),), -np.inf)  # per real: max over fake balls of 2 r.c + rad^2 - |c|^2 (+ cr)
    for i in range(0, len(f), rows):  # one product per block serves both directions
        j = min(i + rows, len(f))
        b = torch.mm(left[i:j], right, out=buf[:j - i])
        best_f[i:j] = b.amax(1)
        best_r = torch.maximum(best_r, b.add_(cf[i:j, None]).amax(0))
    mf, mr = (best_f - sf).double().numpy(), (best_r - cr - sr).double().numpy()
    tol = _gamma(r.shape[1]) * float(sf.max() + sr.max() + (cr + sr).max() + (cf + sf).max())
    inside_f, inside_r = mf > tol, mr > tol
    for q in np.flatnonzero(np.abs(mf) <= tol):  # too close to a ball's edge to call in float32
        inside_f[q] = _refine(f64[q], r64, rad_r)
    for q in np.flatnonzero(np.abs(mr) <= tol):
        inside_r[q] = _refine(r64[q], f64, rad_f)
    return float(inside_f.mean()), float(inside_r.mean())


def timed(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def compare(name: str, previous: Any, now: Any, rounds: int) -> None:
    times: dict[str, list[float]] = {"previous": [], "now": []}
    values: dict[str, Any] = {}
    for r in range(rounds):
        for who in (("previous", "now") if r % 2 == 0 else ("now", "previous")):
            t, values[who] = timed(previous if who == "previous" else now)
            times[who].append(t)
    ratios = sorted(p / n for p, n in zip(times["previous"], times["now"]))
    p, n = times["previous"], times["now"]
    print(f"{name}:")
    print(f"  previous {min(p):6.2f}-{max(p):6.2f} s (median {statistics.median(p):.2f})   "
          f"now {min(n):6.2f}-{max(n):6.2f} s (median {statistics.median(n):.2f})   "
          f"previous/now {ratios[0]:.1f}-{ratios[-1]:.1f}x (median {statistics.median(ratios):.1f}x)")
    print(f"  values: previous {values['previous']}, now {values['now']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 rounds instead of 5")
    ap.add_argument("--n", type=int, default=10_000, help="samples per set (default 10,000)")
    ap.add_argument("--dim", type=int, default=64, help="feature dimensions (default 64)")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(args.n, args.dim)), rng.normal(size=(args.n, args.dim)) * 1.1 + 0.1
    rounds = 3 if args.quick else 5
    print(f"{args.n:,} vs {args.n:,} samples x {args.dim} features; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; {rounds} alternating rounds")
    compare("KID (50 subsets of 1,000)", lambda: kid_previous(a, b), lambda: ts.gan.kid(a, b), rounds)
    compare("precision/recall (k=3)", lambda: pr_previous(a, b), lambda: ts.gan.precision_recall(a, b), rounds)


if __name__ == "__main__":
    main()
