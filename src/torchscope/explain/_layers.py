"""Finding layers: by name, or automatically the last spatial feature layer; token grids as images.

The automatic choice runs one sample forward with a hook on every submodule, keeps the outputs
that are spatial (``N x C x H x W`` with ``H * W > 1``, or vision-transformer tokens
``N x T x D`` whose ``T`` or ``T - 1`` is a square), and asks autograd which of them the class
score depends on at more than one position. The last such module to finish is the target layer:
``layer4`` of a ResNet, ``features`` of a VGG-style network, and ``blocks[-1].norm1`` of a
vision transformer (after its last attention, only the class token reaches the head). For
sequences (``N x C x L``), :func:`find_layer_1d` does the same over the 1-D feature maps that
follow a ``Conv1d``; a model without one (an LSTM, a transformer) has no such map. For volumes
(``N x C x D x H x W``), :func:`find_layer_3d` does it over the 3-D feature maps after a ``Conv3d``.

Example::

    name, module = find_layer(model, x[:1])
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from ._hooks import forward_hooks

__all__ = ["find_layer", "find_layer_1d", "find_layer_3d", "layer_by_name", "spatial", "tokens_to_grid"]


def layer_by_name(model: nn.Module, layer: str | nn.Module) -> tuple[str, nn.Module]:
    """``(name, module)`` for a dotted name or a module of ``model``: ``layer_by_name(m, "layer4.1")``."""
    names = {id(m): n for n, m in model.named_modules()}
    if isinstance(layer, nn.Module):
        if id(layer) not in names:
            raise ValueError(f"layer {type(layer).__name__} is not a submodule of the model")
        return names[id(layer)] or type(layer).__name__, layer
    modules = dict(model.named_modules())
    if layer not in modules:
        near = [n for n in modules if n and layer.split(".")[-1] in n][:8]
        raise ValueError(f"no layer named {layer!r} in {type(model).__name__}; similar: {near or list(modules)[1:9]}")
    return layer, modules[layer]


def _grid_side(tokens: int) -> tuple[int, int] | None:
    """(extra leading tokens, grid side) when the tokens form a square grid, else None."""
    for extra in (0, 1):
        side = math.isqrt(tokens - extra) if tokens > extra else 0
        if side > 1 and side * side == tokens - extra:
            return extra, side
    return None


def tokens_to_grid(t: torch.Tensor) -> torch.Tensor:
    """``N x T x D`` tokens (a class token first, optional) as an ``N x D x h x w`` map."""
    found = _grid_side(t.shape[1])
    if found is None:
        raise ValueError(f"cannot arrange {t.shape[1]} tokens as a square grid (with or without a class token)")
    extra, side = found
    return t[:, extra:].reshape(len(t), side, side, t.shape[2]).permute(0, 3, 1, 2)


def spatial(t: Any) -> bool:
    """Whether a layer output is a feature map (N x C x H x W, H * W > 1) or a square token grid."""
    if not isinstance(t, torch.Tensor) or not t.is_floating_point():
        return False
    if t.ndim == 4:
        return t.shape[2] * t.shape[3] > 1
    return t.ndim == 3 and _grid_side(t.shape[1]) is not None


def _as_map(t: torch.Tensor) -> torch.Tensor:
    return t if t.ndim == 4 else tokens_to_grid(t)


def find_layer(model: nn.Module, sample: torch.Tensor, **kwargs: Any) -> tuple[str, nn.Module]:
    """The last spatial layer the class score depends on: ``find_layer(resnet, x[:1])``."""
    outputs: list[tuple[str, nn.Module, torch.Tensor]] = []

    def keep(name: str) -> Any:
        def hook(module: nn.Module, args: Any, out: Any) -> None:
            if spatial(out):
                outputs.append((name, module, out))
        return hook

    pairs = [(m, keep(n)) for n, m in model.named_modules() if n]
    with torch.enable_grad(), forward_hooks(pairs):
        x = sample[:1].detach().clone().requires_grad_(True)
        out = model(x, **kwargs)
    if not outputs:
        raise ValueError(f"{type(model).__name__} has no spatial layer (N x C x H x W or a square token grid); "
                         "pass layer= explicitly")
    from .base import scores_of

    score = scores_of(out).reshape(1, -1).max(dim=1).values.sum()
    dims = [o.shape[-1] for _, _, o in outputs if o.ndim == 3]
    width = max(set(dims), key=dims.count) if dims else None  # the model's token width (skips qkv projections)
    for name, module, o in reversed(outputs):
        if o.ndim == 3 and o.shape[-1] != width:
            continue
        try:
            (g,) = torch.autograd.grad(score, o, retain_graph=True, allow_unused=True)
        except RuntimeError:  # an output later modified in place
            continue
        if g is not None and int((_as_map(g).abs().sum(dim=1) > 0).sum()) > 1:
            return name, module
    name, module, _ = outputs[-1]
    return name, module


def find_layer_1d(model: nn.Module, sample: torch.Tensor, **kwargs: Any) -> tuple[str, nn.Module]:
    """The last ``N x C x L`` feature map after a ``Conv1d`` that the score depends on at more than
    one position: ``find_layer_1d(conv1d_net, x[:1])``."""
    convs = [type(m).__name__ for m in model.modules() if isinstance(m, nn.Conv1d)]
    if not convs:
        raise ValueError(f"Grad-CAM needs a 1-D convolution over time, and {type(model).__name__} has none "
                         f"(its layers: {_leaf_kinds(model)}); recurrent and attention layers have no "
                         "feature map to weight: use 'ig', 'saliency', 'smoothgrad' or 'occlusion'")
    return _last_map_after(model, sample, nn.Conv1d, 3, kwargs)


def find_layer_3d(model: nn.Module, sample: torch.Tensor, **kwargs: Any) -> tuple[str, nn.Module]:
    """The last ``N x C x D x H x W`` feature map after a ``Conv3d`` that the score depends on at
    more than one voxel: ``find_layer_3d(conv3d_net, x[:1])``."""
    if not any(isinstance(m, nn.Conv3d) for m in model.modules()):
        raise ValueError(f"Grad-CAM on volumes needs a 3-D convolution, and {type(model).__name__} has none "
                         f"(its layers: {_leaf_kinds(model)}): use 'ig', 'saliency', 'smoothgrad' or 'occlusion'")
    return _last_map_after(model, sample, nn.Conv3d, 5, kwargs)


def _leaf_kinds(model: nn.Module) -> str:
    kinds = sorted({type(m).__name__ for m in model.modules() if next(m.children(), None) is None})
    return ", ".join(kinds[:8]) or "none"


def _last_map_after(model: nn.Module, sample: torch.Tensor, conv: type[nn.Module], ndim: int,
                    kwargs: dict[str, Any]) -> tuple[str, nn.Module]:
    """The last ``ndim``-dimensional floating output, from the first ``conv`` on, whose gradient is
    non-zero at more than one position (else the first ``conv``)."""
    outputs: list[tuple[str, nn.Module, torch.Tensor]] = []
    seen_conv = False

    def keep(name: str) -> Any:
        def hook(module: nn.Module, args: Any, out: Any) -> None:
            nonlocal seen_conv
            seen_conv = seen_conv or isinstance(module, conv)
            if seen_conv and isinstance(out, torch.Tensor) and out.is_floating_point() and out.ndim == ndim:
                outputs.append((name, module, out))
        return hook

    pairs = [(m, keep(n)) for n, m in model.named_modules() if n]
    with torch.enable_grad(), forward_hooks(pairs):
        out = model(sample[:1].detach().clone().requires_grad_(sample.is_floating_point()), **kwargs)
    from .base import scores_of

    score = scores_of(out).reshape(1, -1).max(dim=1).values.sum()
    for name, module, o in reversed(outputs):
        if o.shape[2:].numel() < 2:
            continue
        try:
            (g,) = torch.autograd.grad(score, o, retain_graph=True, allow_unused=True)
        except RuntimeError:
            continue
        if g is not None and int((g.abs().sum(dim=1) > 0).sum()) > 1:
            return name, module
    return next((n, m) for n, m in model.named_modules() if isinstance(m, conv))
