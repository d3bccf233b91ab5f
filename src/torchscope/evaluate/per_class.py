"""Per-class precision, recall, F1 and support, with accuracy and macro/weighted averages.

A class never predicted has precision 0 (scikit-learn's ``zero_division=0``); a class with no
samples has recall 0 and support 0.

Example::

    ts.evaluate(y_true=y, y_pred=p).per_class().f1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..records import Record, register_record
from ._common import card, table

__all__ = ["PerClass", "per_class"]


@register_record
@dataclass
class PerClass(Record):
    """One entry per class in each list; ``averages`` holds ``macro`` and ``weighted`` P/R/F1."""

    kind: ClassVar[str] = "eval.per_class"
    class_names: list[str]
    precision: list[float]
    recall: list[float]
    f1: list[float]
    support: list[int]
    predicted: list[int]
    accuracy: float
    averages: dict[str, dict[str, float]]
    title: str = "per-class metrics"

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        k = len(self.class_names)
        fig = Figure(figsize=(min(14, max(5.5, 0.5 * k + 2.5)), 3.6))
        ax = fig.add_subplot()
        x = np.arange(k)
        w = 0.27
        for n, (name, vals, color) in enumerate([("precision", self.precision, "#4c72b0"),
                                                 ("recall", self.recall, "#dd8452"), ("F1", self.f1, "#55a868")]):
            ax.bar(x + (n - 1) * w, vals, w, label=name, color=color)
        ticks = [f"{c}\n(n={s})" if k <= 12 else c for c, s in zip(self.class_names, self.support)]
        ax.set_xticks(x, ticks, fontsize=7, rotation=0 if k <= 12 else 60, ha="center" if k <= 12 else "right")
        ax.set_ylim(0, 1.05)
        ax.axhline(self.accuracy, color="gray", lw=0.8, ls="--")
        m = self.averages["macro"]
        ax.set_title(f"{self.title}: accuracy {self.accuracy:.3f}, macro F1 {m['f1']:.3f}", fontsize=9)
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        return fig

    def _repr_html_(self) -> str:
        rows = [[c, p, r, f, s] for c, p, r, f, s in zip(self.class_names, self.precision, self.recall, self.f1,
                                                          self.support)]
        for name, avg in self.averages.items():
            rows.append([f"{name} avg", avg["precision"], avg["recall"], avg["f1"], sum(self.support)])
        return card(self.title, self.figure(), table(["class", "precision", "recall", "F1", "support"], rows))


def per_class(y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str]) -> PerClass:
    """Precision, recall, F1 and support per class: ``per_class(y, p, ["cat", "dog"])``."""
    k = len(class_names)
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    tp = np.bincount(y_true[y_true == y_pred], minlength=k).astype(np.float64)
    support = np.bincount(y_true, minlength=k)
    predicted = np.bincount(y_pred, minlength=k)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(k), where=denom > 0)
    weights = support / max(1, support.sum())
    averages = {
        "macro": {"precision": float(precision.mean()), "recall": float(recall.mean()), "f1": float(f1.mean())},
        "weighted": {"precision": float(precision @ weights), "recall": float(recall @ weights),
                     "f1": float(f1 @ weights)},
    }
    return PerClass(class_names=list(class_names), precision=precision.tolist(), recall=recall.tolist(),
                    f1=f1.tolist(), support=support.tolist(), predicted=predicted.tolist(),
                    accuracy=float((y_true == y_pred).mean()) if len(y_true) else 0.0, averages=averages)
