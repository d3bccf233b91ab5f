"""SmoothGrad: saliency averaged over noisy copies of the input.

Smilkov, Thorat, Kim, Viegas & Wattenberg, "SmoothGrad: removing noise by adding noise",
arXiv:1706.03825, 2017. Defaults as Captum's ``NoiseTunnel(Saliency(model))``: 5 samples,
Gaussian noise of standard deviation 1.0 (absolute, in input units), absolute gradients. The
paper recommends a standard deviation of 10-20% of the input range: pass ``stdevs=0.15 * (hi - lo)``.

Example::

    ts.explain(model, x, method="smoothgrad", nt_samples=25, stdevs=0.15)
"""

from __future__ import annotations

import torch

from ._budget import chunks
from .base import Explainer

__all__ = ["SmoothGrad"]


class SmoothGrad(Explainer):
    """Mean over ``nt_samples`` of ``|grad(x + N(0, stdevs^2))|``, in budget-sized chunks of noisy rows."""

    name = "smoothgrad"
    signed = False

    def _attribute(self, x: torch.Tensor, target: torch.Tensor, *, nt_samples: int = 5, stdevs: float = 1.0,
                   abs: bool = True, seed: int | None = None) -> torch.Tensor:
        if nt_samples < 1:
            raise ValueError(f"nt_samples must be at least 1, got {nt_samples}")
        gen = torch.Generator(device=x.device)
        if seed is None:
            gen.seed()
        else:
            gen.manual_seed(seed)
        total = torch.zeros_like(x)
        rows = len(x) * nt_samples  # row r is noisy copy r % nt_samples of sample r // nt_samples
        for a, b in chunks(rows, self.rows_per_chunk(x)):
            sample = torch.arange(a, b, device=x.device) // nt_samples
            xs = x[sample]
            noisy = xs + stdevs * torch.randn(xs.shape, generator=gen, device=x.device, dtype=x.dtype)
            g = self.gradient(noisy, target[sample])
            total.index_add_(0, sample, g.abs() if abs else g)
        return total / nt_samples
