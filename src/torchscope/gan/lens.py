"""The GAN as a lens, part 1: walking the latent space and checking for memorization.

- :func:`interpolate`: images along a line (``"linear"``) or a great circle (``"slerp"``, White,
  "Sampling Generative Networks", 2016, better suited to Gaussian latents) between two codes;
- :func:`neighbours`: the nearest real training images of generated ones, in the classifier's
  feature space or in pixels; a ``ratio`` far under 1 (nearer than real images are to each other)
  flags a memorized sample.

Example::

    ts.gan.interpolate(G, z_dim=100, steps=9).figure()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..records import Record, register_record
from ._util import as_uint8, dataset_tensors, generate, image_axes, small_model_threads

if TYPE_CHECKING:  # the records read back without torch; computing one imports it
    import torch

__all__ = ["Interpolation", "Neighbours", "interpolate", "neighbours", "slerp"]


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between rows ``a`` and ``b`` at fractions ``t``: ``slerp(z0, z1, torch.rand(5))``."""
    import torch

    an, bn = a / a.norm(), b / b.norm()
    omega = torch.arccos((an * bn).sum().clamp(-1 + 1e-7, 1 - 1e-7))
    t = t.reshape(-1, 1)
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def _z_dim(G: torch.nn.Module, z_dim: int | None) -> int:
    z_dim = z_dim or getattr(G, "z_dim", None)
    if z_dim is None:
        raise ValueError("give z_dim= (the generator has no z_dim attribute)")
    return int(z_dim)


@register_record
@dataclass
class Interpolation(Record):
    """``images`` (N x H x W x C uint8) at fractions ``alphas`` between two latent codes."""

    kind: ClassVar[str] = "gan.interpolation"
    images: np.ndarray
    alphas: list[float]
    mode: str = "slerp"
    z: np.ndarray | None = None  # the N codes, for a dashboard to regenerate at higher resolution
    probs: np.ndarray | None = None  # N x classes, when a classifier was given
    class_names: list[str] = field(default_factory=list)

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        n = len(self.images)
        fig = Figure(figsize=(1.05 * n + 0.3, 1.6))
        for i, ax in enumerate(fig.subplots(1, n, squeeze=False)[0]):
            title = f"{self.alphas[i]:.2f}"
            if self.probs is not None and self.class_names:
                k = int(np.argmax(self.probs[i]))
                title += f"\n'{self.class_names[k]}' {self.probs[i, k]:.2f}"
            image_axes(ax, self.images[i], title)
        fig.suptitle(f"{self.mode} interpolation", fontsize=9)
        return fig


def interpolate(generator: torch.nn.Module, z0: torch.Tensor | None = None, z1: torch.Tensor | None = None, *,
                steps: int = 9, mode: str = "slerp", z_dim: int | None = None, classifier: Any = None,
                value_range: tuple[float, float] = (-1.0, 1.0), seed: int = 0) -> Interpolation:
    """A strip of images between two codes (random ones by default): ``ts.gan.interpolate(G, z_dim=100)``.

    ``classifier`` (a :class:`~torchscope.gan.FeatureExtractor`) adds its class probabilities.
    """
    import torch

    if mode not in ("linear", "slerp"):
        raise ValueError(f"mode must be 'linear' or 'slerp', got {mode!r}")
    d = _z_dim(generator, z_dim)
    g = torch.Generator().manual_seed(seed)
    z0 = torch.randn(d, generator=g) if z0 is None else torch.as_tensor(z0, dtype=torch.float32).reshape(-1)
    z1 = torch.randn(d, generator=g) if z1 is None else torch.as_tensor(z1, dtype=torch.float32).reshape(-1)
    t = torch.linspace(0, 1, steps)
    z = slerp(z0, z1, t) if mode == "slerp" else z0 + t[:, None] * (z1 - z0)
    device = next(generator.parameters()).device
    with small_model_threads(generator, getattr(classifier, "model", None)):
        x = generate(generator, z.to(device), value_range=value_range).cpu()
        probs = classifier.probs(x).numpy() if classifier is not None else None
    return Interpolation(images=as_uint8(x), alphas=t.tolist(), mode=mode, z=z.numpy(), probs=probs,
                         class_names=list(getattr(classifier, "class_names", []) or []))


@register_record
@dataclass
class Neighbours(Record):
    """For each query image, its ``k`` nearest real images (``indices`` into the data set) and distances.

    ``ratio`` = nearest distance / the median nearest-neighbour distance among real images.
    """

    kind: ClassVar[str] = "gan.neighbours"
    queries: np.ndarray
    images: np.ndarray  # Q x k x H x W x C
    distances: np.ndarray
    indices: np.ndarray
    labels: list[list[str]]
    ratio: list[float]
    space: str = "features"

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        q, k = self.distances.shape
        fig = Figure(figsize=(1.1 * (k + 1) + 0.4, 1.25 * q + 0.5))
        axes = fig.subplots(q, k + 1, squeeze=False, gridspec_kw={"wspace": 0.08, "hspace": 0.45})
        for i in range(q):
            flag = " !" if self.ratio[i] < 0.5 else ""
            image_axes(axes[i, 0], self.queries[i], f"generated{flag}\nratio {self.ratio[i]:.2f}")
            for j in range(k):
                image_axes(axes[i, j + 1], self.images[i, j], f"'{self.labels[i][j]}' d={self.distances[i, j]:.2g}")
        fig.suptitle(f"nearest real images ({self.space}); ratio < 0.5 suggests memorization", fontsize=9)
        return fig


def neighbours(images: torch.Tensor, dataset: Any, *, k: int = 5, space: str = "features", extractor: Any = None,
               limit: int | None = 20000) -> Neighbours:
    """Nearest real images of generated ones (N x C x H x W in [0, 1]): ``ts.gan.neighbours(x, ds, k=5)``."""
    import torch

    if space not in ("features", "pixels"):
        raise ValueError(f"space must be 'features' or 'pixels', got {space!r}")
    xr, yr = dataset_tensors(dataset, limit)
    if space == "features":
        from .features import feature_extractor

        extractor = extractor or feature_extractor(dataset)
        fr, fq = extractor.features(xr), extractor.features(images.float())
    else:
        fr, fq = xr.reshape(len(xr), -1), images.float().reshape(len(images), -1)
    d, idx = torch.cdist(fq, fr).topk(k, dim=1, largest=False)
    sample = fr[torch.randperm(len(fr), generator=torch.Generator().manual_seed(0))[:2000]]
    real_nn = torch.cdist(sample, fr).topk(2, dim=1, largest=False).values[:, 1].median()
    names = list(dataset.class_names)
    near = as_uint8(xr[idx.reshape(-1)])
    labels = [[names[int(yr[j])] for j in row] for row in idx]
    return Neighbours(queries=as_uint8(images), images=near.reshape(*idx.shape, *near.shape[1:]),
                      distances=d.numpy(), indices=idx.numpy(), labels=labels,
                      ratio=(d[:, 0] / real_nn.clamp_min(1e-12)).tolist(), space=space)
