"""Sample grid: a few random images of every class, one row per class.

Looking at raw samples per class is the first check of any image data set (Karpathy, "A Recipe
for Training Neural Networks", 2019: "become one with the data").

Example::

    ts.data.samples(ds, per_class=8).save("samples.png")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ...records import Record, register_record
from .._images import to_display
from ._common import card, require, table

__all__ = ["SampleGrid", "samples"]


@register_record
@dataclass
class SampleGrid(Record):
    """``images[k, j]`` is the j-th sample of class k (uint8 H x W x C); ``indices`` -1 where a class ran out."""

    kind: ClassVar[str] = "data.samples"
    images: np.ndarray
    indices: np.ndarray
    class_names: list[str] = field(default_factory=list)
    title: str = "samples per class"

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        k, n = self.indices.shape
        h, w = self.images.shape[2:4]
        cell = 0.9 * min(1.0, 12 / max(n, 1))
        width, height = n * cell * w / max(h, w) + 1.2, k * cell * h / max(h, w) + 0.5
        fig = Figure(figsize=(width, height))
        grey = self.images.shape[-1] == 1
        axes = fig.subplots(k, n, squeeze=False, gridspec_kw={"wspace": 0.05, "hspace": 0.05})
        fig.subplots_adjust(left=1.1 / width, right=0.99, bottom=0.1 / height, top=1 - 0.4 / height)
        for i in range(k):
            for j in range(n):
                ax = axes[i, j]
                ax.set_xticks([])
                ax.set_yticks([])
                ax.spines[:].set_visible(False)
                if self.indices[i, j] >= 0:
                    img = self.images[i, j]
                    ax.imshow(img[:, :, 0] if grey else img, cmap="gray" if grey else None, vmin=0, vmax=255,
                              interpolation="nearest")
                if j == 0:
                    ax.set_ylabel(self.class_names[i], rotation=0, ha="right", va="center", fontsize=8)
        fig.suptitle(self.title, fontsize=9, y=1 - 0.1 / height)
        return fig

    def _repr_html_(self) -> str:
        rows = [[c, " ".join(str(int(v)) for v in self.indices[i] if v >= 0)] for i, c in enumerate(self.class_names)]
        return card(self.title, self.figure(), table(["class", "sample indices"], rows))


def samples(ds: Any, per_class: int = 8, *, classes: list[str] | None = None, seed: int = 0,
            max_classes: int = 40) -> SampleGrid:
    """A grid of ``per_class`` random images for each class: ``ts.data.samples(ds)``.

    ``classes`` picks some classes by name; at most ``max_classes`` rows are drawn.
    """
    ds = require(ds, "image", "samples")
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}")
    names = classes if classes is not None else ds.class_names[:max_classes]
    unknown = [c for c in names if c not in ds.class_names]
    if unknown:
        raise ValueError(f"samples: unknown classes {unknown}; {ds.name!r} has {ds.class_names}")
    rng = np.random.default_rng(seed)
    y = ds.targets
    picks = np.full((len(names), per_class), -1, np.int64)
    for i, c in enumerate(names):
        members = np.flatnonzero(y == ds.class_names.index(c))
        chosen = np.sort(rng.choice(members, size=min(per_class, len(members)), replace=False))
        picks[i, : len(chosen)] = chosen
    flat = picks[picks >= 0]
    raw = ds.take(flat)
    images = np.zeros((*picks.shape, *raw.shape[1:]), np.uint8)
    images[picks >= 0] = to_display(raw)
    return SampleGrid(images=images, indices=picks, class_names=list(names), title=f"samples of {ds.name}")
