"""The lab's networks: small MLP generator and discriminator, and the noise they start from.

Both are plain ``torch.nn.Sequential`` multilayer perceptrons, as in Goodfellow et al. 2014,
"Generative Adversarial Nets", and GAN Lab (Kahng et al. 2018): ``hidden`` layers of ``width``
units with LeakyReLU between them. The discriminator outputs one unbounded score (a logit for
the standard losses, a critic value for WGAN-GP and hinge); the loss decides how to read it.

Example::

    G, D = generator(z_dim=2, hidden=2, width=64), discriminator(hidden=2, width=64)
    x = G(noise(256, 2, "normal"))
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["NOISES", "discriminator", "generator", "mlp", "noise", "noise_grid"]

NOISES = ("uniform", "normal")


def mlp(n_in: int, n_out: int, hidden: int, width: int) -> nn.Sequential:
    """``hidden`` LeakyReLU layers of ``width`` units from ``n_in`` to ``n_out``: ``mlp(2, 1, 2, 64)``."""
    layers: list[nn.Module] = []
    d = n_in
    for _ in range(hidden):
        layers += [nn.Linear(d, width), nn.LeakyReLU(0.2)]
        d = width
    layers.append(nn.Linear(d, n_out))
    return nn.Sequential(*layers)


def generator(z_dim: int = 2, hidden: int = 2, width: int = 64) -> nn.Sequential:
    """The generator: noise ``(n, z_dim)`` to points ``(n, 2)``: ``generator(2, 2, 64)``."""
    return mlp(z_dim, 2, hidden, width)


def discriminator(hidden: int = 2, width: int = 64) -> nn.Sequential:
    """The discriminator: points ``(n, 2)`` to one score each, ``(n, 1)``: ``discriminator()``."""
    return mlp(2, 1, hidden, width)


def noise(n: int, z_dim: int, kind: str = "normal", generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` noise vectors: ``"normal"`` N(0, I) or ``"uniform"`` U(-1, 1): ``noise(8, 2, "uniform")``."""
    if kind == "normal":
        return torch.randn(n, z_dim, generator=generator)
    if kind == "uniform":
        return 2 * torch.rand(n, z_dim, generator=generator) - 1
    raise ValueError(f"unknown noise {kind!r}; choose one of {', '.join(NOISES)}")


def noise_grid(k: int, z_dim: int, kind: str = "normal") -> torch.Tensor:
    """A ``k x k`` grid over the first two noise dimensions, ``(k*k, z_dim)``, row-major.

    The grid lines sit at equal-probability quantiles of the noise, so every cell holds the
    same probability mass and a cell's area after the generator gives the generated density.
    Other noise dimensions stay at their mean (0). Example: ``noise_grid(20, 2, "uniform")``.
    """
    if kind == "uniform":
        ticks = torch.linspace(-1.0, 1.0, k)
    elif kind == "normal":
        p = torch.linspace(0.02, 0.98, k, dtype=torch.float64)
        ticks = (math.sqrt(2.0) * torch.erfinv(2 * p - 1)).to(torch.float32)
    else:
        raise ValueError(f"unknown noise {kind!r}; choose one of {', '.join(NOISES)}")
    yy, xx = torch.meshgrid(ticks, ticks, indexing="ij")
    z = torch.zeros(k * k, max(z_dim, 1))
    z[:, 0] = xx.reshape(-1)
    if z_dim >= 2:
        z[:, 1] = yy.reshape(-1)
    return z[:, :z_dim]
