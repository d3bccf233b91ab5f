"""The top-k predictions of a classifier with their probabilities, next to each input.

Example::

    ts.topk(model, x, k=5, class_names=names).save("top5.png")
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..evaluate._common import display_images, names_for
from ..records import Record, register_record

if TYPE_CHECKING:  # the record reads back without torch; computing one imports it
    import torch
    from torch import nn

__all__ = ["TopK", "topk"]


@register_record
@dataclass
class TopK(Record):
    """``indices``/``probs``: N x k, most likely first; ``images``: N x H x W x C uint8 (or empty)."""

    kind: ClassVar[str] = "explain.topk"
    class_names: list[str]
    indices: list[list[int]]
    probs: list[list[float]]
    images: np.ndarray
    labels: list[int]

    def figure(self, max_samples: int = 8) -> Any:
        from matplotlib.figure import Figure

        n = min(len(self.indices), max_samples)
        k = len(self.indices[0]) if n else 0
        has_img = self.images.size > 0
        cols = 2 if n <= 4 else 4
        rows = math.ceil(n / (cols // 2))
        fig = Figure(figsize=(3.2 * cols / 2 + 0.4, max(1.6, 0.22 * k + 0.9) * rows))
        for i in range(n):
            r, c = divmod(i, cols // 2)
            if has_img:
                ax = fig.add_subplot(rows, cols, r * cols + 2 * c + 1)
                img = self.images[i]
                ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray" if img.shape[-1] == 1 else None)
                ax.axis("off")
            bx = fig.add_subplot(rows, cols, r * cols + 2 * c + 2)
            names = [self.class_names[j] for j in self.indices[i]][::-1]
            label = self.labels[i] if self.labels else -1
            colors = ["#55a868" if j == label else "#4c72b0" for j in self.indices[i]][::-1]
            bars = bx.barh(np.arange(k), self.probs[i][::-1], color=colors)
            for bar, pr in zip(bars, self.probs[i][::-1]):
                bx.text(bar.get_width() + 0.02, bar.get_y() + bar.get_height() / 2, f"{pr:.2f}", va="center",
                        fontsize=6)
            bx.set_yticks(np.arange(k), names, fontsize=7)
            bx.set_xlim(0, 1)
            bx.tick_params(axis="x", labelsize=6)
            bx.spines[["top", "right"]].set_visible(False)
            if label >= 0:
                bx.set_title(f"true: {self.class_names[label]}", fontsize=7)
        fig.suptitle(f"top-{k} predictions" + (" (green: true class)" if self.labels else ""), fontsize=9)
        fig.tight_layout()
        return fig


def topk(model: nn.Module, inputs: torch.Tensor, k: int = 5, *, class_names: Sequence[str] | None = None,
         labels: Any = None, images: Any = None, batch_size: int = 256) -> TopK:
    """The ``k`` most probable classes per input: ``ts.topk(model, x, k=3)``."""
    import torch

    from ._budget import chunks
    from ._hooks import eval_mode

    x = inputs[None] if inputs.ndim == 3 else inputs
    device = next((p.device for p in model.parameters()), x.device)
    with torch.no_grad(), eval_mode(model):
        out = torch.cat([model(x[a:b].to(device)).float().cpu() for a, b in chunks(len(x), batch_size)])
    probs = torch.softmax(out, dim=1) if out.shape[1] > 1 else torch.cat([1 - out.sigmoid(), out.sigmoid()], 1)
    p, idx = probs.topk(min(k, probs.shape[1]), dim=1)
    shown = display_images(images if images is not None else x.cpu()) if x.ndim == 4 or images is not None else \
        np.zeros((0, 1, 1, 1), np.uint8)
    lab = [] if labels is None else torch.as_tensor(labels).reshape(-1).tolist()
    return TopK(class_names=names_for(class_names, probs.shape[1]), indices=idx.tolist(), probs=p.tolist(),
                images=shown, labels=lab)
