"""Confusion matrix: counts of (true class, predicted class), raw and normalized.

Rows are true classes, columns predicted classes (scikit-learn's convention). ``cell_samples``
keeps the first sample indices of every non-empty cell, so a dashboard can show "these samples"
when a cell is clicked.

Example::

    ts.evaluate(y_true=y, y_pred=p).confusion_matrix().save("cm.png")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..records import Record, register_record
from ._common import card, table

__all__ = ["ConfusionMatrix", "confusion_matrix"]


@register_record
@dataclass
class ConfusionMatrix(Record):
    """``counts[i][j]``: samples of true class ``i`` predicted as ``j``."""

    kind: ClassVar[str] = "eval.confusion"
    class_names: list[str]
    counts: list[list[int]]
    cell_samples: dict[str, list[int]] = field(default_factory=dict)  # "i,j" -> sample indices
    title: str = "confusion matrix"

    def normalized(self, by: str = "true") -> np.ndarray:
        """Rows sum to 1 (``by="true"``: recall), columns (``"pred"``: precision) or all (``"all"``)."""
        c = np.asarray(self.counts, dtype=np.float64)
        axis = {"true": 1, "pred": 0, "all": None}[by]
        total = c.sum(axis=axis, keepdims=axis is not None)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, c / np.where(total > 0, total, 1), 0.0)

    def figure(self, normalize: str | None = "true") -> Any:
        """Counts, and beside them the matrix normalized ``by`` true class (None: counts only)."""
        from matplotlib.figure import Figure

        k = len(self.class_names)
        panels = [("counts", np.asarray(self.counts, dtype=np.float64))]
        if normalize:
            panels.append((f"normalized by {normalize}", self.normalized(normalize)))
        side = min(9.0, max(3.2, 0.38 * k + 1.8))
        fig = Figure(figsize=(side * len(panels) + 0.6, side))
        for n, (name, m) in enumerate(panels):
            ax = fig.add_subplot(1, len(panels), n + 1)
            im = ax.imshow(m, cmap="Blues", vmin=0, vmax=max(m.max(), 1e-12))
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
            if k <= 25:
                hi = m.max() / 2 if m.max() > 0 else 1
                for i in range(k):
                    for j in range(k):
                        v = m[i, j]
                        text = f"{int(v)}" if name == "counts" else f"{v:.2f}"
                        if v or i == j:
                            ax.text(j, i, text, ha="center", va="center", fontsize=max(5, 9 - k // 5),
                                    color="white" if v > hi else "black")
            ticks = np.arange(k) if k <= 40 else np.arange(0, k, max(1, k // 20))
            ax.set_xticks(ticks, [self.class_names[t] for t in ticks], rotation=60, ha="right", fontsize=7)
            ax.set_yticks(ticks, [self.class_names[t] for t in ticks], fontsize=7)
            ax.set_xlabel("predicted")
            ax.set_ylabel("true")
            ax.set_title(name, fontsize=9)
        fig.suptitle(self.title, fontsize=10)
        fig.tight_layout()
        return fig

    def _repr_html_(self) -> str:
        rows = [[name, *row] for name, row in zip(self.class_names, self.counts)]
        return card(self.title, self.figure(), table(["true \\ pred", *self.class_names], rows))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str], *,
                     samples_per_cell: int = 20) -> ConfusionMatrix:
    """The confusion matrix of integer labels: ``confusion_matrix(y, p, ["cat", "dog"])``."""
    k = len(class_names)
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    counts = np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)
    cells: dict[str, list[int]] = {}
    order = np.argsort(y_true * k + y_pred, kind="stable")
    flat = (y_true * k + y_pred)[order]
    starts = np.searchsorted(flat, np.arange(k * k), side="left")
    for cell in np.flatnonzero(counts.ravel()):
        i, j = divmod(int(cell), k)
        take = order[starts[cell]:starts[cell] + min(samples_per_cell, counts[i, j])]
        cells[f"{i},{j}"] = take.tolist()
    return ConfusionMatrix(class_names=list(class_names), counts=counts.tolist(), cell_samples=cells)
