"""Grad-CAM: a layer's activations weighted by the spatial mean of their gradients.

Selvaraju, Cogswell, Das, Vedantam, Parikh & Batra, "Grad-CAM: Visual Explanations from Deep
Networks via Gradient-based Localization", ICCV 2017. Computed as Captum's ``LayerGradCam``
(``sum_c mean_hw(dy/dA_c) A_c``; ``relu=False`` by default like Captum, ``relu=True`` is the
paper's map) and then upsampled to the input size (Captum's ``LayerAttribution.interpolate``;
``upsample="bilinear"`` by default, ``"nearest"`` is Captum's default mode, ``None`` keeps the layer
resolution). The layer defaults to the last spatial feature layer (see :mod:`._layers`); vision
transformer tokens are reshaped to their grid automatically, class token dropped.

Example::

    ts.explain(model, x, method="gradcam", layer="layer4")
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._budget import chunks
from ._hooks import forward_hooks
from ._layers import find_layer, layer_by_name, tokens_to_grid
from .base import Explainer

__all__ = ["GradCAM"]


class GradCAM(Explainer):
    """Grad-CAM maps, ``N x 1 x H x W`` (input size) or the layer's size with ``upsample=None``."""

    name = "gradcam"
    per_pixel = False

    def __init__(self, model: nn.Module, *, layer: str | nn.Module | None = None,
                 budget_mb: float | None = None) -> None:
        super().__init__(model, budget_mb=budget_mb)
        self.layer = layer
        self.layer_name = ""

    def _attribute(self, x: torch.Tensor, target: torch.Tensor, *, relu: bool = False,
                   upsample: str | None = "bilinear") -> torch.Tensor:
        if self.layer is None:
            self.layer_name, module = find_layer(self.model, x[:1])
        else:
            self.layer_name, module = layer_by_name(self.model, self.layer)
        captured: list[torch.Tensor] = []

        def keep(mod: nn.Module, args: Any, out: Any) -> None:
            if not isinstance(out, torch.Tensor):
                raise TypeError(f"Grad-CAM layer {self.layer_name!r} must output one tensor, got {type(out).__name__}")
            captured.append(out)

        maps = []
        with forward_hooks([(module, keep)]):
            size = self.rows_per_chunk(x)
            for a, b in chunks(len(x), size):
                captured.clear()
                with torch.enable_grad():
                    xs = x[a:b].detach().requires_grad_(True)
                    out = self.forward(xs)
                    act = captured[-1]
                    (grad,) = torch.autograd.grad(out.gather(1, target[a:b, None]).sum(), act)
                act, grad = act.detach(), grad.detach()
                if act.ndim == 3:
                    act, grad = tokens_to_grid(act), tokens_to_grid(grad)
                weights = grad.mean(dim=tuple(range(2, grad.ndim)), keepdim=True)
                cam = (weights * act).sum(dim=1, keepdim=True)
                maps.append(F.relu(cam) if relu else cam)
        cam = torch.cat(maps)
        if upsample is not None and x.ndim == 4:
            align = {} if upsample == "nearest" else {"align_corners": False}
            cam = F.interpolate(cam, size=x.shape[2:], mode=upsample, **align)
        return cam
