"""Per-feature distributions by class for tabular data (one small histogram per feature).

Each panel overlays one histogram per class on shared bins, the "distribution by class" plot of
exploratory data analysis (Tukey, "Exploratory Data Analysis", 1977). Features are ordered as in
the data; the ``separation`` score (between-class over total variance, the ANOVA eta squared)
says which features tell the classes apart.

Example::

    ts.data.feature_dists(ts.data.load("iris")).save("features.png")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ...records import Record, register_record
from ._common import card, class_colors, require, table, view_arrays

__all__ = ["FeatureDists", "eta_squared", "feature_dists"]


@register_record
@dataclass
class FeatureDists(Record):
    """``counts[f, k]`` is the histogram of feature f for class k over ``edges[f]``."""

    kind: ClassVar[str] = "data.feature_dists"
    feature_names: list[str]
    class_names: list[str]
    edges: np.ndarray
    counts: np.ndarray
    mean: list[float] = field(default_factory=list)
    std: list[float] = field(default_factory=list)
    min: list[float] = field(default_factory=list)
    max: list[float] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    separation: list[float] = field(default_factory=list)
    title: str = "feature distributions by class"

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        nf, k = len(self.feature_names), len(self.class_names)
        cols = min(4, nf)
        rows = -(-nf // cols)
        fig = Figure(figsize=(3.0 * cols, 2.1 * rows + 0.6))
        axes = fig.subplots(rows, cols, squeeze=False)
        colors = class_colors(k)
        for f in range(rows * cols):
            ax = axes.flat[f]
            if f >= nf:
                ax.axis("off")
                continue
            centers = (self.edges[f, :-1] + self.edges[f, 1:]) / 2
            for c in range(k):
                ax.fill_between(centers, self.counts[f, c], step="mid", alpha=0.25, color=colors[c])
                ax.step(centers, self.counts[f, c], where="mid", color=colors[c], lw=1,
                        label=self.class_names[c] if f == 0 else None)
            sep = f"  sep {self.separation[f]:.2f}" if self.separation else ""
            ax.set_title(f"{self.feature_names[f]}{sep}", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.spines[["top", "right"]].set_visible(False)
        fig.legend(loc="upper right", fontsize=7, frameon=False, ncols=min(k, 6))
        fig.suptitle(self.title, fontsize=9, x=0.02, ha="left")
        fig.tight_layout(rect=(0, 0, 1, 0.97))
        return fig

    def _repr_html_(self) -> str:
        rows = [[n, self.mean[i], self.std[i], self.min[i], self.max[i], self.missing[i], self.separation[i]]
                for i, n in enumerate(self.feature_names)]
        return card(self.title, self.figure(),
                    table(["feature", "mean", "std", "min", "max", "missing", "separation"], rows))


def eta_squared(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Between-class variance over total variance, per column (0: useless, 1: separates perfectly)."""
    total = np.nanvar(x, axis=0) * np.sum(~np.isnan(x), axis=0)
    mean = np.nanmean(x, axis=0)
    between = np.zeros(x.shape[1])
    for c in np.unique(y):
        xc = x[y == c]
        between += np.sum(~np.isnan(xc), axis=0) * (np.nanmean(xc, axis=0) - mean) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(between / total)


def feature_dists(ds: Any, *, bins: int = 30, limit: int | None = None, seed: int = 0) -> FeatureDists:
    """Histograms of every feature, one per class: ``ts.data.feature_dists(ds)``."""
    ds = require(ds, "tabular", "feature_dists")
    x, y = view_arrays(ds, limit, seed)
    x = x.astype(np.float64)
    k, nf = ds.num_classes, x.shape[1]
    edges = np.zeros((nf, bins + 1))
    counts = np.zeros((nf, k, bins), np.int64)
    for f in range(nf):
        col = x[:, f]
        ok = np.isfinite(col)
        lo, hi = (float(col[ok].min()), float(col[ok].max())) if ok.any() else (0.0, 1.0)
        edges[f] = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
        for c in range(k):
            counts[f, c] = np.histogram(col[ok & (y == c)], bins=edges[f])[0]
    with np.errstate(all="ignore"):
        stats = dict(mean=np.nanmean(x, 0), std=np.nanstd(x, 0), min=np.nanmin(x, 0), max=np.nanmax(x, 0))
    names = ds.feature_names or [f"x{i}" for i in range(nf)]
    return FeatureDists(feature_names=list(names), class_names=list(ds.class_names), edges=edges.astype(np.float32),
                        counts=counts, **{k_: v.tolist() for k_, v in stats.items()},
                        missing=(~np.isfinite(x)).sum(0).tolist(), separation=eta_squared(x, y).tolist(),
                        title=f"feature distributions by class of {ds.name}")
