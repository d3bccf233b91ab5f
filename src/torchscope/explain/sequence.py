"""The ``explain.sequence`` record: attributions of sequences as time x feature heat maps.

Inputs are ``N x T x F`` (an LSTM's or a transformer's layout) or ``N x C x L`` (a 1-D
convolution's); the record keeps both as ``N x T x F`` (``layout`` says which the model took), so
every view reads time along x and features along y. Grad-CAM's map is over time only: one
"feature", named ``"Grad-CAM"``.

JSON: ``method``, ``layout`` (``"NTF"`` or ``"NCL"``), ``feature_names``, ``targets``,
``predictions``, ``target_probs``, ``pred_probs``, ``target_labels``, ``pred_labels``,
``signed``, ``layer``, ``options``. Blobs (``.npy``): ``attributions`` (N x T x F' float32) and
``values`` (N x T x F float32, the inputs).

Example::

    ex = ts.explain(lstm, x, method="ig"); ex.over_time(0); ex.save("ig.png")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..records import Record, register_record
from ._labels import caption, scale, signed_cmap

__all__ = ["SequenceAttribution"]


@register_record
@dataclass
class SequenceAttribution(Record):
    """Time x feature attributions of one method for a batch of sequences."""

    kind: ClassVar[str] = "explain.sequence"
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
    layout: str = "NTF"
    signed: bool = True
    layer: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.targets)

    def over_time(self, i: int) -> np.ndarray:
        """Sample ``i``'s attribution at each time step, summed over features (T floats)."""
        return self.attributions[i].sum(axis=-1)

    def by_feature(self) -> np.ndarray:
        """Mean absolute attribution of each feature over samples and time (F' floats)."""
        return np.abs(self.attributions).mean(axis=(0, 1))

    def figure(self, max_samples: int = 4) -> Any:
        """One time x feature heat map per sample (at most ``max_samples``), the sum over features above it."""
        from matplotlib.figure import Figure

        n = min(len(self), max_samples)
        feats = self.attributions.shape[2]
        fig = Figure(figsize=(8, n * (1.6 + 0.15 * min(feats, 24)) + 0.4), layout="constrained")
        panels = fig.subfigures(n, 1, squeeze=False)[:, 0]
        for i in range(n):
            a = self.attributions[i]
            top, ax = panels[i].subplots(2, 1, sharex=True, height_ratios=[1, max(1.5, 0.3 * min(feats, 24))])
            top.plot(self.over_time(i), color="#7a5195", lw=1)
            top.axhline(0, color="#999", lw=0.5)
            top.set_xlim(-0.5, len(a) - 0.5)
            top.tick_params(labelsize=6, labelbottom=False)
            top.set_title(f"sample {i}: {caption(self, i)}", fontsize=8, parse_math=False)
            lim = scale(a)
            ax.imshow(a.T, aspect="auto", cmap=signed_cmap(self.signed), vmin=-lim if self.signed else 0, vmax=lim,
                      interpolation="nearest")
            if feats <= 24:
                ax.set_yticks(range(feats), self.feature_names, fontsize=6, parse_math=False)
            ax.set_xlabel("time", fontsize=7)
            ax.tick_params(axis="x", labelsize=6)
        layer = f" at {self.layer}" if self.layer else ""
        fig.suptitle(f"{self.method}{layer}: time x feature", fontsize=10)
        return fig

    def _repr_html_(self) -> str:
        from .._display import card, table

        imp = self.by_feature()
        rows = [(self.feature_names[j], f"{imp[j]:.4g}") for j in np.argsort(-imp, kind="stable")[:20]]
        return card(f"{self.method} (sequence)", self.figure(), table(["feature", "mean |attribution|"], rows))
