"""Per-layer statistics computed on the tensor's own device, without a host sync.

Every function returns a small float tensor on the input's device; the background writer thread
reads it later. Activation statistics follow the usual training-health checks (Karpathy, "A
Recipe for Training Neural Networks", 2019; Glorot & Bengio 2010 for activation/gradient scales).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = ["ACT_FIELDS", "CHANNELS_FIRST", "SAFE_ELEMENTWISE", "activation_stats", "first_tensor", "nonfinite"]

ACT_FIELDS = ("act_mean", "act_std", "act_zero", "dead", "nonfinite")

# layers that cannot turn finite inputs into NaN/Inf: no per-step finiteness check needed
SAFE_ELEMENTWISE: tuple[type[nn.Module], ...] = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish, nn.Hardtanh,
    nn.Hardswish, nn.Hardsigmoid, nn.Sigmoid, nn.Tanh, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d,
    nn.Identity, nn.Flatten, nn.Unflatten, nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AdaptiveMaxPool1d,
    nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d,
)


# layers whose 3-D outputs are (N, C, L)
CHANNELS_FIRST: tuple[type[nn.Module], ...] = (
    nn.Conv1d, nn.ConvTranspose1d, nn.BatchNorm1d, nn.InstanceNorm1d, nn.GroupNorm, nn.MaxPool1d, nn.AvgPool1d,
    nn.AdaptiveAvgPool1d, nn.AdaptiveMaxPool1d,
)


def first_tensor(out: Any) -> torch.Tensor | None:
    """The first floating-point tensor in a module's output (tensor, tuple/list, dict, dataclass)."""
    if isinstance(out, torch.Tensor):
        return out if out.is_floating_point() else None
    if isinstance(out, (list, tuple)):
        for item in out:
            found = first_tensor(item)
            if found is not None:
                return found
        return None
    if isinstance(out, dict):
        return first_tensor(list(out.values()))
    values = getattr(out, "__dict__", None)
    return first_tensor(list(values.values())) if isinstance(values, dict) else None


def nonfinite(t: torch.Tensor) -> torch.Tensor:
    """A device scalar that is NaN/Inf exactly when ``t`` holds a NaN or an infinity.

    One summing pass, no temporaries (a quarter of the cost of ``isfinite(t).any()`` here); NaN and
    Inf propagate through the sum. A float32 sum past 3.4e38 (values around 1e31 and more) also
    reads as non-finite: such a layer has blown up anyway, and the alarm says "or overflow".
    """
    return t.detach().sum()


def activation_stats(out: torch.Tensor, channels_first: bool = False) -> torch.Tensor:
    """[mean, std, fraction of zeros, fraction of dead units, non-finite flag] of a layer output.

    A unit is dead when it is zero for every sample of the batch: channels (dimension 1) for
    (N, C, H, W...) outputs and for 3-D outputs of channel-first layers (Conv1d, BatchNorm1d...),
    features (the last dimension) for (N, F) and (N, T, F) outputs.
    """
    x = out.detach().float()
    zero = x == 0
    if x.dim() >= 4 or (x.dim() == 3 and channels_first):
        alive = (~zero).transpose(0, 1).reshape(x.shape[1], -1).any(dim=1)
    elif x.dim() >= 2:
        alive = (~zero).reshape(-1, x.shape[-1]).any(dim=0)
    else:
        alive = ~zero
    std = x.std() if x.numel() > 1 else torch.zeros((), device=x.device)
    bad = (~torch.isfinite(x)).any().float()  # exact on sampled steps
    return torch.stack([x.mean(), std, zero.float().mean(), 1.0 - alive.float().mean(), bad])
