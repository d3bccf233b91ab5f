"""What the image-GAN modules share: data as tensors, pixel ranges, sampling a generator, grids.

Conventions: data sets hold images in [0, 1]; generators produce images in their ``value_range``
(``(-1, 1)`` for a tanh output, the DCGAN default); every record stores images as uint8 NHWC.

Example::

    x, y = dataset_tensors(ts.data.load("digits"))
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # imported where used: the records that draw with these helpers read back without torch
    import torch

__all__ = ["as_uint8", "dataset_tensors", "frozen_stats", "generate", "grid", "image_axes", "small_model_threads",
           "threads", "to_unit"]


def dataset_tensors(ds: Any, limit: int | None = None, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Images as float NCHW in [0, 1] and labels as int64: ``x, y = dataset_tensors(ds, 5000)``."""
    import torch

    from ..data.views._common import require

    ds = require(ds, "image", "torchscope.gan")
    x, y = ds.arrays(limit, seed=seed)
    x = torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2).contiguous()
    x = x.float().div_(255.0) if x.dtype == torch.uint8 else x.float()
    return x, torch.from_numpy(np.asarray(y, dtype=np.int64))


def to_unit(x: torch.Tensor, value_range: tuple[float, float] = (-1.0, 1.0)) -> torch.Tensor:
    """Map images from ``value_range`` to [0, 1] (clamped): ``to_unit(G(z))``."""
    lo, hi = value_range
    return ((x - lo) / (hi - lo)).clamp_(0.0, 1.0)


def as_uint8(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """Images in [0, 1] (NCHW tensor or NHWC array) as uint8 NHWC: ``as_uint8(to_unit(G(z)))``."""
    import torch

    if isinstance(x, torch.Tensor):
        x = x.detach().float().cpu().permute(0, 2, 3, 1).numpy()
    return np.clip(np.nan_to_num(np.asarray(x, np.float32)) * 255.0 + 0.5, 0, 255).astype(np.uint8)


@contextlib.contextmanager
def frozen_stats(model: torch.nn.Module, *, train: bool | None = None) -> Iterator[torch.nn.Module]:
    """Run ``model`` without side effects: buffers (BatchNorm running stats) and mode restored after.

    ``train=None`` keeps the model's mode. Example: ``with frozen_stats(G): x = G(z)``.
    """
    import torch

    was_training = model.training
    saved = [(b, b.detach().clone()) for b in model.buffers()]
    try:
        if train is not None:
            model.train(train)
        with torch.no_grad():
            yield model
    finally:
        for b, copy in saved:
            b.data.copy_(copy)
        model.train(was_training)


@contextlib.contextmanager
def threads(n: int | None) -> Iterator[None]:
    """Run a block with ``n`` intra-op threads (None: unchanged), restored after: ``with threads(1): ...``.

    Small models (8x8 to 32x32 GANs, the feature CNN, the GAN lab's MLPs) run faster on one
    thread: splitting tiny matrix products costs more than it gains, and far more on a loaded
    machine, where OpenMP's threads spin waiting for a core another process holds (the lab's
    2 x 64 MLPs: 1.3-1.7 frames/s with torch's default threads next to a busy process, 80 with one).
    The previous count comes back in ``finally``, also when the block raises.
    """
    import torch

    before = torch.get_num_threads()
    if n is None or n == before:
        yield
        return
    torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def small_model_threads(*models: Any, limit: int = 2_000_000, rows: int = 1, work: float = 5e8) -> Any:
    """``threads(1)`` for small models on the CPU, else no change: ``with small_model_threads(G, D): ...``.

    Small: under ``limit`` parameters in all and, when a call pushes ``rows`` samples through
    them, under ``work`` multiply-adds (parameters x rows; the GAN lab's default MLPs on its
    48 x 48 heat map: 2e7).
    """
    import torch

    mods = [m for m in models if isinstance(m, torch.nn.Module)]
    params = [p for m in mods for p in m.parameters()]
    count = sum(p.numel() for p in params)
    small = bool(params) and all(p.device.type == "cpu" for p in params) and count < limit and count * rows < work
    return threads(1 if small else None)


def generate(generator: torch.nn.Module, z: torch.Tensor, *, value_range: tuple[float, float] = (-1.0, 1.0),
             batch: int = 512, train: bool | None = False) -> torch.Tensor:
    """Images in [0, 1] for latent codes ``z`` (no grad, no side effects): ``generate(G, z)``.

    ``train=False`` samples in eval mode (BatchNorm running statistics), ``None`` in the model's mode.
    """
    import torch

    with small_model_threads(generator), frozen_stats(generator, train=train):
        out = [to_unit(generator(z[i:i + batch]).float(), value_range) for i in range(0, len(z), batch)]
    return torch.cat(out)


def grid(images: np.ndarray, *, nrow: int | None = None, padding: int = 1) -> np.ndarray:
    """One HWC uint8 image tiling an NHWC uint8 batch: ``grid(as_uint8(x))``."""
    from ..track.media import make_grid

    if len(images) == 1:
        return images[0]
    return make_grid(images, nrow=nrow, padding=padding)


def image_axes(ax: Any, img: np.ndarray, title: str | None = None, fontsize: float = 7) -> None:
    """Draw one HWC uint8 image without ticks or frame (grey for one channel)."""
    if img.shape[-1] == 1:
        ax.imshow(img[..., 0], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    else:
        ax.imshow(img, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(False)
    if title:
        ax.set_title(title, fontsize=fontsize)
