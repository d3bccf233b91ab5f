"""Saliency: the gradient of the class score with respect to the input pixels.

Simonyan, Vedaldi & Zisserman, "Deep Inside Convolutional Networks: Visualising Image
Classification Models and Saliency Maps", ICLR workshop 2014. Defaults as Captum's ``Saliency``:
absolute values of the gradient (``abs=True``).

Example::

    ts.explain(model, x, method="saliency")
"""

from __future__ import annotations

import torch

from .base import Explainer, Result, Rows

__all__ = ["Saliency"]


class Saliency(Explainer):
    """``|d y_target / d x|`` (``abs=False`` keeps the sign)."""

    name = "saliency"
    signed = False
    picks_targets = True

    def _attribute(self, x: torch.Tensor, target: torch.Tensor | None, *, abs: bool = True) -> Result:
        out, scores, targets = Rows(len(x)), Rows(len(x)), Rows(len(x))

        def step(a: int, b: int) -> None:
            g, s, t = self.gradient(x[a:b], None if target is None else target[a:b], slice(a, b))
            out.put(a, b, g.abs_() if abs else g)  # g is this call's own tensor
            scores.put(a, b, s)
            targets.put(a, b, t)

        self.chunked(x, len(x), step)
        assert out.tensor is not None and targets.tensor is not None
        return Result(out.tensor, targets.tensor, scores.tensor)
