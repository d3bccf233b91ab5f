"""The one contract every attribution method follows: ``Explainer(model).attribute(inputs, target=...)``.

Like Captum, each method is one class with one verb; like pytorch-grad-cam, each lives in its own
small module on this base. The base resolves targets (``None`` = the predicted class), runs the
model in eval mode (restoring every module's mode afterwards), and splits the work into chunks
that fit a memory budget (see :mod:`._budget`), so a large batch or many integration steps never
expand into one giant tensor.

Example::

    attr = Saliency(model).attribute(x, target=3)     # same shape as x
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from ._budget import chunk_rows, chunks
from ._hooks import eval_mode

__all__ = ["Explainer", "TargetLike"]

TargetLike = int | list[int] | torch.Tensor | None


class Explainer:
    """Base of the attribution methods. Subclasses set ``name`` and implement ``_attribute``."""

    name: ClassVar[str] = ""
    signed: ClassVar[bool] = True  # False when attributions are non-negative by construction
    per_pixel: ClassVar[bool] = True  # False when the map is coarser than the input (Grad-CAM's layer map)

    def __init__(self, model: nn.Module, *, budget_mb: float | None = None) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"{type(self).__name__} needs a torch.nn.Module, got {type(model).__name__}")
        self.model = model
        self.budget_mb = budget_mb

    def __repr__(self) -> str:
        return f"{type(self).__name__}({type(self.model).__name__})"

    def attribute(self, inputs: torch.Tensor, target: TargetLike = None, **options: Any) -> torch.Tensor:
        """Attributions for ``inputs`` (N x ...) towards ``target``: ``explainer.attribute(x, target=3)``.

        ``target`` is a class index, one per sample, or None for each sample's predicted class.
        """
        x = self._check_inputs(inputs)
        with eval_mode(self.model):
            t = self.targets(x, target)
            return self._attribute(x, t, **options)

    def _attribute(self, x: torch.Tensor, target: torch.Tensor, **options: Any) -> torch.Tensor:
        raise NotImplementedError

    # -- helpers for subclasses -----------------------------------------------------------
    def _check_inputs(self, inputs: Any) -> torch.Tensor:
        if not isinstance(inputs, torch.Tensor):
            raise TypeError(f"inputs must be a torch.Tensor (N x C x H x W), got {type(inputs).__name__}")
        if inputs.ndim < 2 or len(inputs) == 0:
            raise ValueError(f"inputs must be a non-empty batch (N x ...), got shape {tuple(inputs.shape)}")
        if not inputs.is_floating_point():
            raise TypeError(f"inputs must be floating point, got {inputs.dtype}")
        device = next((p.device for p in self.model.parameters()), inputs.device)
        return inputs.detach().to(device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The model's output as ``N x K`` scores (a 1-D output becomes one column)."""
        out = self.model(x)
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"{self.name}: the model must return a tensor of class scores, got {type(out).__name__}")
        return out.reshape(len(x), -1) if out.ndim != 2 else out

    def rows_per_chunk(self, x: torch.Tensor) -> int:
        """How many inputs one forward+backward may take under the budget."""
        with torch.enable_grad():
            return chunk_rows(self.forward, x[:1], self.budget_mb)

    def targets(self, x: torch.Tensor, target: TargetLike) -> torch.Tensor:
        """One class index per sample (``None``: the predicted class, found in budget-sized chunks)."""
        n = len(x)
        if target is None:
            size = 4 * self.rows_per_chunk(x)  # no graph kept: forward only
            with torch.no_grad():
                return torch.cat([self.forward(x[a:b]).argmax(dim=1) for a, b in chunks(n, size)])
        t = torch.as_tensor(target, dtype=torch.long, device=x.device).reshape(-1)
        if t.numel() == 1:
            t = t.expand(n)
        if t.numel() != n:
            raise ValueError(f"target must be one class index or one per sample ({n}), got {t.numel()}")
        return t.contiguous()

    def gradient(self, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """d score[target] / d x, row by row (the batch's sum: rows are independent in eval mode)."""
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            out = self.forward(x)
            score = out.gather(1, target[:, None]).sum()
            (grad,) = torch.autograd.grad(score, x)
        return grad
