"""Grad-CAM: a layer's activations weighted by the spatial mean of their gradients.

Selvaraju, Cogswell, Das, Vedantam, Parikh & Batra, "Grad-CAM: Visual Explanations from Deep
Networks via Gradient-based Localization", ICCV 2017. Computed as Captum's ``LayerGradCam``
(``sum_c mean_hw(dy/dA_c) A_c``; ``relu=False`` by default like Captum, ``relu=True`` is the
paper's map) and then upsampled to the input size (Captum's ``LayerAttribution.interpolate``;
``upsample="bilinear"`` by default, ``"nearest"`` is Captum's default mode, ``None`` keeps the layer
resolution). The layer defaults to the last spatial feature layer (see :mod:`._layers`); vision
transformer tokens are reshaped to their grid automatically, class token dropped. On sequences
(``N x C x L`` inputs of a 1-D convolutional network) the layer is the last 1-D feature map after a
``Conv1d``, the map is ``N x 1 x L`` and ``"bilinear"`` upsampling means ``"linear"``. On volumes
(``N x C x D x H x W`` inputs of a 3-D convolutional network) the layer is the last 3-D feature map
after a ``Conv3d``, the map is ``N x 1 x D x H x W`` and ``"bilinear"`` means ``"trilinear"``.

Only the gradient with respect to the layer's output is needed, so no graph is recorded before the
layer: the hook hands the rest of the model a copy of the output, detached from what came before,
and the gradient is taken with respect to the output itself (as Captum's layer hooks do).

Example::

    ts.explain(model, x, method="gradcam", layer="layer4")
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._hooks import forward_hooks
from ._layers import find_layer, find_layer_1d, find_layer_3d, layer_by_name, tokens_to_grid
from .base import Explainer, Result, Rows

__all__ = ["GradCAM"]

VOLUME_MODES = (None, "nearest", "nearest-exact", "bilinear", "trilinear", "area")  # "bilinear": trilinear


class GradCAM(Explainer):
    """Grad-CAM maps, ``N x 1 x H x W`` (``N x 1 x D x H x W`` for volumes) at the input's size, or
    the layer's size with ``upsample=None``."""

    name = "gradcam"
    per_pixel = False
    picks_targets = True

    def __init__(self, model: nn.Module, *, layer: str | nn.Module | None = None,
                 budget_mb: float | None = None, position: int | None = None) -> None:
        super().__init__(model, budget_mb=budget_mb, position=position)
        self.layer = layer
        self.layer_name = ""

    def _attribute(self, x: torch.Tensor, target: torch.Tensor | None, *, relu: bool = False,
                   upsample: str | None = "bilinear", size: int | None = None) -> Result:
        sequence = x.ndim == 3  # N x C x L: a 1-D feature map over time, not tokens
        volume = x.ndim == 5  # N x C x D x H x W: a 3-D feature map
        if volume and upsample not in VOLUME_MODES:
            raise ValueError(f"upsample must be one of {VOLUME_MODES} for volumes (N x C x D x H x W), "
                             f"got {upsample!r}")
        if self.layer is None:
            finder = find_layer_3d if volume else find_layer_1d if sequence else find_layer
            self.layer_name, module = finder(self.model, x[:1], **self.kwargs_for(slice(0, 1), 1))
        else:
            self.layer_name, module = layer_by_name(self.model, self.layer)
        captured: list[torch.Tensor] = []

        def keep(mod: nn.Module, args: Any, out: Any) -> torch.Tensor:
            if not isinstance(out, torch.Tensor):
                raise TypeError(f"Grad-CAM layer {self.layer_name!r} must output one tensor, got {type(out).__name__}")
            act = out.detach().requires_grad_(True)
            captured.append(act)
            return act.clone()  # the model goes on with a copy: in-place changes after the layer leave act alone

        maps, scores, targets = Rows(len(x)), Rows(len(x)), Rows(len(x))

        def step(a: int, b: int) -> None:
            captured.clear()
            with torch.enable_grad():
                out = self.forward(x[a:b], slice(a, b))
                act = captured[-1]
                t = out.detach().argmax(dim=1) if target is None else target[a:b]
                (grad,) = torch.autograd.grad(out.gather(1, t[:, None]).sum(), act)
            act, grad = act.detach(), grad.detach()
            captured.clear()
            if sequence and act.ndim != 3:
                raise ValueError("Grad-CAM on a sequence needs a layer whose output is N x C x L (a 1-D "
                                 f"convolution's); {self.layer_name!r} gives {tuple(act.shape)}")
            if volume and act.ndim != 5:
                raise ValueError("Grad-CAM on a volume needs a layer whose output is N x C x D x H x W (a 3-D "
                                 f"convolution's); layer={self.layer_name!r} gives {tuple(act.shape)}")
            if act.ndim == 3 and not sequence:
                act, grad = tokens_to_grid(act), tokens_to_grid(grad)
            weights = grad.mean(dim=tuple(range(2, grad.ndim)), keepdim=True)
            cam = (weights * act).sum(dim=1, keepdim=True)
            maps.put(a, b, F.relu(cam) if relu else cam)
            scores.put(a, b, out.detach())
            targets.put(a, b, t)

        with forward_hooks([(module, keep)]):
            self.chunked(x, len(x), step)
        cam = maps.tensor
        assert cam is not None and targets.tensor is not None
        if upsample is not None and x.ndim in (3, 4, 5):
            mode = {3: "linear", 5: "trilinear"}.get(x.ndim, "bilinear") if upsample == "bilinear" else upsample
            align = {"align_corners": False} if mode in ("linear", "bilinear", "bicubic", "trilinear") else {}
            cam = F.interpolate(cam, size=(size or x.shape[-1],) if sequence else x.shape[2:], mode=mode, **align)
        return Result(cam, targets.tensor, scores.tensor)
