"""What the non-image attribution records share: a sample's caption, and signed or unsigned colours.

Example::

    caption(rec, 0)            # "target cat (0.91)"
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["caption", "scale", "signed_cmap"]


def caption(rec: Any, i: int) -> str:
    """``"target <label> (p)"``, and the prediction when it differs."""
    text = f"target {rec.target_labels[i]} ({rec.target_probs[i]:.2f})"
    if rec.targets[i] != rec.predictions[i]:
        text += f"; pred {rec.pred_labels[i]} ({rec.pred_probs[i]:.2f})"
    return text


def scale(values: np.ndarray) -> float:
    """The largest magnitude (1 when all are zero), for a symmetric colour scale."""
    top = float(np.nanmax(np.abs(values))) if values.size else 0.0
    return top if top > 0 else 1.0


def signed_cmap(signed: bool) -> str:
    """Red-blue around zero for signed attributions, a sequential map for magnitudes."""
    return "RdBu_r" if signed else "Oranges"
