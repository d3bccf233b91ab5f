"""The lab's layers, each computed in one batched tensor pass (no Python loops over points).

- :func:`decision_map`: D's decision on a ``grid x grid`` lattice over the view (one forward).
- :func:`manifold`: the generator's image of an equal-probability noise grid, plus each warped
  cell's generated density (cell probability / cell area) mapped to an opacity in [0, 1].
- :func:`generator_arrows`: per-sample gradients of G's loss with respect to each generated
  point, negated: the direction in which the generator wants to move that point (GAN Lab's
  "generator gradients", Kahng et al. 2018).

Example::

    heat = decision_map(D, loss, 48); lines, opacity = manifold(G, 21, 2, "normal")
"""

from __future__ import annotations

import torch
from torch import nn

from .distributions import BOUNDS
from .losses import Loss
from .models import noise_grid

__all__ = ["decision_map", "generator_arrows", "grid_points", "manifold"]


def grid_points(k: int, bounds: tuple[float, float] = BOUNDS) -> torch.Tensor:
    """Cell centres of a ``k x k`` lattice over the view, ``(k*k, 2)``, row-major from the bottom."""
    lo, hi = bounds
    c = lo + (torch.arange(k, dtype=torch.float32) + 0.5) * (hi - lo) / k
    yy, xx = torch.meshgrid(c, c, indexing="ij")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)


@torch.no_grad()
def decision_map(d: nn.Module, loss: Loss, k: int, bounds: tuple[float, float] = BOUNDS) -> torch.Tensor:
    """D's decision in [0, 1] ("real") on a ``k x k`` grid; row 0 is the bottom of the view.

    Example: ``decision_map(D, LOSSES["minimax"], 48).shape == (48, 48)``.
    """
    out = loss.decision(d(grid_points(k, bounds)).reshape(k, k))
    return torch.nan_to_num(out, nan=0.5)


@torch.no_grad()
def manifold(g: nn.Module, k: int, z_dim: int, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The warped noise grid ``(k, k, 2)`` and the opacity ``(k-1, k-1)`` of each warped cell.

    A cell's generated density is its noise probability (equal for all cells) divided by its
    area after G (shoelace formula on its four corners); opacity is that density on a log
    scale relative to the densest cell, so collapsed regions look dark and spread ones faint.
    Example: ``lines, alpha = manifold(G, 21, 2, "normal")``.
    """
    pts = g(noise_grid(k, z_dim, kind)).reshape(k, k, 2)
    a, b = pts[:-1, :-1], pts[:-1, 1:]
    c, e = pts[1:, 1:], pts[1:, :-1]
    quad = torch.stack([a, b, c, e], 2)  # (k-1, k-1, 4, 2), counter-clockwise corners
    x, y = quad[..., 0], quad[..., 1]
    area = 0.5 * (x * y.roll(-1, 2) - x.roll(-1, 2) * y).sum(2).abs()
    density = 1.0 / area.clamp_min(1e-9)
    logd = torch.log(density)
    finite = torch.isfinite(logd)
    if not finite.any():
        return torch.nan_to_num(pts), torch.zeros(k - 1, k - 1)
    top = logd[finite].max()
    opacity = (1.0 + (logd - top) / 6.0).clamp(0.05, 1.0)  # six e-folds of density below the peak fade out
    return torch.nan_to_num(pts), torch.nan_to_num(opacity, nan=0.05)


def generator_arrows(d: nn.Module, loss: Loss, fake: torch.Tensor) -> torch.Tensor:
    """``-dL_G/dx`` for each generated point ``x`` (rows of ``fake``), computed in one backward.

    G's loss is a mean, so the sum over samples is used: each row is then that sample's own
    gradient. Example: ``arrows = generator_arrows(D, loss, G(z).detach())``.
    """
    x = fake.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        total = loss.g(d(x).reshape(-1)) * len(x)
        (grad,) = torch.autograd.grad(total, x)
    return torch.nan_to_num(-grad)
