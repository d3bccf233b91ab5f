"""The volume record: voxels in RAS+ order, their spacing, label maps, a heat map, and what the viewer needs.

``ts.volume(x, labels=, pred=, heat=)`` builds one; ``run.log_volume(key, x, ...)`` logs one (built on
the writer thread). Stored voxels are reoriented to the closest canonical orientation, RAS+
(array axes x, y, z: +x towards the subject's Right, +y Anterior, +z Superior), so every reader
slices the same way: an axial slice is ``image[t, :, :, z]``. Statistics, window presets, the
intensity histogram, classes and Dice are computed once, here, and travel in the JSON part, so an
index of a run's volumes never reads the voxels.

Example::

    vol = ts.volume("brain.nii.gz", labels="seg.nii.gz")
    vol.figure()        # three planes through the centre, labels overlaid, and the histogram
    run.log_volume("mri", "brain.nii.gz", labels="seg.nii.gz")   # the dashboard's Volumes panel
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..records import Record, register_record

__all__ = ["PALETTE", "PLANES", "Volume"]

PLANES = ("axial", "coronal", "sagittal")
# the label colours (ITK-SNAP's first classes, then tab20): class id c takes PALETTE[(c - 1) % len]
PALETTE = ["#ff0000", "#00ff00", "#0000ff", "#ffff00", "#00ffff", "#ff00ff", "#ffefd5", "#0000cd", "#cd853f",
           "#d2b48c", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]


@register_record
@dataclass
class Volume(Record):
    """A 3-D volume (with a 4th axis of time or channels) ready to view: ``ts.volume(x, labels=y)``.

    ``image`` is (T, X, Y, Z) in RAS+ voxel order; ``labels``/``pred`` (X, Y, Z) class ids;
    ``heat`` (X, Y, Z) uint8 (0..255; 128 is zero when ``heat_signed``). ``affine`` places voxel
    (x, y, z) in world millimetres; ``spacing`` is its voxel size.
    """

    kind: ClassVar[str] = "volume"
    image: np.ndarray
    affine: list[list[float]]
    spacing: list[float]
    source_axes: str = "RAS"
    title: str | None = None
    t_kind: str | None = None
    t_names: list[str] = field(default_factory=list)
    modality: str | None = None
    stats: dict[str, float] = field(default_factory=dict)
    histogram: dict[str, list[float]] = field(default_factory=dict)
    presets: list[dict[str, Any]] = field(default_factory=list)
    window: dict[str, float] = field(default_factory=dict)
    labels: np.ndarray | None = None
    pred: np.ndarray | None = None
    heat: np.ndarray | None = None
    heat_signed: bool = False
    heat_method: str | None = None
    classes: list[dict[str, Any]] = field(default_factory=list)
    dice: dict[str, float] | None = None
    shape: list[int] = field(default_factory=list)
    dtype: str = "float32"
    focus: list[int] = field(default_factory=list)  # the voxel the views open on (x, y, z)

    def __post_init__(self) -> None:
        if not self.shape and isinstance(self.image, np.ndarray):
            self.shape = [int(s) for s in self.image.shape]

    # -- what users ask of a volume ---------------------------------------------------------------
    @property
    def array(self) -> np.ndarray:
        """The voxels (T, X, Y, Z) in RAS+ order (a view of the stored array)."""
        return self.image

    def world(self, x: float, y: float, z: float) -> tuple[float, float, float]:
        """World millimetres of voxel (x, y, z): ``vol.world(10, 20, 5)``."""
        p = np.asarray(self.affine, dtype=float) @ np.array([x, y, z, 1.0])
        return float(p[0]), float(p[1]), float(p[2])

    def plane(self, name: str, index: int | None = None, t: int = 0, layer: str = "image") -> np.ndarray:
        """One plane as it is displayed (rows top to bottom, radiological: the subject's right on the left).

        ``vol.plane("axial")`` is the middle axial slice; ``layer`` is image, labels, pred or heat.
        """
        from .slicing import display_plane

        return display_plane(self, name, index, t, layer)

    def figure(self, *, index: tuple[int, int, int] | None = None, t: int = 0,
               window: tuple[float, float] | None = None, alpha: float = 0.4, outline: bool = False) -> Any:
        """Three planes through ``index`` (default: the centre, or the labels' centre), overlays and histogram."""
        from .figure import volume_figure

        return volume_figure(self, index=index, t=t, window=window, alpha=alpha, outline=outline)

    def _repr_html_(self) -> str:
        """The interactive viewer in a notebook (three linked planes, the volume embedded)."""
        try:
            from .html import notebook_html
        except ImportError:  # the notebook viewer is not there: the figure and the facts
            return super()._repr_html_()
        return notebook_html(self)

    def replace(self, **changes: Any) -> Volume:
        """A copy with some fields changed (the arrays shared)."""
        return dataclasses.replace(self, **changes)
