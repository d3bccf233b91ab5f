"""What the evaluation records share: class names, colours, notebook cards and HTML tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._display import card, class_colors, table

__all__ = ["card", "class_colors", "display_images", "names_for", "table"]


def names_for(class_names: Sequence[str] | None, k: int) -> list[str]:
    """``k`` class names: the given ones, extended with ``"class i"``: ``names_for(["cat"], 2)``."""
    names = [str(c) for c in (class_names or [])]
    return names + [str(i) for i in range(len(names), k)]




def display_images(x: Any) -> np.ndarray:
    """Images (tensor or array; NCHW or NHWC; uint8 or float) as NHWC uint8 for display.

    Tensors are N x C x H x W (N x H x W: grayscale). uint8 passes through; floats in [0, 1]
    are scaled by 255; other floats (normalized inputs) are stretched per image from their own
    min and max: ``display_images(torch.rand(2, 3, 8, 8))``.
    """
    is_tensor = hasattr(x, "detach")  # torch tensors are N x C x H x W; arrays are guessed
    arr = x.detach().cpu().numpy() if is_tensor else np.asarray(x)
    if arr.ndim == 3:
        arr = arr[:, None] if is_tensor else (arr[..., None] if arr.shape[-1] > 4 else arr[None])
    if arr.ndim != 4:
        raise ValueError(f"images must be N x C x H x W or N x H x W x C, got shape {arr.shape}")
    if is_tensor or (arr.shape[1] in (1, 3, 4) and arr.shape[-1] not in (1, 3, 4)):
        arr = arr.transpose(0, 2, 3, 1)
    if arr.dtype == np.uint8:
        return np.ascontiguousarray(arr)
    arr = np.nan_to_num(arr.astype(np.float32))
    if arr.size and arr.min() >= 0.0 and arr.max() <= 1.0:
        return (arr * 255).round().astype(np.uint8)
    lo = arr.min(axis=(1, 2, 3), keepdims=True)
    hi = arr.max(axis=(1, 2, 3), keepdims=True)
    return ((arr - lo) / np.where(hi > lo, hi - lo, 1) * 255).round().astype(np.uint8)
