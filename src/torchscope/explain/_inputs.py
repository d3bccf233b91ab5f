"""What kind of input a model takes, from the inputs and the model: images, volumes, tabular rows,
sequences or token ids.

- integer tensors (or a dict with ``input_ids``, as a tokenizer returns) are token ids;
- ``N x F`` floats are tabular rows;
- ``N x C x H x W`` floats are images, and so is one ``C x H x W`` image given to a model whose
  first layer is a ``Conv2d``;
- ``N x C x D x H x W`` floats are volumes (the ``Conv3d`` layout) when the model has a 3-D
  convolution (or no convolution at all), and so is one ``C x D x H x W`` volume given to a model
  whose first layer is a ``Conv3d``;
- other three-dimensional floats are sequences: ``N x C x L`` when the model's first layer is a
  ``Conv1d``, else ``N x T x F`` (an LSTM's, a transformer's layout).

Example::

    kind, layout = detect(model, x)      # ("sequence", "NCL")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

__all__ = ["KINDS", "LAYOUTS", "detect", "first_layer", "unpack"]

KINDS = ("image", "volume", "tabular", "sequence", "tokens")
LAYOUTS = ("NTF", "NCL")
CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


def unpack(inputs: Any, model_kwargs: Mapping[str, Any] | None) -> tuple[torch.Tensor, dict[str, Any]]:
    """``(tensor to explain, the model's other keyword arguments)``; a dict (a tokenizer's
    ``BatchEncoding``) gives its ``input_ids`` (or ``pixel_values``) and passes the rest along."""
    kwargs = dict(model_kwargs or {})
    if isinstance(inputs, Mapping):
        key = next((k for k in ("input_ids", "pixel_values", "inputs_embeds") if k in inputs), None)
        if key is None:
            raise ValueError(f"a dict of inputs needs 'input_ids' or 'pixel_values', got keys {sorted(inputs)}")
        rest = {k: v for k, v in inputs.items() if k != key}
        return inputs[key], {**rest, **kwargs}
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(f"inputs must be a torch.Tensor or a dict of them (a tokenizer's output), "
                        f"got {type(inputs).__name__}")
    return inputs, kwargs


def first_layer(model: nn.Module) -> nn.Module | None:
    """The first module (in definition order) that holds parameters itself."""
    return next((m for m in model.modules() if any(True for _ in m.parameters(recurse=False))), None)


def detect(model: nn.Module, x: torch.Tensor) -> tuple[str, str | None]:
    """``(kind, layout)``: the input's kind (one of :data:`KINDS`) and, for sequences, its layout."""
    if not x.is_floating_point():
        return "tokens", None
    first = first_layer(model)
    if x.ndim == 2:
        return "tabular", None
    if x.ndim == 5:
        return _volume(model, x), None
    if x.ndim == 4:
        return ("volume" if isinstance(first, nn.Conv3d) else "image"), None  # one C x D x H x W volume
    if x.ndim == 3:
        if isinstance(first, nn.Conv2d):
            return "image", None  # one C x H x W image
        return "sequence", "NCL" if isinstance(first, nn.Conv1d) else "NTF"
    raise ValueError(f"ts.explain takes images (N x C x H x W), volumes (N x C x D x H x W), tabular rows (N x F), "
                     f"sequences (N x T x F or N x C x L) and token ids (N x T); got {x.ndim} dimensions "
                     f"{tuple(x.shape)}. The method classes (IntegratedGradients(model).attribute(x)) take any shape")


def _volume(model: nn.Module, x: torch.Tensor) -> str:
    """``"volume"`` for a 5-D input, unless the model's convolutions are all of another rank."""
    convs = {type(m).__name__ for m in model.modules() if isinstance(m, CONVS)}
    if convs and not any(isinstance(m, (nn.Conv3d, nn.ConvTranspose3d)) for m in model.modules()):
        raise ValueError(f"ts.explain got inputs of 5 dimensions {tuple(x.shape)}, volumes (N x C x D x H x W), "
                         f"but {type(model).__name__} has no 3-D convolution (it has {', '.join(sorted(convs))}): "
                         "pass volumes to a 3-D network (Conv3d), images (N x C x H x W) to a 2-D one")
    return "volume"
