"""Pair scatter of tabular features, coloured by class: the scatter-plot matrix.

The scatter-plot matrix (Chambers, Cleveland, Kleiner & Tukey, "Graphical Methods for Data
Analysis", 1983), as seaborn's ``pairplot(hue=...)`` draws it: every pair of features as a
scatter, each feature's per-class histogram on the diagonal. With many features the most
class-separating ones (highest eta squared) are shown; with many rows a random sample.

Example::

    ts.data.pairplot(ts.data.load("iris")).save("pairs.png")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ...records import Record, register_record
from ._common import card, class_colors, require, table, view_arrays
from .feature_dists import eta_squared

__all__ = ["PairPlot", "pairplot"]


@register_record
@dataclass
class PairPlot(Record):
    """``values`` (N x F float32) and ``labels`` (N) of the sampled rows, for the chosen features."""

    kind: ClassVar[str] = "data.pairplot"
    feature_names: list[str]
    class_names: list[str]
    values: np.ndarray
    labels: np.ndarray
    n_total: int = 0
    title: str = "pair scatter"
    notes: list[str] = field(default_factory=list)

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        nf, k = len(self.feature_names), len(self.class_names)
        fig = Figure(figsize=(1.9 * nf + 0.8, 1.9 * nf + 0.5))
        axes = fig.subplots(nf, nf, squeeze=False)
        colors = class_colors(k)
        size = 6 if len(self.labels) > 500 else 10
        for i in range(nf):
            for j in range(nf):
                ax = axes[i, j]
                if i == j:
                    col = self.values[:, i]
                    edges = np.histogram_bin_edges(col[np.isfinite(col)], bins=20)
                    for c in range(k):
                        ax.hist(col[self.labels == c], bins=edges, histtype="stepfilled", alpha=0.35,
                                color=colors[c], label=self.class_names[c] if i == 0 else None)
                else:
                    for c in range(k):
                        m = self.labels == c
                        ax.scatter(self.values[m, j], self.values[m, i], s=size, alpha=0.6, color=colors[c],
                                   linewidths=0)
                ax.tick_params(labelsize=6)
                if i < nf - 1:
                    ax.set_xticklabels([])
                if j > 0 and i != j:
                    ax.set_yticklabels([])
                if i == nf - 1:
                    ax.set_xlabel(self.feature_names[j], fontsize=7)
                if j == 0:
                    ax.set_ylabel(self.feature_names[i], fontsize=7)
        fig.legend(loc="upper right", fontsize=7, frameon=False, ncols=min(k, 6))
        shown = f"{len(self.labels):,} of {self.n_total:,} rows" if self.n_total > len(self.labels) else \
            f"{len(self.labels):,} rows"
        fig.suptitle(f"{self.title} ({shown})", fontsize=9, x=0.02, ha="left")
        fig.tight_layout(rect=(0, 0, 1, 0.97))
        return fig

    def _repr_html_(self) -> str:
        rows = [[n, int((self.labels == c).sum())] for c, n in enumerate(self.class_names)]
        return card(self.title, self.figure(), table(["class", "points shown"], rows))


def pairplot(ds: Any, *, features: Sequence[str] | None = None, max_features: int = 5, max_points: int = 1000,
             seed: int = 0) -> PairPlot:
    """Scatter-plot matrix coloured by class: ``ts.data.pairplot(ds, features=["petal length (cm)"])``.

    Without ``features``, the ``max_features`` most class-separating features are drawn (all when
    there are few); at most ``max_points`` random rows.
    """
    ds = require(ds, "tabular", "pairplot")
    names = ds.feature_names or [f"x{i}" for i in range(ds.sample_shape[0])]
    x, y = view_arrays(ds, None if not ds.is_lazy else max(max_points, 5000), seed)
    notes = []
    if features is not None:
        missing = [f for f in features if f not in names]
        if missing:
            raise ValueError(f"pairplot: unknown features {missing}; {ds.name!r} has {names}")
        cols = [names.index(f) for f in features]
    elif len(names) <= max_features:
        cols = list(range(len(names)))
    else:
        sep = eta_squared(x.astype(np.float64), y)
        cols = sorted(np.argsort(-sep)[:max_features].tolist())
        notes.append(f"showing the {max_features} of {len(names)} features that best separate the classes")
    n_total = len(x)
    if n_total > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(n_total, max_points, replace=False))
        x, y = x[keep], y[keep]
    return PairPlot(feature_names=[names[c] for c in cols], class_names=list(ds.class_names),
                    values=x[:, cols].astype(np.float32), labels=y.astype(np.int64), n_total=len(ds),
                    title=f"pair scatter of {ds.name}", notes=notes)
