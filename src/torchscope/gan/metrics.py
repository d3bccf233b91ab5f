"""Sample-quality metrics for image GANs, in the feature space of a classifier of the same data.

- Frechet distance: Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a
  Local Nash Equilibrium" (NeurIPS 2017), the FID formula ``|mu1 - mu2|^2 + Tr(S1 + S2 -
  2 (S1 S2)^(1/2))`` with the trace of the square root taken from the eigenvalues of the symmetric
  ``S1^(1/2) S2 S1^(1/2)`` (stable, no complex ``sqrtm``).
- KID: Binkowski et al., "Demystifying MMD GANs" (ICLR 2018): the unbiased MMD^2 with the cubic
  polynomial kernel ``(x.y / d + 1)^3``, averaged over random subsets (mean and std). The kernel
  sums are taken block by block in cache (the symmetric kernels over their upper triangle), never
  as whole matrices, the subsets on a small pool of threads: the same values, to float64 rounding.
- Precision and recall: Kynkaanniemi et al., "Improved Precision and Recall Metric for Assessing
  Generative Models" (NeurIPS 2019): each set's manifold is the union of balls reaching each
  point's k-th nearest neighbour; precision is the share of fakes inside the real manifold, recall
  the share of reals inside the fake manifold (fast and exact: :mod:`torchscope.gan.manifold`).

Features come from :func:`~torchscope.gan.features.feature_extractor` (no Inception weights),
so numbers compare across runs on one data set, not with published FIDs.

Example::

    m = ts.gan.gan_metrics(G, ts.data.load("digits"), z_dim=100); m.fd, m.recall
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..records import Record, register_record

__all__ = ["GanMetrics", "frechet_distance", "gan_metrics", "kid"]


def _workers() -> int:
    """Threads for the blocks of a metric: torch's intra-op count (the user's choice), or the cores."""
    torch = sys.modules.get("torch")
    return int(torch.get_num_threads()) if torch is not None else os.cpu_count() or 1


def _f64(x: Any) -> np.ndarray:
    import torch

    x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    return x.astype(np.float64).reshape(len(x), -1)


def frechet_distance(a: Any, b: Any) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (N x D): ``frechet_distance(fa, fb)``."""
    a, b = _f64(a), _f64(b)
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False).reshape(a.shape[1], -1), np.cov(b, rowvar=False).reshape(b.shape[1], -1)
    w, v = np.linalg.eigh(s1)
    r1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T  # S1^(1/2)
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh(r1 @ s2 @ r1), 0, None)).sum()
    return float(max(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2.0 * tr_sqrt, 0.0))


_ROWS = 128  # rows of a kernel block: 128 x 1000 float64 (1 MB) stays in cache through its four passes


def _kernel_sum(x: np.ndarray, y: np.ndarray, d: int, same: bool, buf: np.ndarray, buf2: np.ndarray) -> float:
    """The sum of the cubic kernel ``(x_i . y_j / d + 1) ** 3`` over all pairs, or over i != j when
    ``y`` is ``x`` (``same``: only the upper triangle is computed, the diagonal block once and the
    rest twice), block by block in cache; the cube by products in place (a float64 power is ~10x)."""
    total = 0.0
    for i in range(0, len(x), _ROWS):
        j = min(i + _ROWS, len(x))
        cols = y[i:] if same else y
        k = np.matmul(x[i:j], cols.T, out=buf[:(j - i) * len(cols)].reshape(j - i, len(cols)))
        k /= d
        k += 1
        sq = np.multiply(k, k, out=buf2[:k.size].reshape(k.shape))
        cubes = float(np.vdot(sq, k))  # the sum of k^3
        if same:
            block = float(np.einsum("ij,ij->", sq[:, :j - i], k[:, :j - i]))
            diagonal = float(np.diagonal(sq[:, :j - i]) @ np.diagonal(k[:, :j - i]))
            total += 2 * cubes - block - diagonal
        else:
            total += cubes
    return total


def _mmd2(x: np.ndarray, y: np.ndarray, d: int) -> float:
    """Unbiased MMD^2 of two subsets with the cubic kernel."""
    m, n = len(x), len(y)
    buf, buf2 = np.empty(_ROWS * max(m, n)), np.empty(_ROWS * max(m, n))
    xx, yy, xy = (_kernel_sum(x, x, d, True, buf, buf2), _kernel_sum(y, y, d, True, buf, buf2),
                  _kernel_sum(x, y, d, False, buf, buf2))
    return xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2 * xy / (m * n)


