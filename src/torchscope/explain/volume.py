"""The ``explain.volume`` record: attribution maps of 3-D inputs (``N x C x D x H x W``), as overlays.

``ts.explain(net3d, x)`` on volumes (a 3-D convolutional network's inputs) gives one: the inputs,
each method's map at the input's resolution (Grad-CAM's layer map upsampled trilinearly, as the
image maps are bilinearly), and the classes explained. ``volume(i)`` hands sample ``i`` with its
map as the heat overlay to :func:`ts.volume <torchscope.volume>` (the three-plane viewer, in a
notebook, a run or a report); ``figure()`` draws three orthogonal slices through the map's peak.

JSON: ``method``, ``layer``, ``sign``, ``signed``, ``options``, ``class_names``, ``targets``,
``predictions``, ``target_probs``, ``pred_probs``. Blobs (``.npy``): ``inputs`` (N x C x D x H x W
float32) and ``attributions`` (N x C' x D x H x W float32, raw: C' = C, or 1 for Grad-CAM). A
sample's map is its attributions summed over channels; ``heat_map(i)`` applies the sign rule and
scales by the 98th percentile of magnitudes, as the image overlays do.

Example::

    ex = ts.explain(net3d, x, method="gradcam"); ex.volume(0).figure(); ex.save("gradcam3d.png")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..records import Record, register_record
from ._overlay import apply_sign, colorize, normalize

__all__ = ["VolumeAttribution"]

AXES = ("d", "h", "w")
PLANES = ("axial", "coronal", "sagittal")  # as ts.volume places a (D, H, W) array without an affine


@register_record
@dataclass
class VolumeAttribution(Record):
    """Attribution maps of one method for a batch of volumes."""

    kind: ClassVar[str] = "explain.volume"
    method: str
    inputs: np.ndarray
    attributions: np.ndarray
    targets: list[int]
    predictions: list[int]
    target_probs: list[float]
    pred_probs: list[float]
    class_names: list[str]
    sign: str = "absolute"
    signed: bool = False
    layer: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.targets)

    @property
    def maps(self) -> np.ndarray:
        """Every sample's raw map, N x D x H x W float32: the attributions summed over channels."""
        return self.attributions.sum(axis=1, dtype=np.float32)

    def map(self, i: int) -> np.ndarray:
        """Sample ``i``'s raw map, D x H x W float32: its attributions summed over channels."""
        return self.attributions[i].sum(axis=0, dtype=np.float32)

    def heat_map(self, i: int) -> np.ndarray:
        """Sample ``i``'s map under the sign rule, scaled to [0, 1] (or [-1, 1] when ``signed``)."""
        return normalize(apply_sign(self.map(i), self.sign)[None])[0]

    def peak(self, i: int) -> tuple[int, int, int]:
        """The voxel ``(d, h, w)`` where sample ``i``'s heat is largest in magnitude."""
        heat = np.abs(apply_sign(self.map(i), self.sign))
        return tuple(int(v) for v in np.unravel_index(int(np.argmax(heat)), heat.shape))  # type: ignore[return-value]

    def caption(self, i: int) -> str:
        """``"gradcam at conv2: target tumour (0.93), pred tumour (0.93)"``, for sample ``i``."""
        name = self.class_names
        t, p = self.targets[i], self.predictions[i]
        layer = f" at {self.layer}" if self.layer else ""
        text = f"{self.method}{layer}: target {name[t]} ({self.target_probs[i]:.2f})"
        return text if t == p else f"{text}, pred {name[p]} ({self.pred_probs[i]:.2f})"

    def volume(self, i: int = 0, affine: Any = None, labels: Any = None, **options: Any) -> Any:
        """Sample ``i`` as a :class:`~torchscope.volume.Volume` with the map as its heat overlay:
        ``ex.volume(0, affine=img.affine).figure()`` (``options`` go to ``ts.volume``)."""
        from ..volume import volume

        if not 0 <= i < len(self):
            raise IndexError(f"sample {i} is outside the batch of {len(self)}")
        options.setdefault("title", self.caption(i))
        options.setdefault("heat_method", self.method)
        return volume(self.inputs[i], labels=labels, heat=self.heat_map(i), affine=affine, **options)

    def figure(self, i: int | None = None, *, max_samples: int = 4, alpha: float = 0.5) -> Any:
        """Three orthogonal slices through the map's peak, the heat over the input's first channel;
        one row per sample (sample ``i`` only, or the first ``max_samples``)."""
        from matplotlib.figure import Figure

        rows = [i] if i is not None else list(range(min(len(self), max_samples)))
        fig = Figure(figsize=(7.2, 2.5 * len(rows) + 0.5))
        cmap, vmin = ("RdBu_r", -1.0) if self.signed else ("inferno", 0.0)
        for r, s in enumerate(rows):
            image, heat, at = self.inputs[s, 0], self.heat_map(s), self.peak(s)
            lo, hi = np.percentile(image, [1, 99]) if image.size else (0.0, 1.0)
            for axis in range(3):
                cut = (slice(None),) * axis + (at[axis],)
                g, h = image[cut], heat[cut]
                if axis:  # D upwards, as ts.volume shows a PyTorch (D, H, W) array
                    g, h = g[::-1], h[::-1]
                ax = fig.add_subplot(len(rows), 3, 3 * r + axis + 1)
                ax.imshow(g, cmap="gray", vmin=lo, vmax=hi if hi > lo else lo + 1, interpolation="nearest")
                ax.imshow(np.ma.masked_where(np.abs(h) < 0.05, h), cmap=cmap, vmin=vmin, vmax=1, alpha=alpha,
                          interpolation="nearest")
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_title(f"{PLANES[axis]} {AXES[axis]} = {at[axis]}", fontsize=8)
                if axis == 0:
                    label = self.caption(s).split(": ", 1)[1].replace(", pred", "\npred")
                    ax.set_ylabel(f"sample {s}\n{label}", fontsize=7)
        channels = self.inputs.shape[1]
        first = f", channel 0 of {channels}" if channels > 1 else ""
        layer = f" at {self.layer}" if self.layer else ""
        fig.suptitle(f"{self.method}{layer} ({self.sign} attributions, slices through the peak{first})", fontsize=9)
        cax = fig.add_axes((0.93, 0.3, 0.015, 0.4))
        grad = np.linspace(-1 if self.signed else 0, 1, 256)[:, None]
        cax.imshow(colorize(grad, self.signed)[::-1], aspect="auto", extent=(0, 1, -1 if self.signed else 0, 1))
        cax.set_xticks([])
        cax.tick_params(labelsize=7)
        fig.subplots_adjust(left=0.1, right=0.9, top=0.88, bottom=0.03, wspace=0.08, hspace=0.3)
        return fig

    def _repr_html_(self) -> str:
        from .._display import card, table

        rows = [(s, self.class_names[self.targets[s]], self.target_probs[s], self.class_names[self.predictions[s]],
                 "x".join(map(str, self.peak(s)))) for s in range(len(self))]
        return card(f"{self.method} (volumes)", self.figure(),
                    table(["sample", "target", "p(target)", "prediction", "peak d x h x w"], rows))
