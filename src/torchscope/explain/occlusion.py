"""Occlusion: how much the class score drops when a sliding patch of the input is blanked out.

Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks", ECCV 2014. Computed as
Captum's ``Occlusion``: each window position replaces its patch with the baseline (default 0);
a pixel's attribution is the mean score drop over the windows that cover it. Captum has no
default window; here it is ``(C, ceil(H/8), ceil(W/8))`` with strides of half a window for images,
``(C, ceil(D/4), ceil(H/4), ceil(W/4))`` with strides of half a window for volumes
(``N x C x D x H x W``: 7 x 7 x 7 positions, about the forward passes of an image's 15 x 15), and
one feature at a time, stride 1, for other inputs. As in Captum, when the strides do not reach
the edge, one more window is placed there, cut at the edge, so every element is covered. Forward passes
only, in budget-sized chunks of occluded copies. Token ids (integers) can be occluded too: each
window is replaced by the baseline id (token deletion).

Example::

    ts.explain(model, x, method="occlusion", sliding_window_shapes=(3, 8, 8), strides=(3, 4, 4))
    ts.explain(net3d, vol, method="occlusion", sliding_window_shapes=(1, 4, 4, 4), strides=(1, 2, 2, 2))
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch

from .base import Explainer, Result

__all__ = ["Occlusion"]


def _default_window(shape: Sequence[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    if len(shape) in (3, 4):  # C x H x W images (1/8 of each side), C x D x H x W volumes (1/4)
        parts = 8 if len(shape) == 3 else 4
        win = (shape[0], *(math.ceil(s / parts) for s in shape[1:]))
        return win, (shape[0], *(max(1, math.ceil(w / 2)) for w in win[1:]))
    return (1,) * len(shape), (1,) * len(shape)


def _axes(shape: Sequence[int]) -> str:
    names = {3: "(C, h, w) for images", 4: "(C, d, h, w) for volumes N x C x D x H x W"}
    return f"{len(shape)} numbers, {names[len(shape)]}" if len(shape) in names else f"{len(shape)} numbers"


class Occlusion(Explainer):
    """Mean score drop over the windows covering each input element."""

    name = "occlusion"
    picks_targets = True
    accepts_integers = True

    def _attribute(self, x: torch.Tensor, target: torch.Tensor | None, *,
                   sliding_window_shapes: Sequence[int] | None = None, strides: int | Sequence[int] | None = None,
                   baselines: float | torch.Tensor = 0.0) -> Result:
        shape = tuple(x.shape[1:])
        if sliding_window_shapes is None:
            window, default_strides = _default_window(shape)
            strides = default_strides if strides is None else strides
        else:
            window = tuple(int(s) for s in sliding_window_shapes)
        steps = (1,) * len(shape) if strides is None else strides
        stride = (int(steps),) * len(shape) if isinstance(steps, int) else tuple(int(s) for s in steps)
        for what, value in (("sliding_window_shapes", window), ("strides", stride)):
            if len(value) != len(shape) or min(value) < 1:
                raise ValueError(f"{what} {value} must be positive and match the input's per-sample shape {shape}: "
                                 f"{_axes(shape)}")
        if any(w > s for w, s in zip(window, shape)):
            raise ValueError(f"sliding window {window} is larger than the input {shape}")
        # Captum's positions: ceil((size - window) / stride) + 1 per axis, the last one cut at the edge
        starts = [torch.arange(0, -(-(s - w) // st) * st + 1, st, device=x.device)
                  for s, w, st in zip(shape, window, stride)]
        grid = torch.tensor(list(itertools.product(*[t.tolist() for t in starts])), device=x.device)  # P x D
        positions = len(grid)
        coords = [torch.arange(s, device=x.device) for s in shape]
        fdtype = x.dtype if x.is_floating_point() else torch.float32
        cover = torch.ones(shape, device=x.device, dtype=fdtype)
        for d, (s0, w) in enumerate(zip(starts, window)):
            per_dim = ((coords[d][None] >= s0[:, None]) & (coords[d][None] < s0[:, None] + w)).sum(0).to(fdtype)
            cover = cover * per_dim.reshape([-1 if i == d else 1 for i in range(len(shape))])
        base = torch.as_tensor(baselines, dtype=x.dtype, device=x.device)
        base = base.expand_as(x) if base.ndim == x.ndim else base.expand(shape)
        total = torch.zeros(x.shape, dtype=fdtype, device=x.device)
        scores = self.outputs(x)  # the clean inputs' scores, and the predicted classes when target is None
        t = scores.argmax(dim=1) if target is None else target
        first = scores.gather(1, t[:, None])[:, 0]

        def step(a: int, b: int) -> None:  # row r: position r % P of sample r // P
            r = torch.arange(a, b, device=x.device)
            sample, pos = r // positions, r % positions
            mask = torch.ones((len(r), *shape), dtype=torch.bool, device=x.device)
            for d, w in enumerate(window):
                lo = grid[pos, d][:, None]
                inside = (coords[d][None] >= lo) & (coords[d][None] < lo + w)
                mask &= inside.reshape([len(r)] + [-1 if i == d else 1 for i in range(len(shape))])
            rows_base = base[sample] if base.ndim == x.ndim else base
            occluded = torch.where(mask, rows_base, x[sample])
            drop = first[sample] - self.forward(occluded, sample).gather(1, t[sample][:, None])[:, 0]
            total.index_add_(0, sample, drop.to(fdtype).reshape([-1] + [1] * len(shape)) * mask)

        with torch.no_grad():
            self.chunked(x, len(x) * positions, step)
        attr = torch.where(cover > 0, total / cover.clamp_min(1), torch.zeros_like(total))
        return Result(attr, t, scores)
