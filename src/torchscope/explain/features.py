"""What a layer sees: the feature maps of any layer for one input, and the first layer's filters.

Feature maps are read with a forward hook (removed on exit, error or not). Filters are the
weights of the first convolution, shown as RGB when it reads three channels (Zeiler & Fergus,
ECCV 2014; Krizhevsky et al., NeurIPS 2012, Fig. 3).

Example::

    ts.feature_maps(model, x[0], layer="layer1").save("maps.png")
    ts.filters(model).save("filters.png")
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..records import Record, register_record

if TYPE_CHECKING:  # the records read back without torch; computing one imports it
    import torch
    from torch import nn

__all__ = ["FeatureMaps", "Filters", "feature_maps", "filters"]


def _grid_figure(tiles: np.ndarray, title: str, labels: list[str], cmap: str | None) -> Any:
    from matplotlib.figure import Figure

    n = len(tiles)
    cols = min(n, 8 if n <= 32 else 12)
    rows = max(1, math.ceil(n / max(cols, 1)))
    fig = Figure(figsize=(1.25 * cols + 0.3, 1.3 * rows + 0.5))
    for i in range(n):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(tiles[i], cmap=cmap, interpolation="nearest")
        ax.set_title(labels[i], fontsize=6)
        ax.axis("off")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


@register_record
@dataclass
class FeatureMaps(Record):
    """``maps``: C x h x w float32 activations of ``layer`` for one input (at most ``max_channels``)."""

    kind: ClassVar[str] = "explain.feature_maps"
    layer: str
    maps: np.ndarray
    channels: list[int]
    means: list[float]
    shape: list[int]

    def figure(self) -> Any:
        tiles = self.maps
        return _grid_figure(tiles, f"feature maps of {self.layer} {tuple(self.shape)}",
                            [f"ch {c} ({m:.2g})" for c, m in zip(self.channels, self.means)], "viridis")


def feature_maps(model: nn.Module, inputs: torch.Tensor, layer: str | nn.Module | None = None, *,
                 max_channels: int = 64, sort: str = "index") -> FeatureMaps:
    """Activations of ``layer`` for one input: ``feature_maps(model, x[0], layer="features.3")``.

    ``layer`` defaults to the last spatial feature layer (as Grad-CAM's). ``sort="mean"`` keeps the
    most active channels first instead of the first ``max_channels``.
    """
    import torch

    from ._hooks import eval_mode, forward_hooks
    from ._layers import find_layer, layer_by_name, tokens_to_grid

    x = inputs[None] if inputs.ndim == 3 else inputs[:1]
    device = next((p.device for p in model.parameters()), x.device)
    x = x.detach().to(device)
    name, module = find_layer(model, x) if layer is None else layer_by_name(model, layer)
    got: list[torch.Tensor] = []

    def keep(mod: nn.Module, args: Any, out: Any) -> None:
        if isinstance(out, torch.Tensor):
            got.append(out.detach())

    with torch.no_grad(), eval_mode(model), forward_hooks([(module, keep)]):
        model(x)
    if not got:
        raise ValueError(f"layer {name!r} did not run (or returned no tensor) in this forward pass")
    act = got[-1]
    if act.ndim == 3:
        act = tokens_to_grid(act)
    act = act[0].float().cpu()
    if act.ndim == 1:
        act = act[:, None, None]
    if act.ndim != 3:
        raise ValueError(f"layer {name!r} outputs shape {tuple(got[-1].shape)}; feature maps need C x H x W")
    means = act.mean(dim=(1, 2))
    order = torch.argsort(means, descending=True) if sort == "mean" else torch.arange(len(act))
    keep_ch = order[:max_channels]
    return FeatureMaps(layer=name, maps=act[keep_ch].numpy(), channels=keep_ch.tolist(),
                       means=means[keep_ch].tolist(), shape=list(act.shape))


@register_record
@dataclass
class Filters(Record):
    """``weights``: out x in x kh x kw of the layer (at most ``max_filters``); ``rgb`` when in == 3."""

    kind: ClassVar[str] = "explain.filters"
    layer: str
    weights: np.ndarray
    rgb: bool

    def tiles(self) -> np.ndarray:
        """Each filter scaled to [0, 1] (kh x kw x 3 when RGB, else the mean over input channels)."""
        w = self.weights.astype(np.float32)
        w = w.transpose(0, 2, 3, 1) if self.rgb else w.mean(axis=1)
        lo = w.min(axis=tuple(range(1, w.ndim)), keepdims=True)
        hi = w.max(axis=tuple(range(1, w.ndim)), keepdims=True)
        return (w - lo) / np.where(hi > lo, hi - lo, 1)

    def figure(self) -> Any:
        shape = self.weights.shape
        return _grid_figure(self.tiles(), f"filters of {self.layer} ({shape[0]} x {shape[1]} x {shape[2]} x "
                            f"{shape[3]})", [str(i) for i in range(len(self.weights))], None if self.rgb else "gray")


def filters(model: nn.Module, layer: str | nn.Module | None = None, *, max_filters: int = 64) -> Filters:
    """The first convolution's filters (or ``layer``'s): ``ts.filters(model).save("f.png")``."""
    import torch
    from torch import nn

    from ._layers import layer_by_name

    if layer is None:
        found = next(((n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)), None)
        if found is None:
            raise ValueError(f"{type(model).__name__} has no Conv2d layer; pass layer=")
        name = found[0]
        module: nn.Module = found[1]
    else:
        name, module = layer_by_name(model, layer)
    w = getattr(module, "weight", None)
    if not isinstance(w, torch.Tensor) or w.ndim != 4:
        raise ValueError(f"layer {name!r} has no 4-D weight (out x in x kh x kw)")
    w = w.detach().float().cpu()[:max_filters]
    return Filters(layer=name, weights=w.numpy(), rgb=w.shape[1] == 3)
