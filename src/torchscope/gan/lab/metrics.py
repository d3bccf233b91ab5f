"""How close the generated points are to the target: divergences, distances and mode coverage.

- :func:`grid_divergences`: KL(real || fake) and Jensen-Shannon divergence between the two
  sets' histograms on a grid over the view (smoothed so that empty cells do not make KL
  infinite); JS is in nats, bounded by log 2.
- :func:`mmd`: the squared maximum mean discrepancy with a sum of Gaussian kernels of several
  bandwidths (Gretton et al. 2012, "A Kernel Two-Sample Test", biased V-statistic).
- :func:`sliced_wasserstein`: the 1-Wasserstein distance averaged over random 1-D projections
  (Rabin et al. 2011; Bonneel et al. 2015).
- :func:`mode_coverage`: for mixtures, how many modes have (enough) generated samples within 3
  standard deviations (the protocol of Srivastava et al. 2017, "VEEGAN"), and the share of
  "high quality" samples that land near any mode.

Example::

    kl, js = grid_divergences(real, fake); covered = mode_coverage(fake, t.centers, t.std)["covered"]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from .distributions import BOUNDS

__all__ = ["grid_divergences", "histogram2d", "mmd", "mode_coverage", "sliced_wasserstein"]


def histogram2d(x: torch.Tensor, bins: int = 32, bounds: tuple[float, float] = BOUNDS) -> torch.Tensor:
    """Counts of points ``(n, 2)`` on a ``bins x bins`` grid (rows = y), batched: ``histogram2d(x, 32)``.

    Points outside the view (or non-finite) are dropped.
    """
    lo, hi = bounds
    ij = torch.floor((x - lo) / (hi - lo) * bins).long()
    ok = torch.isfinite(x).all(1) & (ij >= 0).all(1) & (ij < bins).all(1)
    ij = ij[ok]
    flat = ij[:, 1] * bins + ij[:, 0]
    return torch.bincount(flat, minlength=bins * bins).reshape(bins, bins).to(torch.float64)


def grid_divergences(real: torch.Tensor, fake: torch.Tensor, bins: int = 32, eps: float = 1e-4,
                     bounds: tuple[float, float] = BOUNDS) -> tuple[float, float]:
    """(KL(real || fake), JS(real, fake)) in nats, from histograms on a grid: ``grid_divergences(a, b)``.

    Both histograms get ``eps`` added to every cell before normalizing, so KL stays finite.
    """
    p = histogram2d(real, bins, bounds) + eps
    q = histogram2d(fake, bins, bounds) + eps
    p, q = p / p.sum(), q / q.sum()
    m = 0.5 * (p + q)
    kl = float((p * (p / q).log()).sum())
    js = float(0.5 * (p * (p / m).log()).sum() + 0.5 * (q * (q / m).log()).sum())
    return kl, js


def mmd(x: torch.Tensor, y: torch.Tensor, bandwidths: tuple[float, ...] = (0.05, 0.2, 0.8)) -> float:
    """Squared MMD with a multi-bandwidth Gaussian kernel (biased estimate): ``mmd(real, fake)``.

    Zero when both sets are identical; non-finite inputs give ``nan``.
    """
    if not (torch.isfinite(x).all() and torch.isfinite(y).all()):
        return math.nan
    x, y = x.float(), y.float()
    z = torch.cat([x, y])
    d2 = torch.cdist(z, z).pow(2)
    k = torch.stack([torch.exp(-d2 / (2 * h * h)) for h in bandwidths]).sum(0)
    n = len(x)
    kxx, kyy, kxy = k[:n, :n].mean(), k[n:, n:].mean(), k[:n, n:].mean()
    return float(kxx + kyy - 2 * kxy)


def sliced_wasserstein(x: torch.Tensor, y: torch.Tensor, projections: int = 64, seed: int = 0) -> float:
    """The sliced 1-Wasserstein distance over random directions: ``sliced_wasserstein(real, fake)``.

    Uses the first ``min(len(x), len(y))`` points of each set; non-finite inputs give ``nan``.
    """
    if not (torch.isfinite(x).all() and torch.isfinite(y).all()):
        return math.nan
    n = min(len(x), len(y))
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(projections, generator=g) * math.pi
    dirs = torch.stack([torch.cos(a), torch.sin(a)], 1)
    px, _ = (x[:n].float() @ dirs.T).sort(0)
    py, _ = (y[:n].float() @ dirs.T).sort(0)
    return float((px - py).abs().mean())


def mode_coverage(fake: torch.Tensor, centers: np.ndarray | torch.Tensor, std: float,
                  min_share: float = 0.25) -> dict[str, Any]:
    """Which mixture modes the generated points cover: ``mode_coverage(fake, t.centers, t.std)``.

    A mode is covered when at least ``min_share`` of its fair share (``n / K`` of ``n`` points)
    fall within ``3 * std`` of its centre: a quarter by default, so a diffuse cloud that merely
    brushes a mode does not count. Returns ``{"covered": int, "modes": K, "counts": [...], "high_quality": share}``.
    """
    c = torch.as_tensor(np.asarray(centers), dtype=torch.float32)
    fake = fake[torch.isfinite(fake).all(1)].float()
    if len(fake) == 0:
        return {"covered": 0, "modes": len(c), "counts": [0] * len(c), "high_quality": 0.0}
    d = torch.cdist(fake, c)
    near, idx = d.min(1)
    ok = near <= 3 * std
    counts = torch.bincount(idx[ok], minlength=len(c))
    need = max(1, math.ceil(min_share * len(fake) / len(c)))
    return {"covered": int((counts >= need).sum()), "modes": len(c), "counts": counts.tolist(),
            "high_quality": float(ok.float().mean())}
