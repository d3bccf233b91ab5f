"""Attribution maps as pictures: reduce to 2-D, normalize, then heat map, blended or masked overlay.

The reduction follows Captum's ``visualization.visualize_image_attr``: sum over channels, apply
the sign rule (``"absolute"``, ``"positive"``, ``"negative"`` or ``"all"``), scale by the 98th
percentile of the magnitudes (outliers clipped) to [0, 1] (or [-1, 1] for ``"all"``).

Example::

    heat = normalize(reduce(attr, "absolute"), "absolute")      # N x H x W in [0, 1]
    rgb = blend(images, heat, signed=False, alpha=0.5)
"""

from __future__ import annotations

import numpy as np

__all__ = ["SIGNS", "STYLES", "apply_sign", "blend", "colorize", "masked", "normalize", "reduce"]

SIGNS = ("absolute", "positive", "negative", "all")
STYLES = ("image", "heatmap", "blended", "masked")


def reduce(attr: np.ndarray, sign: str) -> np.ndarray:
    """``N x C x H x W`` attributions to ``N x H x W`` under a sign rule: ``reduce(a, "positive")``."""
    return apply_sign(attr.sum(axis=1) if attr.ndim == 4 else attr, sign)


def apply_sign(m: np.ndarray, sign: str) -> np.ndarray:
    """A map of any shape under a sign rule (no channel sum): ``apply_sign(volume_map, "absolute")``."""
    if sign not in SIGNS:
        raise ValueError(f"sign must be one of {SIGNS}, got {sign!r}")
    if sign == "absolute":
        return np.abs(m)
    if sign == "positive":
        return np.maximum(m, 0)
    if sign == "negative":
        return np.maximum(-m, 0)
    return m


def normalize(m: np.ndarray, outlier_perc: float = 2.0) -> np.ndarray:
    """Scale each map by its ``100 - outlier_perc`` percentile of magnitude, clipped to [-1, 1]."""
    flat = np.abs(m.reshape(len(m), -1))
    scale = np.percentile(flat, 100 - outlier_perc, axis=1) if flat.shape[1] else np.ones(len(m))
    scale = np.where(scale > 0, scale, np.maximum(flat.max(axis=1, initial=0), 1e-12))
    return np.clip(m / scale.reshape(-1, *([1] * (m.ndim - 1))), -1, 1).astype(np.float32)


def colorize(heat: np.ndarray, signed: bool) -> np.ndarray:
    """Normalized maps (N x H x W) as RGB uint8: inferno for [0, 1], red-blue for [-1, 1]."""
    from matplotlib import colormaps

    if signed:
        rgba = colormaps["RdBu_r"]((heat + 1) / 2)
    else:
        rgba = colormaps["inferno"](heat)
    return (rgba[..., :3] * 255).round().astype(np.uint8)


def _rgb(images: np.ndarray) -> np.ndarray:
    return np.repeat(images, 3, axis=-1) if images.shape[-1] == 1 else images[..., :3]


def blend(images: np.ndarray, heat: np.ndarray, *, signed: bool, alpha: float = 0.5) -> np.ndarray:
    """Display images (N x H x W x C uint8) with the colored map laid over at opacity ``alpha``."""
    base = _rgb(images).astype(np.float32)
    if signed:
        a = alpha * np.abs(heat)[..., None]
    else:
        a = alpha * np.ones_like(heat)[..., None]
    return (base * (1 - a) + colorize(heat, signed).astype(np.float32) * a).round().astype(np.uint8)


def masked(images: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """Images multiplied by the map's magnitude: only what the model used stays visible."""
    return (_rgb(images).astype(np.float32) * np.abs(heat)[..., None]).round().astype(np.uint8)