def kid(a: Any, b: Any, *, subsets: int = 50, subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
    """Kernel Inception-style distance (mean, std over subsets) of two feature sets: ``kid(fa, fb)``.

    When both sets are no larger than ``subset_size`` every subset is the whole sets: the value is
    computed once and its std is NaN (there is no spread to estimate). The subsets run on as many
    threads as torch's intra-op count, each with a single-threaded BLAS (one multi-threaded BLAS
    call per 1000 x 1000 product spends its time waiting for cores on a busy machine); the values
    do not depend on it.
    """
    from threadpoolctl import threadpool_limits

    a, b = _f64(a), _f64(b)
    m = min(subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    d = a.shape[1]
    whole = m == len(a) == len(b)  # every "subset" would be both whole sets: the same value each time
    picks = [(rng.choice(len(a), m, replace=False), rng.choice(len(b), m, replace=False))
             for _ in range(1 if whole else subsets)]
    workers = min(_workers(), len(picks))
    with threadpool_limits(1, user_api="blas"):
        if workers > 1:
            with ThreadPoolExecutor(workers) as pool:
                vals = list(pool.map(lambda p: _mmd2(a[p[0]], b[p[1]], d), picks))
        else:
            vals = [_mmd2(a[i], b[j], d) for i, j in picks]
    if whole:  # one value, no spread to report
        return float(vals[0]), float("nan")
    return float(np.mean(vals)), float(np.std(vals))


@register_record
@dataclass
class GanMetrics(Record):
    """Quality of a generator's samples; ``extractor``, ``n_real`` and ``n_fake`` say how it was measured."""

    kind: ClassVar[str] = "gan.metrics"
    fd: float
    kid: float
    kid_std: float
    precision: float
    recall: float
    extractor: str
    n_real: int
    n_fake: int
    k: int = 3
    step: int | None = None

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(5.2, 2.0))
        ax = fig.add_subplot()
        names = ["precision", "recall"]
        vals = [self.precision, self.recall]
        ax.barh(names, vals, color=["#4c72b0", "#dd8452"])
        ax.set_xlim(0, 1)
        for i, v in enumerate(vals):
            ax.text(min(v + 0.02, 0.9), i, f"{v:.3f}", va="center", fontsize=9)
        spread = "n/a (one subset: the whole sets)" if not np.isfinite(self.kid_std) else f"{self.kid_std:.2g}"
        ax.set_title(f"FD {self.fd:.3g}   KID {self.kid:.3g} ± {spread}   "
                     f"({self.n_fake} fake vs {self.n_real} real)", fontsize=9)
        ax.set_xlabel(f"features: {self.extractor}", fontsize=7)
        ax.spines[["top", "right"]].set_visible(False)
        return fig


def gan_metrics(fake: Any, real: Any, *, z_dim: int | None = None, n: int = 2000, extractor: Any = None,
                value_range: tuple[float, float] = (-1.0, 1.0), k: int = 3, seed: int = 0,
                step: int | None = None) -> GanMetrics:
    """FD, KID and precision/recall of a generator (or images in [0, 1]) against a data set.

    ``fake`` is a generator module (``n`` samples of ``randn(n, z_dim)``, mapped from
    ``value_range``) or an N x C x H x W tensor in [0, 1]; ``real`` a torchscope image data set
    (``n`` random samples) or a tensor in [0, 1] with ``extractor`` given.
    Example: ``ts.gan.gan_metrics(G, ds, z_dim=100, n=2000)``.
    """
    import torch

    from ._util import dataset_tensors, generate
    from .features import feature_extractor
    from .manifold import precision_recall

    if isinstance(real, torch.Tensor):
        if extractor is None:
            raise ValueError("gan_metrics(real=<tensor>) needs extractor=ts.gan.feature_extractor(dataset)")
        xr = real
    else:
        extractor = extractor or feature_extractor(real)
        xr, _ = dataset_tensors(real, n, seed=seed)
    if isinstance(fake, torch.nn.Module):
        if z_dim is None:
            z_dim = getattr(fake, "z_dim", None)
        if z_dim is None:
            raise ValueError("gan_metrics(generator) needs z_dim= (the generator has no z_dim attribute)")
        device = next(fake.parameters()).device
        z = torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed)).to(device)
        xf = generate(fake, z, value_range=value_range).cpu()
    else:
        xf = torch.as_tensor(fake).float()
    fr, ff = extractor.features(xr), extractor.features(xf)
    mean, std = kid(fr, ff, subset_size=min(1000, len(fr), len(ff)), subsets=20, seed=seed)
    p, r = precision_recall(fr, ff, k=k)
    return GanMetrics(fd=frechet_distance(fr, ff), kid=mean, kid_std=std, precision=p, recall=r,
                      extractor=extractor.id, n_real=len(fr), n_fake=len(ff), k=k, step=step)
