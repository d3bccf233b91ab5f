"""The DCGAN of Radford, Metz & Chintala, "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks" (ICLR 2016), sized to the image.

All-convolutional: the generator projects ``z`` to a ``base x base`` map (``base`` in 3..7) and
doubles it with stride-2 transposed convolutions (batch norm and ReLU between, tanh at the end);
the discriminator mirrors it with stride-2 convolutions and leaky ReLU. The image size must be
``base * 2**k`` (8 = 4x2, 28 = 7x4, 32 = 4x8, 64 = 4x16), and the width halves at each doubling.

Example::

    G, D = Generator(image_size=28, channels=1), Discriminator(image_size=28, channels=1)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = ["Discriminator", "Generator", "layout"]


def layout(image_size: int) -> tuple[int, int]:
    """``(base, doublings)`` with ``image_size == base * 2**doublings``: ``layout(28) == (7, 2)``."""
    size, k = int(image_size), 0
    while size > 7 and size % 2 == 0:
        size, k = size // 2, k + 1
    if not 3 <= size <= 7 or k == 0:
        raise ValueError(f"DCGAN needs square images of size base * 2**k with base 3..7 and k >= 1 "
                         f"(8, 12, 16, 28, 32, 64...), got {image_size}; resize the data set")
    return size, k


def _init(m: nn.Module) -> None:  # Radford et al.: N(0, 0.02) weights, BN scales N(1, 0.02)
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class Generator(nn.Module):
    """``z`` (N x z_dim, or N x z_dim x 1 x 1) to images in [-1, 1]: ``Generator(28, 1)(torch.randn(4, 100))``."""

    def __init__(self, image_size: int = 32, channels: int = 3, z_dim: int = 100, width: int = 64) -> None:
        super().__init__()
        self.config: dict[str, Any] = {"image_size": image_size, "channels": channels, "z_dim": z_dim,
                                       "width": width}
        self.z_dim = z_dim
        base, k = layout(image_size)
        c = width * 2 ** (k - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(z_dim, c, base, 1, 0, bias=False), nn.BatchNorm2d(c),
                                   nn.ReLU(True)]
        for _ in range(k - 1):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
            c //= 2
        layers += [nn.ConvTranspose2d(c, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.reshape(len(z), self.z_dim, 1, 1))


class Discriminator(nn.Module):
    """Images in [-1, 1] to one logit each (N,): ``Discriminator(28, 1)(x)``."""

    def __init__(self, image_size: int = 32, channels: int = 3, width: int = 64) -> None:
        super().__init__()
        self.config: dict[str, Any] = {"image_size": image_size, "channels": channels, "width": width}
        base, k = layout(image_size)
        c = width
        layers: list[nn.Module] = [nn.Conv2d(channels, c, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        for _ in range(k - 1):
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2, True)]
            c *= 2
        layers += [nn.Conv2d(c, 1, base, 1, 0, bias=False)]
        self.net = nn.Sequential(*layers)
        self.apply(_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).reshape(-1)
