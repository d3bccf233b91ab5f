"""Pixel intensity and per-channel statistics of an image data set.

Gives the per-channel mean and std a ``Normalize(mean, std)`` transform needs (the input
standardization of LeCun, Bottou, Orr & Mueller, "Efficient BackProp", 1998), the intensity
histogram of each channel, and the mean brightness of each class (a shortcut a model could learn).

Example::

    st = ts.data.pixel_stats(ds); print(st.mean, st.std)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ...records import Record, register_record
from ._common import card, chunks, class_colors, float_images, require, table

__all__ = ["PixelStats", "pixel_stats"]

_NAMES = {1: ["grey"], 3: ["red", "green", "blue"], 4: ["red", "green", "blue", "alpha"]}


@register_record
@dataclass
class PixelStats(Record):
    """Per-channel ``mean``/``std``/``min``/``max`` and histograms (``hist[c]`` over ``edges``)."""

    kind: ClassVar[str] = "data.pixel_stats"
    channels: list[str]
    mean: list[float]
    std: list[float]
    min: list[float]
    max: list[float]
    hist: np.ndarray
    edges: np.ndarray
    class_mean: np.ndarray
    class_names: list[str] = field(default_factory=list)
    n_images: int = 0
    image_shape: list[int] = field(default_factory=list)
    zero_fraction: float = 0.0
    title: str = "pixel statistics"

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(10, 3.2))
        ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
        colors = {"grey": "0.3", "red": "tab:red", "green": "tab:green", "blue": "tab:blue", "alpha": "0.6"}
        centers = (self.edges[:-1] + self.edges[1:]) / 2
        for c, name in enumerate(self.channels):
            frac = self.hist[c] / max(1, self.hist[c].sum())
            ax.step(centers, frac, where="mid", color=colors.get(name),
                    label=f"{name}: mean {self.mean[c]:.3f}, std {self.std[c]:.3f}")
        ax.set_yscale("log")
        ax.set_xlabel("pixel value")
        ax.set_ylabel("fraction of pixels (log)")
        ax.legend(fontsize=7, frameon=False)
        ax.set_title(f"intensity histogram ({self.n_images:,} images of {'x'.join(map(str, self.image_shape))}, "
                     f"{100 * self.zero_fraction:.0f}% zeros)", fontsize=8)
        k = len(self.class_names)
        brightness = self.class_mean.mean(axis=1) if self.class_mean.size else np.zeros(k)
        bx.bar(np.arange(k), brightness, color=class_colors(k))
        bx.set_xticks(np.arange(k), self.class_names, fontsize=7, rotation=0 if k <= 12 else 60)
        bx.set_ylabel("mean pixel value")
        bx.set_title("mean brightness per class", fontsize=8)
        for a in (ax, bx):
            a.spines[["top", "right"]].set_visible(False)
        fig.suptitle(self.title, fontsize=9)
        fig.tight_layout()
        return fig

    def _repr_html_(self) -> str:
        rows = [[n, self.mean[c], self.std[c], self.min[c], self.max[c]] for c, n in enumerate(self.channels)]
        return card(self.title, self.figure(), table(["channel", "mean", "std", "min", "max"], rows))


def pixel_stats(ds: Any, *, bins: int = 64, limit: int | None = None, seed: int = 0) -> PixelStats:
    """Per-channel statistics and histograms of an image set: ``ts.data.pixel_stats(ds)``.

    Values are in the unit ``ds[i]`` returns (8-bit pixels scaled to [0, 1]).
    """
    ds = require(ds, "image", "pixel_stats")
    k, c = ds.num_classes, ds.sample_shape[-1]
    eight_bit = ds.take([0], progress=False).dtype == np.uint8
    s1, s2 = np.zeros(c), np.zeros(c)
    lo, hi = np.full(c, np.inf), np.full(c, -np.inf)
    class_sum, class_n = np.zeros((k, c)), np.zeros(k)
    hist = np.zeros((c, bins), np.int64)
    n_img = zeros = 0
    floats: list[np.ndarray] = []  # float pixels wait until their range is known
    for x, y in chunks(ds, limit, seed=seed, desc="pixel statistics of"):
        xf = float_images(x)
        flat = xf.reshape(-1, c).astype(np.float64)
        s1 += flat.sum(0)
        s2 += (flat * flat).sum(0)
        lo, hi = np.minimum(lo, flat.min(0)), np.maximum(hi, flat.max(0))
        zeros += int((xf == 0).sum())
        np.add.at(class_sum, y, xf.reshape(len(xf), -1, c).mean(1))
        class_n += np.bincount(y, minlength=k)
        n_img += len(xf)
        if eight_bit:
            _hist(hist, xf, (0.0, 1.0))
        else:
            floats.append(xf)
    rng = (0.0, 1.0) if eight_bit else (float(lo.min()), float(hi.max()) if hi.max() > lo.min() else lo.min() + 1.0)
    for xf in floats:
        _hist(hist, xf, rng)
    npx = n_img * int(np.prod(ds.sample_shape[:2]))
    mean = s1 / npx
    std = np.sqrt(np.maximum(s2 / npx - mean * mean, 0))
    return PixelStats(channels=_NAMES.get(c, [f"ch{i}" for i in range(c)]), mean=mean.tolist(), std=std.tolist(),
                      min=lo.tolist(), max=hi.tolist(), hist=hist, edges=np.linspace(*rng, bins + 1),
                      class_mean=(class_sum / np.maximum(class_n, 1)[:, None]).astype(np.float32),
                      class_names=list(ds.class_names), n_images=n_img, image_shape=list(ds.sample_shape),
                      zero_fraction=zeros / max(1, npx * c), title=f"pixel statistics of {ds.name}")


def _hist(hist: np.ndarray, xf: np.ndarray, rng: tuple[float, float]) -> None:
    for ch in range(xf.shape[-1]):
        hist[ch] += np.histogram(xf[..., ch], bins=hist.shape[1], range=rng)[0]
