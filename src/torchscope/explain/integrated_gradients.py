"""Integrated Gradients: the path integral of gradients from a baseline to the input.

Sundararajan, Taly & Yan, "Axiomatic Attribution for Deep Networks", ICML 2017. Defaults as
Captum's ``IntegratedGradients``: zero baseline, 50 steps, Gauss-Legendre quadrature, multiplied
by ``inputs - baselines``. Captum expands the whole batch by its steps at once (memory grows
with ``N x steps``); here the ``N x steps`` interpolated rows are processed in budget-sized chunks
and each chunk's gradients are weighted by their step sizes and summed per sample in one matrix
product, so memory is bounded.

Example::

    ts.explain(model, x, method="ig", n_steps=50)
"""

from __future__ import annotations

import numpy as np
import torch

from .base import Explainer, Result

__all__ = ["IntegratedGradients", "quadrature"]


def quadrature(method: str, n: int) -> tuple[list[float], list[float]]:
    """(alphas, step sizes) of Captum's rules: ``quadrature("gausslegendre", 50)``."""
    if n < 1:
        raise ValueError(f"n_steps must be at least 1, got {n}")
    if method == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(n)
        return list(0.5 * (1 + nodes)), list(0.5 * weights)
    ends = {"riemann_trapezoid": (0, 1), "riemann_left": (0, 1 - 1 / n), "riemann_right": (1 / n, 1),
            "riemann_middle": (1 / (2 * n), 1 - 1 / (2 * n))}
    if method not in ends:
        raise ValueError(f"method must be 'gausslegendre' or one of {sorted(ends)}, got {method!r}")
    if n < 2:
        raise ValueError(f"{method} needs n_steps >= 2")
    sizes = [1 / n] * n
    if method == "riemann_trapezoid":  # Captum's rule: the end steps halved (weights sum to (n - 1) / n)
        sizes[0] /= 2
        sizes[-1] /= 2
    return torch.linspace(*ends[method], n).tolist(), sizes


class IntegratedGradients(Explainer):
    """``(x - x0) * sum_k w_k grad(x0 + a_k (x - x0))``."""

    name = "integrated_gradients"

    def _attribute(self, x: torch.Tensor, target: torch.Tensor | None, *,
                   baselines: float | torch.Tensor | None = None, n_steps: int = 50,
                   method: str = "gausslegendre") -> Result:
        assert target is not None
        alphas_l, sizes_l = quadrature(method, n_steps)
        alphas = torch.tensor(alphas_l, dtype=x.dtype, device=x.device)
        sizes = torch.tensor(sizes_l, dtype=torch.float32, device=x.device).to(x.dtype)
        base = None if baselines is None else torch.as_tensor(baselines, dtype=x.dtype, device=x.device).expand_as(x)
        delta = x if base is None else x - base
        total = torch.zeros(x.shape, dtype=x.dtype, device=x.device)  # contiguous, whatever x's layout
        flat = total.view(len(x), -1)
        shape = (-1,) + (1,) * (x.ndim - 1)

        def step(a: int, b: int) -> None:  # row r is step r % n_steps of sample r // n_steps
            r = torch.arange(a, b, device=x.device)
            sample, k = r // n_steps, r % n_steps
            scaled = alphas[k].reshape(shape) * delta[sample]
            if base is not None:
                scaled = base[sample] + scaled
            g, _, _ = self.gradient(scaled, target[sample], sample)
            first, last = a // n_steps, (b - 1) // n_steps + 1
            weights = torch.zeros(last - first, b - a, dtype=x.dtype, device=x.device)
            weights[sample - first, r - a] = sizes[k]  # one row per sample: its step sizes, 0 elsewhere
            flat[first:last].addmm_(weights, g.reshape(b - a, -1))

        self.chunked(x, len(x) * n_steps, step)
        return Result(total * delta, target, None)
