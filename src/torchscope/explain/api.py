"""``ts.explain``: one verb over every attribution method, returning an :class:`Attribution` record.

Methods: ``"saliency"``, ``"smoothgrad"``, ``"integrated_gradients"`` (alias ``"ig"``),
``"gradcam"`` and ``"occlusion"``; their options are passed through (``n_steps=``, ``layer=``,
``sliding_window_shapes=``...). ``target=None`` explains each sample's predicted class.

Example::

    ex = ts.explain(model, x, method="gradcam")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..evaluate._common import display_images, names_for
from ._overlay import SIGNS, normalize, reduce
from .attribution import Attribution
from .base import Explainer, TargetLike
from .gradcam import GradCAM
from .integrated_gradients import IntegratedGradients
from .occlusion import Occlusion
from .saliency import Saliency
from .smoothgrad import SmoothGrad

__all__ = ["ALIASES", "METHODS", "explain", "explainer"]

METHODS: dict[str, type[Explainer]] = {c.name: c for c in (Saliency, SmoothGrad, IntegratedGradients, GradCAM,
                                                            Occlusion)}
ALIASES = {"ig": "integrated_gradients", "grad_cam": "gradcam", "integratedgradients": "integrated_gradients"}


def explainer(model: nn.Module, method: str = "gradcam", *, layer: Any = None,
              budget_mb: float | None = None) -> Explainer:
    """The :class:`Explainer` for a method name: ``explainer(model, "ig").attribute(x, target=3)``."""
    key = ALIASES.get(method.lower(), method.lower())
    if key not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(METHODS)} (or 'ig')")
    if key == "gradcam":
        return GradCAM(model, layer=layer, budget_mb=budget_mb)
    if layer is not None:
        raise ValueError(f"layer= applies to gradcam only, not {key}")
    return METHODS[key](model, budget_mb=budget_mb)


def _probabilities(out: torch.Tensor) -> torch.Tensor:
    out = out.float()
    return torch.sigmoid(torch.cat([-out, out], 1)) if out.shape[1] == 1 else torch.softmax(out, dim=1)


def explain(model: nn.Module, inputs: torch.Tensor, target: TargetLike = None, method: str = "gradcam", *,
            layer: Any = None, class_names: Sequence[str] | None = None, images: Any = None,
            sign: str | None = None, budget_mb: float | None = None, **options: Any) -> Attribution:
    """Explain a model's decisions on ``inputs``: ``ts.explain(model, x, method="ig")``.

    ``images`` are what to show under the maps (default: the inputs, stretched per image);
    ``sign`` picks what the overlays show (default ``"positive"`` for Grad-CAM, else ``"absolute"``);
    ``budget_mb`` bounds memory (default 384 MB, on a GPU 1/40 of its memory up to 2 GB, or
    ``$TORCHSCOPE_EXPLAIN_BUDGET_MB``).
    """
    if isinstance(inputs, torch.Tensor) and inputs.ndim == 3:
        inputs = inputs[None]
    ex = explainer(model, method, layer=layer, budget_mb=budget_mb)
    x = ex._check_inputs(inputs)
    result = ex._run(x, target, **options)  # its forward pass on x gives the scores, when it made one
    t, attr = result.targets, result.attributions.detach().float().cpu()
    probs = _probabilities(result.scores if result.scores is not None else ex.outputs(x))
    pred = probs.argmax(dim=1)
    sign = sign or ("positive" if ex.name == "gradcam" else "absolute")
    if sign not in SIGNS:
        raise ValueError(f"sign must be one of {SIGNS}, got {sign!r}")
    shown = display_images(images if images is not None else x.cpu())
    m = torch.from_numpy(reduce(attr.numpy(), sign))
    if x.ndim == 4 and tuple(m.shape[1:]) != shown.shape[1:3]:  # a layer-size map: upsample for display
        m = F.interpolate(m[:, None], size=shown.shape[1:3], mode="bilinear", align_corners=False)[:, 0]
    heat = normalize(m.numpy())
    signed = sign == "all"
    heat8 = (np.round(heat * 127) + 128 if signed else np.round(heat * 255)).astype(np.uint8)
    cpu_probs, t_cpu, p_cpu = probs.cpu(), t.cpu(), pred.cpu()
    return Attribution(method=ex.name, images=shown, heat=heat8, attributions=attr.numpy(),
                       targets=t_cpu.tolist(), predictions=p_cpu.tolist(),
                       target_probs=cpu_probs.gather(1, t_cpu[:, None])[:, 0].tolist(),
                       pred_probs=cpu_probs.gather(1, p_cpu[:, None])[:, 0].tolist(),
                       class_names=names_for(class_names, probs.shape[1]), sign=sign, signed=signed,
                       layer=getattr(ex, "layer_name", ""), options=_jsonable(options))


def _jsonable(options: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in options.items():
        if isinstance(v, torch.Tensor):
            v = v.tolist() if v.numel() <= 16 else f"tensor{tuple(v.shape)}"
        out[k] = list(v) if isinstance(v, tuple) else v
    return out
