"""Saliency: the gradient of the class score with respect to the input pixels.

Simonyan, Vedaldi & Zisserman, "Deep Inside Convolutional Networks: Visualising Image
Classification Models and Saliency Maps", ICLR workshop 2014. Defaults as Captum's ``Saliency``:
absolute values of the gradient (``abs=True``).

Example::

    ts.explain(model, x, method="saliency")
"""

from __future__ import annotations

import torch

from ._budget import chunks
from .base import Explainer

__all__ = ["Saliency"]


class Saliency(Explainer):
    """``|d y_target / d x|`` (``abs=False`` keeps the sign)."""

    name = "saliency"
    signed = False

    def _attribute(self, x: torch.Tensor, target: torch.Tensor, *, abs: bool = True) -> torch.Tensor:
        out = torch.empty_like(x)
        for a, b in chunks(len(x), self.rows_per_chunk(x)):
            g = self.gradient(x[a:b], target[a:b])
            out[a:b] = g.abs() if abs else g
        return out
