"""A volume as a matplotlib figure: three planes through one voxel, overlays, and the intensity histogram.

The same planes as the viewer (``slicing.display_plane``: radiological, millimetre aspect), the
label map overlaid in the viewer's colours (fill or outline), the prediction in a second row with
Dice per class, the heat map over the image, and the histogram with the window drawn on it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .record import PLANES, Volume
from .slicing import display_extent, display_plane
from .stats import focus

__all__ = ["volume_figure"]

_LETTERS = {"axial": ("R", "L", "A", "P"), "coronal": ("R", "L", "S", "I"), "sagittal": ("A", "P", "S", "I")}


def _centre(rec: Volume) -> tuple[int, int, int]:
    """Where the planes cut: the record's ``focus`` (a voxel on its largest class, or the heat's peak)."""
    if rec.focus and len(rec.focus) == 3:
        return int(rec.focus[0]), int(rec.focus[1]), int(rec.focus[2])
    return focus(rec.labels, rec.pred, rec.heat, rec.heat_signed, tuple(rec.shape[1:]))


def _rgba(hex_color: str, alpha: float) -> tuple[float, float, float, float]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255, alpha


def _overlay(ax: Any, rec: Volume, mask: np.ndarray, alpha: float, outline: bool, extent: Any) -> None:
    rgba = np.zeros((*mask.shape, 4), np.float32)
    for c in rec.classes:
        m = mask == c["id"]
        if outline:  # the class's boundary: its voxels with a 4-neighbour outside it
            inner = m.copy()
            inner[1:] &= m[:-1]
            inner[:-1] &= m[1:]
            inner[:, 1:] &= m[:, :-1]
            inner[:, :-1] &= m[:, 1:]
            m = m & ~inner
        rgba[m] = _rgba(c["color"], 1.0 if outline else alpha)
    ax.imshow(rgba, extent=extent, interpolation="nearest")


def volume_figure(rec: Volume, *, index: tuple[int, int, int] | None = None, t: int = 0,
                  window: tuple[float, float] | None = None, alpha: float = 0.4, outline: bool = False) -> Any:
    """The figure ``Volume.figure`` returns."""
    from matplotlib.figure import Figure

    x, y, z = index if index is not None else _centre(rec)
    where = {"sagittal": x, "coronal": y, "axial": z}
    if window is None:
        c, w = rec.window.get("center", 0.0), rec.window.get("width", 1.0)
        lo, hi = c - w / 2, c + w / 2
    else:
        lo, hi = window
    rows = [("labels", rec.labels), ("pred", rec.pred)]
    rows = [r for r in rows if r[1] is not None] or [("image", None)]
    fig = Figure(figsize=(11, 3.4 * len(rows)), layout="constrained")
    axes = fig.subplots(len(rows), 4, squeeze=False, width_ratios=[1, 1, 1, 0.9])
    for r, (layer, _arr) in enumerate(rows):
        for col, plane in enumerate(PLANES):
            ax = axes[r][col]
            img = display_plane(rec, plane, where[plane], t)
            wmm, hmm = display_extent(rec, plane)
            extent = (0, wmm, 0, hmm)
            ax.imshow(img, cmap="gray", vmin=lo, vmax=hi, extent=extent, interpolation="nearest")
            if rec.heat is not None and layer != "pred":
                raw = display_plane(rec, plane, where[plane], t, "heat").astype(np.float32)
                h = (raw - 127.5) / 127.5 if rec.heat_signed else raw / 255
                ax.imshow(np.ma.masked_where(np.abs(h) < 0.05, h), cmap="RdBu_r" if rec.heat_signed else "inferno",
                          vmin=-1 if rec.heat_signed else 0, vmax=1, alpha=0.5, extent=extent,
                          interpolation="nearest")
            if layer in ("labels", "pred"):
                _overlay(ax, rec, display_plane(rec, plane, where[plane], t, layer), alpha, outline, extent)
            left, right, top, bottom = _LETTERS[plane]
            for text, xy in ((left, (0.02, 0.5)), (right, (0.98, 0.5)), (top, (0.5, 0.97)), (bottom, (0.5, 0.03))):
                ax.text(*xy, text, transform=ax.transAxes, color="#ffd54f", fontsize=8, ha="center", va="center")
            ax.set_xticks([])
            ax.set_yticks([])
            title = f"{plane} {where[plane]}"
            ax.set_title(title + ("" if layer == "image" else f" ({'truth' if layer == 'labels' else 'prediction'})"),
                         fontsize=9)
        _side(axes[r][3], rec, layer, lo, hi)
    if rec.title:
        fig.suptitle(rec.title, fontsize=11)
    return fig


def _side(ax: Any, rec: Volume, layer: str, lo: float, hi: float) -> None:
    """The histogram with the window (first row), or the classes with Dice (the prediction's row)."""
    if layer != "pred":
        edges = np.asarray(rec.histogram.get("edges", [0, 1]))
        counts = np.asarray(rec.histogram.get("counts", [0]))
        ax.stairs(counts, edges, fill=True, color="#90a4ae")
        ax.axvspan(lo, hi, color="#ffb300", alpha=0.25)
        ax.set_yscale("symlog")
        ax.set_title("intensity (window shaded)", fontsize=9)
        ax.tick_params(labelsize=7)
        if layer == "labels" and rec.pred is None:
            for i, c in enumerate(rec.classes[:8]):
                ax.text(0.98, 0.95 - i * 0.09, f"{c['name']} \u25a0", color=c["color"], transform=ax.transAxes,
                        fontsize=8, ha="right", va="top")
        return
    ax.axis("off")
    ax.set_title("Dice per class", fontsize=9)
    for i, c in enumerate(rec.classes[:12]):
        d = (rec.dice or {}).get(str(c["id"]), float("nan"))
        ax.text(0.02, 0.92 - i * 0.08, "\u25a0", color=c["color"], transform=ax.transAxes, fontsize=11, va="top")
        ax.text(0.14, 0.92 - i * 0.08, f"{c['name']}: {d:.3f}", transform=ax.transAxes, fontsize=9, va="top")
