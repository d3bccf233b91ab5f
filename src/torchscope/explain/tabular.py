"""The ``explain.tabular`` record: attributions of ``N x F`` inputs, one value per feature.

Bars per sample (the features that moved the score most, signed) and a summary over samples (the
mean absolute attribution of each feature, the global ranking SHAP's summary bar plot shows).

JSON: ``method``, ``feature_names``, ``targets``, ``predictions``, ``target_probs``,
``pred_probs``, ``target_labels``, ``pred_labels``, ``signed``, ``options``. Blobs (``.npy``):
``attributions`` (N x F float32) and ``values`` (N x F float32, the inputs).

Example::

    ex = ts.explain(mlp, x, method="ig", feature_names=cols); ex.ranking()[:5]; ex.save("ig.png")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..records import Record, register_record
from ._labels import caption, scale

__all__ = ["TabularAttribution"]


@register_record
@dataclass
class TabularAttribution(Record):
    """Per-feature attributions of one method for a batch of tabular rows."""

    kind: ClassVar[str] = "explain.tabular"
    method: str
    attributions: np.ndarray
    values: np.ndarray
    feature_names: list[str]
    targets: list[int]
    predictions: list[int]
    target_probs: list[float]
    pred_probs: list[float]
    target_labels: list[str]
    pred_labels: list[str]
    signed: bool = True
    options: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.targets)

    def importance(self) -> np.ndarray:
        """Mean absolute attribution of each feature over the samples (F floats)."""
        return np.abs(self.attributions).mean(axis=0)

    def ranking(self) -> list[tuple[str, float]]:
        """``(feature, mean |attribution|)``, most important first: ``ex.ranking()[:5]``."""
        imp = self.importance()
        return [(self.feature_names[j], float(imp[j])) for j in np.argsort(-imp, kind="stable")]

    def top(self, i: int, k: int = 10) -> list[tuple[str, float, float]]:
        """Sample ``i``'s ``k`` largest attributions as ``(feature, input value, attribution)``."""
        a = self.attributions[i]
        return [(self.feature_names[j], float(self.values[i, j]), float(a[j]))
                for j in np.argsort(-np.abs(a), kind="stable")[:k]]

    def figure(self, max_samples: int = 4, k: int = 10) -> Any:
        """The summary over samples, then bars for each of the first ``max_samples`` samples (``k`` features each)."""
        from matplotlib.figure import Figure

        n = min(len(self), max_samples)
        k = min(k, len(self.feature_names))
        cols = min(3, n + 1)
        rows = -(-(n + 1) // cols)
        fig = Figure(figsize=(4.2 * cols, 0.28 * k * rows + 1.1 * rows))
        ax = fig.add_subplot(rows, cols, 1)
        ranked = self.ranking()[:k][::-1]
        ax.barh(range(len(ranked)), [v for _, v in ranked], color="#7a5195")
        ax.set_yticks(range(len(ranked)), [name for name, _ in ranked], fontsize=7, parse_math=False)
        ax.set_title(f"mean |attribution| over {len(self)} samples", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        for i in range(n):
            ax = fig.add_subplot(rows, cols, i + 2)
            top = self.top(i, k)[::-1]
            vals = [a for _, _, a in top]
            colors = ["#c0392b" if v >= 0 else "#2e6da4" for v in vals]
            ax.barh(range(len(top)), vals, color=colors)
            ax.set_yticks(range(len(top)), [f"{name} = {v:.3g}" for name, v, _ in top], fontsize=7, parse_math=False)
            ax.axvline(0, color="#444", lw=0.6)
            lim = scale(np.asarray(vals))
            ax.set_xlim(-lim * 1.05 if self.signed else 0, lim * 1.05)
            ax.set_title(f"sample {i}: {caption(self, i)}", fontsize=8, parse_math=False)
            ax.tick_params(axis="x", labelsize=7)
        fig.suptitle(f"{self.method} attributions", fontsize=10)
        fig.tight_layout()
        return fig

    def _repr_html_(self) -> str:
        from .._display import card, table

        rows = [(name, f"{v:.4g}") for name, v in self.ranking()[:20]]
        return card(f"{self.method} (tabular)", self.figure(), table(["feature", "mean |attribution|"], rows))
