"""Precision-recall and ROC curves, one-vs-rest per class, with their areas.

ROC AUC is the trapezoid area under (FPR, TPR); the PR area is average precision,
``sum_n (R_n - R_{n-1}) P_n`` (scikit-learn's ``average_precision_score``). A binary problem
reports the positive class only. Curves keep at most ``max_points`` points (endpoints and the
corners kept) so the JSON stays small; the areas use every threshold. A class with no positive
sample has no curve and an area of NaN.

Example::

    ev.roc_curves().auc   # {"cat": 0.97, ...}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..records import Record, register_record
from ._common import card, class_colors, table

__all__ = ["Curves", "binary_curve", "curves"]


@register_record
@dataclass
class Curves(Record):
    """``curve`` is ``"pr"`` (x recall, y precision) or ``"roc"`` (x FPR, y TPR); one entry per class."""

    kind: ClassVar[str] = "eval.curves"
    curve: str
    class_names: list[str]
    x: list[list[float]]
    y: list[list[float]]
    thresholds: list[list[float]]
    area: list[float]
    positives: list[int]
    title: str = ""

    @property
    def auc(self) -> dict[str, float]:
        """Area per class name (ROC AUC or average precision)."""
        return dict(zip(self.class_names, self.area))

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        roc = self.curve == "roc"
        fig = Figure(figsize=(6.4, 4.6))
        ax = fig.add_subplot()
        colors = class_colors(len(self.class_names))
        for n, (name, xs, ys, a) in enumerate(zip(self.class_names, self.x, self.y, self.area)):
            if xs:
                ax.plot(xs, ys, color=colors[n], lw=1.4, drawstyle="default" if roc else "steps-post",
                        label=f"{name} ({'AUC' if roc else 'AP'} {a:.3f})")
        if roc:
            ax.plot([0, 1], [0, 1], color="gray", lw=0.8, ls="--")
        ax.set_xlim(-0.01, 1.01)
        ax.set_ylim(-0.01, 1.02)
        ax.set_xlabel("false positive rate" if roc else "recall")
        ax.set_ylabel("true positive rate" if roc else "precision")
        finite = [a for a in self.area if np.isfinite(a)]
        mean = f"mean {'AUC' if roc else 'AP'} {np.mean(finite):.3f}" if finite else "no positives"
        ax.set_title(f"{self.title or ('ROC' if roc else 'precision-recall')} curves ({mean})", fontsize=9)
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0),
                  ncol=1 if len(self.class_names) <= 20 else 2)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        return fig

    def _repr_html_(self) -> str:
        rows = [[c, a, p] for c, a, p in zip(self.class_names, self.area, self.positives)]
        return card(self.title or self.curve, self.figure(),
                    table(["class", "AUC" if self.curve == "roc" else "AP", "positives"], rows))


def binary_curve(is_pos: np.ndarray, score: np.ndarray, curve: str) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                                 float]:
    """(x, y, thresholds, area) for one class: ``binary_curve(y == 1, s, "roc")``."""
    order = np.argsort(-score, kind="mergesort")
    s, pos = score[order], is_pos[order].astype(np.float64)
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # last index of each distinct threshold
    tp = np.cumsum(pos)[last]
    fp = (last + 1) - tp
    thr = s[last]
    p_total = tp[-1] if len(tp) else 0.0
    if p_total == 0:
        return np.empty(0), np.empty(0), np.empty(0), float("nan")
    if curve == "roc":
        n_total = fp[-1]
        x = np.r_[0.0, fp / n_total] if n_total else np.r_[0.0, np.zeros_like(fp)]
        y = np.r_[0.0, tp / p_total]
        area = float(np.sum(np.diff(x) * (y[1:] + y[:-1])) / 2) if n_total else float("nan")
        return x, y, np.r_[np.inf, thr], area
    precision = tp / (tp + fp)
    recall = tp / p_total
    area = float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
    return np.r_[0.0, recall], np.r_[1.0, precision], np.r_[np.inf, thr], area


def _thin(x: np.ndarray, y: np.ndarray, t: np.ndarray, max_points: int) -> tuple[list[float], ...]:
    if len(x) > max_points:
        keep = np.unique(np.r_[np.linspace(0, len(x) - 1, max_points).round().astype(int), len(x) - 1])
        x, y, t = x[keep], y[keep], t[keep]
    return x.tolist(), y.tolist(), t.tolist()


def curves(y_true: np.ndarray, y_score: np.ndarray, class_names: list[str], curve: str, *,
           max_points: int = 500) -> Curves:
    """One-vs-rest ``"pr"`` or ``"roc"`` curves from scores ``(N, K)``: ``curves(y, s, names, "roc")``."""
    if curve not in ("pr", "roc"):
        raise ValueError(f"curve must be 'pr' or 'roc', got {curve!r}")
    y_true = np.asarray(y_true, dtype=np.int64)
    y_score = np.asarray(y_score, dtype=np.float64)
    k = y_score.shape[1]
    classes = [1] if k == 2 else list(range(k))
    out: dict[str, list[Any]] = {"x": [], "y": [], "t": [], "area": [], "pos": []}
    for c in classes:
        x, y, t, area = binary_curve(y_true == c, y_score[:, c], curve)
        xs, ys, ts = _thin(x, y, t, max_points)
        for key, v in zip(("x", "y", "t", "area", "pos"), (xs, ys, ts, area, int((y_true == c).sum()))):
            out[key].append(v)
    return Curves(curve=curve, class_names=[class_names[c] for c in classes], x=out["x"], y=out["y"],
                  thresholds=out["t"], area=out["area"], positives=out["pos"])
