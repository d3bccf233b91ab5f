"""The ``explain.attribution`` record: inputs, attribution maps, targets and predictions, as overlays.

JSON: ``method``, ``layer``, ``sign``, ``options``, ``class_names``, ``targets``,
``predictions``, ``target_probs``, ``pred_probs``. Blobs (``.npy``): ``images`` (N x H x W x C
uint8, for display), ``heat`` (N x H x W uint8: the normalized 2-D map, 0 = none and 255 = the
98th percentile; when ``signed`` 128 is zero, 0 is -1 and 255 is +1) and ``attributions`` (the
raw float32 maps). A frontend needs only ``images`` and ``heat`` to draw every overlay with an
opacity slider.

Example::

    ex = ts.explain(model, x, method="ig"); ex.overlay(0, "blended"); ex.save("ig.png")
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..records import Record, register_record
from ._overlay import STYLES, blend, colorize, masked

__all__ = ["Attribution"]


@register_record
@dataclass
class Attribution(Record):
    """Attribution maps of one method for a batch of inputs."""

    kind: ClassVar[str] = "explain.attribution"
    method: str
    images: np.ndarray
    heat: np.ndarray
    attributions: np.ndarray
    targets: list[int]
    predictions: list[int]
    target_probs: list[float]
    pred_probs: list[float]
    class_names: list[str]
    sign: str = "absolute"
    signed: bool = False
    layer: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.targets)

    def heat_map(self, i: int) -> np.ndarray:
        """Sample ``i``'s normalized map as floats: [0, 1], or [-1, 1] when ``signed``."""
        h = self.heat[i].astype(np.float32)
        return (h - 128) / 127 if self.signed else h / 255

    def overlay(self, i: int, style: str = "blended", *, alpha: float = 0.5) -> np.ndarray:
        """Sample ``i`` drawn as ``"image"``, ``"heatmap"``, ``"blended"`` or ``"masked"`` (H x W x 3 uint8)."""
        if style not in STYLES:
            raise ValueError(f"style must be one of {STYLES}, got {style!r}")
        img = self.images[i:i + 1]
        heat = np.clip(self.heat_map(i), -1, 1)[None]
        if style == "image":
            return np.repeat(img[0], 3, axis=-1) if img.shape[-1] == 1 else img[0, ..., :3]
        if style == "heatmap":
            return colorize(heat, self.signed)[0]
        if style == "blended":
            return blend(img, heat, signed=self.signed, alpha=alpha)[0]
        return masked(img, heat)[0]

    def png(self, i: int, style: str = "blended", *, alpha: float = 0.5) -> bytes:
        """Sample ``i``'s overlay as PNG bytes: ``open("x.png", "wb").write(ex.png(0))``."""
        from ..data._images import encode_png

        return encode_png(self.overlay(i, style, alpha=alpha))

    def _label(self, i: int) -> str:
        t, p = self.targets[i], self.predictions[i]
        name = self.class_names
        text = f"target {name[t]} ({self.target_probs[i]:.2f})"
        return text if t == p else f"{text}\npred {name[p]} ({self.pred_probs[i]:.2f})"

    def figure(self, styles: tuple[str, ...] = STYLES, max_samples: int = 8, alpha: float = 0.5) -> Any:
        """One row per sample (at most ``max_samples``), one column per style."""
        from matplotlib.figure import Figure

        n = min(len(self), max_samples)
        cols = len(styles)
        fig = Figure(figsize=(2.1 * cols + 0.5, 2.2 * n + 0.4))
        for i in range(n):
            for j, style in enumerate(styles):
                ax = fig.add_subplot(n, cols, i * cols + j + 1)
                ax.imshow(self.overlay(i, style, alpha=alpha))
                ax.set_xticks([])
                ax.set_yticks([])
                if i == 0:
                    ax.set_title(style, fontsize=9)
                if j == 0:
                    ax.set_ylabel(self._label(i), fontsize=7)
        layer = f" at {self.layer}" if self.layer else ""
        fig.suptitle(f"{self.method}{layer} ({self.sign} attributions)", fontsize=10)
        cax = fig.add_axes((0.92, 0.3, 0.015, 0.4)) if n else None
        if cax is not None:
            grad = np.linspace(-1 if self.signed else 0, 1, 256)[:, None]
            cax.imshow(colorize(grad, self.signed)[::-1], aspect="auto",
                       extent=(0, 1, -1 if self.signed else 0, 1))
            cax.set_xticks([])
            cax.tick_params(labelsize=7)
        fig.subplots_adjust(left=0.08, right=0.9, top=0.92, bottom=0.02, wspace=0.05, hspace=0.25)
        return fig

    def _repr_html_(self) -> str:
        from ..data._images import figure_html

        return (f"<div class='torchscope-record'><b>{html.escape(self.method)}</b> "
                f"{html.escape(self.layer)}<br/>{figure_html(self.figure())}</div>")
