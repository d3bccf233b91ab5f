"""GAN losses: what D and G each minimise, given D's raw scores on real and generated points.

``real`` and ``fake`` are the discriminator's unbounded outputs (logits or critic values).

- ``minimax``: the original game, D maximises log D(x) + log(1 - D(G(z))) and G minimises
  log(1 - D(G(z))) (Goodfellow et al. 2014, "Generative Adversarial Nets").
- ``nonsaturating``: same D; G maximises log D(G(z)) instead, which gives strong gradients
  early in training (Goodfellow et al. 2014, section 3).
- ``lsgan``: least squares with targets a=0, b=c=1 (Mao et al. 2017, "Least Squares Generative
  Adversarial Networks").
- ``wgan-gp``: Wasserstein critic with a gradient penalty lambda * (||grad D(x_hat)|| - 1)^2 on
  random interpolates (Gulrajani et al. 2017, "Improved Training of Wasserstein GANs"); here
  lambda = 1, and it wants several critic updates per step (``d_steps=5``, as in the paper).
- ``hinge``: D minimises relu(1 - D(x)) + relu(1 + D(G(z))), G minimises -D(G(z)) (Lim & Ye 2017,
  "Geometric GAN"; Miyato et al. 2018, "Spectral Normalization for GANs").

Example::

    loss = LOSSES["nonsaturating"]
    d_loss, g_loss = loss.d(D(x), D(G(z))), loss.g(D(G(z)))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["LOSSES", "Loss", "get_loss", "gradient_penalty"]

Scores = torch.Tensor


@dataclass(frozen=True)
class Loss:
    """One GAN objective: ``d(real, fake)`` and ``g(fake)`` on D's raw scores, and how to read them.

    ``decision`` maps a raw score to [0, 1] ("how real D thinks a point is") for the heat map;
    ``penalty`` is the gradient-penalty weight (only WGAN-GP uses one). Example:
    ``LOSSES["hinge"].d(torch.zeros(4), torch.zeros(4))`` is 2.
    """

    name: str
    label: str
    d: Callable[[Scores, Scores], torch.Tensor]
    g: Callable[[Scores], torch.Tensor]
    decision: Callable[[Scores], torch.Tensor]
    penalty: float = 0.0
    betas: tuple[float, float] = (0.5, 0.999)  # Adam's betas that suit this loss


def _bce_d(real: Scores, fake: Scores) -> torch.Tensor:
    # -[log sigmoid(r)] - [log(1 - sigmoid(f))] = softplus(-r) + softplus(f), numerically stable
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def _minimax_g(fake: Scores) -> torch.Tensor:
    return -F.softplus(fake).mean()  # log(1 - sigmoid(f))


def _nonsat_g(fake: Scores) -> torch.Tensor:
    return F.softplus(-fake).mean()  # -log sigmoid(f)


def _ls_d(real: Scores, fake: Scores) -> torch.Tensor:
    return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake ** 2).mean()


def _ls_g(fake: Scores) -> torch.Tensor:
    return 0.5 * ((fake - 1) ** 2).mean()


def _w_d(real: Scores, fake: Scores) -> torch.Tensor:
    return fake.mean() - real.mean()


def _neg_mean(fake: Scores) -> torch.Tensor:
    return -fake.mean()


def _hinge_d(real: Scores, fake: Scores) -> torch.Tensor:
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


LOSSES: dict[str, Loss] = {
    "minimax": Loss("minimax", "standard (minimax)", _bce_d, _minimax_g, torch.sigmoid),
    "nonsaturating": Loss("nonsaturating", "non-saturating", _bce_d, _nonsat_g, torch.sigmoid),
    "lsgan": Loss("lsgan", "least squares", _ls_d, _ls_g, lambda s: s.clamp(0, 1)),
    # lambda = 1: the paper's 10 is for images; its toy code uses 0.1; 1 works best in this unit-scale view
    "wgan-gp": Loss("wgan-gp", "WGAN-GP", _w_d, _neg_mean, torch.sigmoid, penalty=1.0,
                    betas=(0.5, 0.9)),
    "hinge": Loss("hinge", "hinge", _hinge_d, _neg_mean, lambda s: ((s + 1) / 2).clamp(0, 1)),
}
_ALIASES = {"standard": "minimax", "gan": "minimax", "ns": "nonsaturating", "non-saturating": "nonsaturating",
            "least-squares": "lsgan", "ls": "lsgan", "wgan": "wgan-gp", "wgangp": "wgan-gp"}


def get_loss(name: str) -> Loss:
    """The loss named ``name`` (or an alias such as ``"standard"``, ``"ns"``): ``get_loss("lsgan")``."""
    key = _ALIASES.get(str(name).lower(), str(name).lower())
    if key not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    return LOSSES[key]


def gradient_penalty(d: nn.Module, real: torch.Tensor, fake: torch.Tensor, weight: float = 10.0,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """WGAN-GP's penalty ``weight * E[(||grad_x D(x_hat)|| - 1)^2]`` on random interpolates.

    Example: ``gradient_penalty(D, real, fake.detach(), 10.0)`` (Gulrajani et al. 2017, eq. 3).
    """
    n = min(len(real), len(fake))
    eps = torch.rand(n, 1, generator=generator)
    x_hat = (eps * real[:n] + (1 - eps) * fake[:n]).requires_grad_(True)
    (grad,) = torch.autograd.grad(d(x_hat).sum(), x_hat, create_graph=True)
    return weight * ((grad.norm(dim=1) - 1) ** 2).mean()
