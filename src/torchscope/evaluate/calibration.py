"""Calibration: the reliability diagram and the expected calibration error (ECE).

Following Guo et al., "On Calibration of Modern Neural Networks", ICML 2017: the top-label
confidence (the largest class probability) is binned into ``bins`` equal-width intervals of
(0, 1]; each bin's accuracy is compared with its mean confidence, and
``ECE = sum_b (n_b / N) |acc_b - conf_b|``, ``MCE = max_b |acc_b - conf_b|``. The paper uses 15 bins.

Example::

    ev.calibration().ece
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..records import Record, register_record
from ._common import card, table

__all__ = ["Calibration", "calibration"]


@register_record
@dataclass
class Calibration(Record):
    """Per bin: ``edges`` (bins + 1), ``accuracy``, ``confidence`` (NaN when empty) and ``counts``."""

    kind: ClassVar[str] = "eval.calibration"
    edges: list[float]
    accuracy: list[float]
    confidence: list[float]
    counts: list[int]
    ece: float
    mce: float
    title: str = "reliability diagram"

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(5.2, 5.6))
        ax, hx = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
        e = np.asarray(self.edges)
        width = np.diff(e)
        acc = np.nan_to_num(np.asarray(self.accuracy, dtype=float))
        conf = np.asarray(self.confidence, dtype=float)
        ax.bar(e[:-1], acc, width, align="edge", color="#4c72b0", edgecolor="white", label="accuracy")
        gap_lo = np.minimum(acc, np.nan_to_num(conf))
        ax.bar(e[:-1], np.abs(np.nan_to_num(conf) - acc), width, bottom=gap_lo, align="edge", color="#dd8452",
               alpha=0.45, edgecolor="#dd8452", hatch="//", label="gap to confidence")
        ax.plot([0, 1], [0, 1], color="gray", ls="--", lw=1, label="perfect calibration")
        ax.set_ylim(0, 1)
        ax.set_ylabel("accuracy")
        ax.legend(fontsize=8, frameon=False, loc="upper left")
        ax.set_title(f"{self.title}: ECE {100 * self.ece:.2f}%, MCE {100 * self.mce:.2f}%", fontsize=9)
        hx.bar(e[:-1], self.counts, width, align="edge", color="gray", edgecolor="white")
        hx.set_xlabel("confidence (top-label probability)")
        hx.set_ylabel("samples")
        hx.set_xlim(0, 1)
        for a in (ax, hx):
            a.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        return fig

    def _repr_html_(self) -> str:
        rows = [[f"{lo:.2f}-{hi:.2f}", a, c, n] for lo, hi, a, c, n in
                zip(self.edges[:-1], self.edges[1:], self.accuracy, self.confidence, self.counts)]
        return card(self.title, self.figure(), table(["confidence", "accuracy", "mean confidence", "n"], rows))


def calibration(y_true: np.ndarray, y_score: np.ndarray, *, bins: int = 15) -> Calibration:
    """Reliability bins and ECE of probabilities ``(N, K)``: ``calibration(y, probs).ece``."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_score = np.asarray(y_score, dtype=np.float64)
    conf = y_score.max(axis=1)
    correct = (y_score.argmax(axis=1) == y_true).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, bins - 1)  # (lo, hi] bins
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.bincount(which, weights=correct, minlength=bins) / counts
        mean_conf = np.bincount(which, weights=conf, minlength=bins) / counts
    gap = np.abs(acc - mean_conf)
    n = max(1, len(y_true))
    ece = float(np.nansum(counts / n * gap))
    mce = float(np.nanmax(gap)) if counts.any() else 0.0
    return Calibration(edges=edges.tolist(), accuracy=acc.tolist(), confidence=mean_conf.tolist(),
                       counts=counts.tolist(), ece=ece, mce=mce)
