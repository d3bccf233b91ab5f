"""Attention rollout: how attention flows from the output tokens back to the input tokens.

Abnar & Zuidema, "Quantifying Attention Flow in Transformers", ACL 2020. Each layer's heads are
fused (mean, as the paper; or max, or min), the residual connection is modelled by averaging with
the identity (``0.5 A + 0.5 I``), rows are renormalized, and the layers are multiplied from the
first to the last: ``R = A_L ... A_1``. ``R[i, j]`` is how much output token ``i`` draws on input
token ``j``; for a vision transformer, row 0 (the class token) over the patches is the map.

Example::

    r = rollout(maps)       # maps: layers x heads x T x T; r: T x T
"""

from __future__ import annotations

import numpy as np

__all__ = ["FUSIONS", "rollout"]

FUSIONS = ("mean", "max", "min")


def rollout(maps: np.ndarray, *, head_fusion: str = "mean", residual: bool = True) -> np.ndarray:
    """Rollout of ``layers x heads x T x T`` attention (one sample) to ``T x T``: ``rollout(maps)``."""
    if maps.ndim != 4 or maps.shape[2] != maps.shape[3]:
        raise ValueError(f"rollout needs layers x heads x T x T self-attention, got {maps.shape}")
    if head_fusion not in FUSIONS:
        raise ValueError(f"head_fusion must be one of {FUSIONS}, got {head_fusion!r}")
    t = maps.shape[2]
    eye = np.eye(t, dtype=np.float64)
    out = eye
    for layer in maps.astype(np.float64):
        a = getattr(layer, head_fusion)(axis=0)
        if residual:
            a = 0.5 * a + 0.5 * eye
        a = a / np.maximum(a.sum(axis=-1, keepdims=True), 1e-12)
        out = a @ out
    return out.astype(np.float32)
