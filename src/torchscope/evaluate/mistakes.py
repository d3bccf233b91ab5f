"""The most-confused class pairs, and a gallery of the most confident mistakes.

``most_confused`` ranks off-diagonal cells of the confusion matrix by count (fast.ai's
``most_confused``); ``mistakes`` shows the wrongly classified samples the model was most sure
about, with the probability it gave the predicted and the true class.

Example::

    ev.most_confused(k=5).pairs[0]   # {"true": "4", "pred": "9", "count": 7, "rate": 0.04}
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..records import Record, register_record
from ._common import card, table

__all__ = ["Mistakes", "MostConfused", "most_confused"]


@register_record
@dataclass
class MostConfused(Record):
    """``pairs``: dicts with ``true``/``pred`` (names), ``true_index``/``pred_index``, ``count`` and
    ``rate`` (share of the true class predicted as ``pred``), largest count first."""

    kind: ClassVar[str] = "eval.most_confused"
    pairs: list[dict[str, Any]]
    title: str = "most confused pairs"

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        n = len(self.pairs)
        fig = Figure(figsize=(6.0, max(1.6, 0.32 * n + 0.9)))
        ax = fig.add_subplot()
        labels = [f"{p['true']} \u2192 {p['pred']}" for p in self.pairs][::-1]
        counts = [p["count"] for p in self.pairs][::-1]
        bars = ax.barh(np.arange(n), counts, color="#c44e52")
        for b, p in zip(bars, self.pairs[::-1]):
            ax.text(b.get_width(), b.get_y() + b.get_height() / 2, f" {p['count']} ({100 * p['rate']:.1f}%)",
                    va="center", fontsize=7)
        ax.set_yticks(np.arange(n), labels, fontsize=8)
        ax.set_xlabel("samples (true \u2192 predicted)")
        ax.set_title(self.title if n else f"{self.title}: no mistakes", fontsize=9)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        return fig

    def _repr_html_(self) -> str:
        rows = [[p["true"], p["pred"], p["count"], p["rate"]] for p in self.pairs]
        return card(self.title, self.figure(), table(["true", "predicted", "count", "rate"], rows))


def most_confused(counts: list[list[int]], class_names: list[str], k: int = 10) -> MostConfused:
    """The ``k`` largest off-diagonal cells: ``most_confused(cm.counts, cm.class_names, k=5)``."""
    c = np.asarray(counts, dtype=np.int64).copy()
    support = c.sum(axis=1)
    np.fill_diagonal(c, 0)
    flat = np.argsort(-c.ravel(), kind="stable")[:k]
    pairs = []
    for cell in flat:
        i, j = divmod(int(cell), c.shape[0])
        if c[i, j] == 0:
            break
        pairs.append({"true": class_names[i], "pred": class_names[j], "true_index": i, "pred_index": j,
                      "count": int(c[i, j]), "rate": float(c[i, j] / support[i])})
    return MostConfused(pairs=pairs)


@register_record
@dataclass
class Mistakes(Record):
    """Most confident mistakes first. ``images`` is ``(n, H, W, C)`` uint8, or empty when unknown."""

    kind: ClassVar[str] = "eval.mistakes"
    class_names: list[str]
    indices: list[int]
    y_true: list[int]
    y_pred: list[int]
    confidence: list[float]
    true_prob: list[float]
    images: np.ndarray
    title: str = "most confident mistakes"

    def figure(self, columns: int = 8) -> Any:
        from matplotlib.figure import Figure

        n = len(self.indices)
        if n == 0 or self.images.size == 0:
            return self._list_figure()
        cols = min(columns, n)
        rows = math.ceil(n / cols)
        fig = Figure(figsize=(1.5 * cols, 2.0 * rows + 0.4))
        gray = self.images.shape[-1] == 1
        for i in range(n):
            ax = fig.add_subplot(rows, cols, i + 1)
            img = self.images[i, ..., 0] if gray else self.images[i]
            ax.imshow(img, cmap="gray" if gray else None, vmin=0, vmax=255)
            t, p = self.class_names[self.y_true[i]], self.class_names[self.y_pred[i]]
            ax.set_title(f"{t}\u2192{p} {self.confidence[i]:.2f}\ntrue p={self.true_prob[i]:.2f}", fontsize=6.5,
                         color="#c44e52")
            ax.axis("off")
        fig.suptitle(f"{self.title} (true\u2192predicted, confidence)", fontsize=9)
        fig.tight_layout()
        return fig

    def _list_figure(self) -> Any:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(5, 0.3 * max(1, min(len(self.indices), 30)) + 0.6))
        ax = fig.add_subplot()
        ax.axis("off")
        lines = [f"#{i}: {self.class_names[t]} \u2192 {self.class_names[p]} ({c:.2f})"
                 for i, t, p, c in zip(self.indices, self.y_true, self.y_pred, self.confidence)][:30]
        ax.text(0, 1, "\n".join(lines) or "no mistakes", va="top", family="monospace", fontsize=8)
        ax.set_title(self.title, fontsize=9)
        return fig

    def _repr_html_(self) -> str:
        rows = [[i, self.class_names[t], self.class_names[p], c, q] for i, t, p, c, q in
                zip(self.indices, self.y_true, self.y_pred, self.confidence, self.true_prob)]
        return card(self.title, self.figure(), table(["sample", "true", "predicted", "confidence", "p(true)"], rows))
