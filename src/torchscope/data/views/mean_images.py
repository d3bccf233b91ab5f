"""Mean and standard-deviation image of every class.

The per-class mean image (the "average face" of Turk & Pentland, "Eigenfaces for Recognition",
1991) shows what a class looks like on average and whether it is centred; the std image shows
where the class varies. Sums are accumulated in float64 chunk by chunk, so big sets stream.

Example::

    ts.data.mean_images(ds).save("means.png")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ...records import Record, register_record
from .._images import to_display
from ._common import card, chunks, float_images, require, table

__all__ = ["MeanImages", "mean_images"]


@register_record
@dataclass
class MeanImages(Record):
    """``mean[k]`` and ``std[k]`` (float32 H x W x C, pixels in [0, 1] for 8-bit data) of class k."""

    kind: ClassVar[str] = "data.mean_images"
    mean: np.ndarray
    std: np.ndarray
    counts: list[int] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)
    title: str = "mean and std image per class"

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        k = len(self.class_names)
        cols = min(k, 10)
        blocks = -(-k // cols)
        fig = Figure(figsize=(1.1 * cols + 0.9, 2.3 * blocks + 0.4))
        axes = fig.subplots(2 * blocks, cols, squeeze=False, gridspec_kw={"wspace": 0.05, "hspace": 0.25})
        grey = self.mean.shape[-1] == 1
        lo = float(min(self.mean.min(), 0.0))
        hi = float(max(self.mean.max(), 1.0))
        mean_u8 = to_display(self.mean, (lo, hi))
        std_u8 = to_display(self.std, (0.0, float(self.std.max()) or 1.0))
        for ax in axes.flat:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.spines[:].set_visible(False)
        for i in range(k):
            b, c = divmod(i, cols)
            for r, (img, cmap) in enumerate(((mean_u8[i], "gray"), (std_u8[i], "magma"))):
                ax = axes[2 * b + r, c]
                ax.imshow(img[:, :, 0] if grey else img, cmap=cmap if grey else None, vmin=0, vmax=255)
                if r == 0:
                    ax.set_title(f"{self.class_names[i]} (n={self.counts[i]})", fontsize=7)
                if c == 0:
                    ax.set_ylabel("mean" if r == 0 else "std", fontsize=8)
        fig.suptitle(self.title, fontsize=9)
        return fig

    def _repr_html_(self) -> str:
        rows = [[c, n, float(self.mean[i].mean()), float(self.std[i].mean())]
                for i, (c, n) in enumerate(zip(self.class_names, self.counts))]
        return card(self.title, self.figure(), table(["class", "n", "mean pixel", "mean std"], rows))


def mean_images(ds: Any, *, limit: int | None = None, seed: int = 0) -> MeanImages:
    """Per-class mean and std images: ``ts.data.mean_images(ds)``.

    Uses every sample of an in-memory set; ``limit`` (default 10,000 for file-backed sets) caps
    how many random samples are read.
    """
    ds = require(ds, "image", "mean_images")
    k = ds.num_classes
    s1 = np.zeros((k, *ds.sample_shape))
    s2 = np.zeros_like(s1)
    total = np.zeros(k, np.int64)
    for x, y in chunks(ds, limit, seed=seed, desc="mean images of"):
        _add_by_class(s1, s2, float_images(x).astype(np.float64), y)
        total += np.bincount(y, minlength=k)
    n = np.maximum(total, 1).reshape(-1, *([1] * (s1.ndim - 1)))
    mean = s1 / n
    std = np.sqrt(np.maximum(s2 / n - mean * mean, 0.0))
    return MeanImages(mean=mean.astype(np.float32), std=std.astype(np.float32), counts=total.tolist(),
                      class_names=list(ds.class_names), title=f"mean and std image per class of {ds.name}")


def _add_by_class(s1: np.ndarray, s2: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    for c in np.unique(y):
        xc = x[y == c]
        s1[c] += xc.sum(axis=0)
        s2[c] += np.einsum("n...,n...->...", xc, xc)
