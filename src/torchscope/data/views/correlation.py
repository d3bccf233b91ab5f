"""Correlation heatmap of the features of a tabular data set.

Pearson's product-moment correlation (Pearson 1895) or Spearman's rank correlation (Spearman
1904, Pearson on ranks: robust to outliers and monotone non-linear relations). Missing values
(NaN) are dropped pairwise-free: rows with any NaN are left out.

Example::

    ts.data.correlation(ts.data.load("wine"), method="spearman").save("corr.png")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ...records import Record, register_record
from ._common import card, require, table, view_arrays

__all__ = ["Correlation", "correlation"]


@register_record
@dataclass
class Correlation(Record):
    """``matrix[i, j]`` is the correlation of features i and j (float32, in [-1, 1])."""

    kind: ClassVar[str] = "data.correlation"
    feature_names: list[str]
    matrix: np.ndarray
    method: str = "pearson"
    n_rows: int = 0
    title: str = "feature correlation"

    def strongest(self, n: int = 5) -> list[tuple[str, str, float]]:
        """The ``n`` most correlated feature pairs: ``rec.strongest(3)``."""
        iu = np.triu_indices(len(self.feature_names), 1)
        vals = self.matrix[iu]
        order = np.argsort(-np.abs(np.nan_to_num(vals)))[:n]
        return [(self.feature_names[iu[0][o]], self.feature_names[iu[1][o]], float(vals[o])) for o in order]

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        nf = len(self.feature_names)
        side = min(12, max(4, 0.42 * nf + 2))
        fig = Figure(figsize=(side + 1, side))
        ax = fig.add_subplot()
        im = ax.imshow(self.matrix, cmap="RdBu_r", vmin=-1, vmax=1)
        ax.set_xticks(range(nf), self.feature_names, rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(nf), self.feature_names, fontsize=7)
        if nf <= 16:
            for i in range(nf):
                for j in range(nf):
                    v = self.matrix[i, j]
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6,
                            color="white" if abs(v) > 0.6 else "black")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label=f"{self.method} correlation")
        ax.set_title(f"{self.title} ({self.n_rows:,} rows)", fontsize=9)
        fig.tight_layout()
        return fig

    def _repr_html_(self) -> str:
        rows = [[a, b, v] for a, b, v in self.strongest(10)]
        return card(self.title, self.figure(), table(["feature", "feature", self.method], rows))


def _ranks(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(x, axis=0)


def correlation(ds: Any, *, method: str = "pearson", limit: int | None = None, seed: int = 0) -> Correlation:
    """Feature correlation matrix: ``ts.data.correlation(ds, method="spearman")``."""
    if method not in ("pearson", "spearman"):
        raise ValueError(f"method must be 'pearson' or 'spearman', got {method!r}")
    ds = require(ds, "tabular", "correlation")
    x, _ = view_arrays(ds, limit, seed)
    x = x.astype(np.float64)
    x = x[np.all(np.isfinite(x), axis=1)]
    if len(x) < 2:
        raise ValueError(f"correlation: {ds.name!r} has fewer than 2 complete rows (without NaN or inf)")
    if method == "spearman":
        x = _ranks(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.corrcoef(x, rowvar=False).reshape(x.shape[1], x.shape[1])
    names = ds.feature_names or [f"x{i}" for i in range(x.shape[1])]
    return Correlation(feature_names=list(names), matrix=m.astype(np.float32), method=method, n_rows=len(x),
                       title=f"feature correlation of {ds.name}")

