"""The GAN as a lens, part 2: principal latent directions and a slider explorer.

GANSpace (Harkonen, Hertzmann, Lehtinen & Paris, "GANSpace: Discovering Interpretable GAN
Controls", NeurIPS 2020): sample many codes, take the activations of an early generator layer,
find their principal components, and regress the codes on the component coordinates to get one
latent direction per component. Moving ``z`` along direction ``i`` by ``s`` standard deviations
changes the image along the i-th main mode of variation. ``layer=None`` picks the generator's
first activation module; ``layer="z"`` does PCA of the codes themselves.

Example::

    dirs = ts.gan.directions(G, z_dim=100); ex = ts.gan.LatentExplorer(G, dirs); ex.image([2, 0, -1])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..records import Record, register_record
from ._util import as_uint8, frozen_stats, generate, image_axes, small_model_threads
from .lens import _z_dim

if TYPE_CHECKING:  # the records read back without torch; computing one imports it
    import torch

__all__ = ["LatentDirections", "LatentExplorer", "directions"]


@register_record
@dataclass
class LatentDirections(Record):
    """``u`` (k x z_dim unit directions), ``sigma`` (their spread), ``explained`` (variance share),
    and ``images``: a k x offsets grid of the generator's response around ``z0``."""

    kind: ClassVar[str] = "gan.directions"
    u: np.ndarray
    sigma: list[float]
    explained: list[float]
    z0: np.ndarray
    offsets: list[float]
    images: np.ndarray  # k x len(offsets) x H x W x C uint8
    layer: str = "z"
    value_range: tuple[float, float] = (-1.0, 1.0)

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        k, m = self.images.shape[:2]
        fig = Figure(figsize=(1.0 * m + 1.2, 1.05 * k + 0.6))
        axes = fig.subplots(k, m, squeeze=False, gridspec_kw={"wspace": 0.05, "hspace": 0.12})
        for i in range(k):
            for j in range(m):
                image_axes(axes[i, j], self.images[i, j], f"{self.offsets[j]:+g}σ" if i == 0 else None, fontsize=8)
            axes[i, 0].set_ylabel(f"PC{i + 1}\n{self.explained[i]:.0%}", fontsize=8, rotation=0, ha="right",
                                  va="center")
        fig.suptitle(f"principal latent directions (GANSpace, PCA of {self.layer})", fontsize=9)
        return fig


def _first_activation(G: torch.nn.Module) -> tuple[str, torch.nn.Module] | None:
    from torch import nn

    activations = (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.SiLU, nn.ELU)
    return next(((n, m) for n, m in G.named_modules() if isinstance(m, activations)), None)


def directions(generator: torch.nn.Module, *, z_dim: int | None = None, k: int = 6, samples: int = 2000,
               layer: str | None = None, offsets: tuple[float, ...] = (-3, -2, -1, 0, 1, 2, 3),
               value_range: tuple[float, float] = (-1.0, 1.0), seed: int = 0) -> LatentDirections:
    """Principal latent directions of a generator (GANSpace): ``ts.gan.directions(G, z_dim=100, k=6)``."""
    import torch

    d = _z_dim(generator, z_dim)
    device = next(generator.parameters()).device
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(samples, d, generator=g)
    if layer == "z":
        feats, name = z, "z"
    else:
        found = _first_activation(generator) if layer is None else (layer, dict(generator.named_modules())[layer])
        if found is None:
            feats, name = z, "z"
        else:
            name, module = found
            grabbed: list[torch.Tensor] = []
            handle = module.register_forward_hook(lambda m, i, o: grabbed.append(o.detach().flatten(1).cpu()))
            try:
                with small_model_threads(generator), frozen_stats(generator, train=False):
                    for i in range(0, samples, 500):
                        generator(z[i:i + 500].to(device))
            finally:
                handle.remove()
            feats = torch.cat(grabbed)
    k = min(k, d, feats.shape[1])
    centred = feats - feats.mean(0)
    _, s, v = torch.linalg.svd(centred, full_matrices=False)
    coords = centred @ v[:k].T  # samples x k
    u = torch.linalg.lstsq(coords, z).solution  # k x d: z ~ coords @ u
    u = u / u.norm(dim=1, keepdim=True)
    sigma = (z @ u.T).std(0)
    z0 = torch.randn(d, generator=g)
    off = torch.tensor(offsets, dtype=torch.float32)
    grid_z = z0 + (off[None, :, None] * sigma[:, None, None]) * u[:, None, :]  # k x m x d
    with small_model_threads(generator):
        x = generate(generator, grid_z.reshape(-1, d).to(device), value_range=value_range).cpu()
    images = as_uint8(x).reshape(k, len(offsets), *as_uint8(x[:1]).shape[1:])
    var = s ** 2
    return LatentDirections(u=u.numpy(), sigma=sigma.tolist(), explained=(var[:k] / var.sum()).tolist(),
                            z0=z0.numpy(), offsets=[float(o) for o in offsets], images=images, layer=name,
                            value_range=(float(value_range[0]), float(value_range[1])))


class LatentExplorer:
    """Sliders over principal directions: ``ex.image([1.5, 0, -2])`` is the image at those offsets (in σ).

    Example: ``ex = ts.gan.LatentExplorer(G, ts.gan.directions(G)); png = ex.png([2, 0])``.
    """

    def __init__(self, generator: torch.nn.Module, dirs: LatentDirections, z0: Any = None) -> None:
        import torch

        self.G, self.dirs = generator.eval(), dirs
        self.device = next(generator.parameters()).device
        self.u = torch.as_tensor(dirs.u, dtype=torch.float32)
        self.sigma = torch.as_tensor(dirs.sigma, dtype=torch.float32)
        self.z0 = torch.as_tensor(dirs.z0 if z0 is None else z0, dtype=torch.float32).reshape(-1)

    def z(self, sliders: Any) -> torch.Tensor:
        """The code at slider positions (a list of σ offsets, missing ones at 0)."""
        import torch

        s = torch.zeros(len(self.u))
        vals = torch.as_tensor(list(sliders), dtype=torch.float32)[: len(self.u)]
        s[: len(vals)] = vals
        return self.z0 + (s * self.sigma) @ self.u

    def image(self, sliders: Any = ()) -> np.ndarray:
        """HWC uint8 image at the slider positions."""
        with small_model_threads(self.G):
            x = generate(self.G, self.z(sliders)[None].to(self.device), value_range=self.dirs.value_range)
        return as_uint8(x.cpu())[0]

    def png(self, sliders: Any = (), *, scale: int = 8) -> bytes:
        """The image as PNG bytes, enlarged ``scale`` times (nearest): what a slider move sends."""
        from ..data._images import encode_png

        img = self.image(sliders)
        return encode_png(np.repeat(np.repeat(img, scale, 0), scale, 1), compress_level=1)
