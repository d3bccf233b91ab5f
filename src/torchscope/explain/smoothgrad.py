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

from ._budget import OverBudget
from .base import Explainer, Result

__all__ = ["SmoothGrad"]


class SmoothGrad(Explainer):
    """Mean over ``nt_samples`` of ``|grad(x + N(0, stdevs^2))|``, in budget-sized chunks of noisy rows."""

    name = "smoothgrad"
    signed = False

    def _attribute(self, x: torch.Tensor, target: torch.Tensor | None, *, nt_samples: int = 5,
                   stdevs: float = 1.0, abs: bool = True, seed: int | None = None) -> Result:
        assert target is not None
        if nt_samples < 1:
            raise ValueError(f"nt_samples must be at least 1, got {nt_samples}")
        gen = torch.Generator(device=x.device)
        if seed is None:
            gen.seed()
        else:
            gen.manual_seed(seed)
        total = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
        flat = total.view(len(x), -1)

        def step(a: int, b: int) -> None:  # row r is noisy copy r % nt_samples of sample r // nt_samples
            r = torch.arange(a, b, device=x.device)
            sample = r // nt_samples
            xs = x[sample]
            state = gen.get_state()
            noisy = xs + stdevs * torch.randn(xs.shape, generator=gen, device=x.device, dtype=x.dtype)
            try:
                g, _, _ = self.gradient(noisy, target[sample], sample)
            except OverBudget:  # the chunk runs again smaller: draw the same noise then
                gen.set_state(state)
                raise
            first, last = a // nt_samples, (b - 1) // nt_samples + 1
            ones = (sample[None] == torch.arange(first, last, device=x.device)[:, None]).to(x.dtype)
            flat[first:last].addmm_(ones, (g.abs() if abs else g).reshape(b - a, -1))

        self.chunked(x, len(x) * nt_samples, step)
        return Result(total / nt_samples, target, None)
