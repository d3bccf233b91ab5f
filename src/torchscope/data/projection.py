"""The projector's record: point coordinates with labels, predictions and image thumbnails.

Everything a frontend scatter needs travels in one record: ``coords`` (float32, N x 2 or N x 3),
``labels`` and ``predictions`` (int32), ``class_names``, ``indices`` (positions in the data set)
and the image thumbnails. In memory the thumbnails are an N x h x w x C uint8 array; stored, they
become one PNG sprite sheet (blob ``sprite``) whose grid is described by ``sprite_layout`` (the
layout of TensorBoard's embedding projector), so the PNG is only encoded when the record is
logged or saved. ``columns()`` gives the points as plain columnar JSON.

Example::

    rec = ts.data.project(ds); rec.color_by = "correct"; rec.save("projection.png")
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from ..records import Record, register_record
from ._images import split_sprite, sprite_sheet
from .views._common import card, class_colors, table

__all__ = ["Projection"]

COLOR_BY = ("label", "prediction", "correct")


@register_record
@dataclass
class Projection(Record):
    """A 2-D or 3-D projection of N samples (see the module docstring for the fields)."""

    kind: ClassVar[str] = "data.projection"
    coords: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    method: str = "pca"
    indices: np.ndarray | None = None
    predictions: np.ndarray | None = None
    thumbnails: np.ndarray | None = None
    params: dict[str, Any] = field(default_factory=dict)
    color_by: str = "label"
    title: str = "projection"

    def columns(self) -> dict[str, Any]:
        """Columnar JSON for a scatter: ``{"x": [...], "y": [...], "label": [...], ...}``."""
        out: dict[str, Any] = {"x": self.coords[:, 0].tolist(), "y": self.coords[:, 1].tolist()}
        if self.coords.shape[1] > 2:
            out["z"] = self.coords[:, 2].tolist()
        out["label"] = self.labels.tolist()
        if self.predictions is not None:
            out["prediction"] = self.predictions.tolist()
        if self.indices is not None:
            out["index"] = self.indices.tolist()
        return out

    def thumbnail(self, i: int) -> np.ndarray:
        """Thumbnail of point ``i`` (h x w x C uint8): ``rec.thumbnail(0)``."""
        if self.thumbnails is None:
            raise ValueError("this projection has no thumbnails (tabular data, or thumbnails=False)")
        return self.thumbnails[i]

    def sprite(self) -> tuple[bytes, dict[str, int]]:
        """The thumbnails as one PNG sprite sheet and its grid layout: ``png, layout = rec.sprite()``."""
        if self.thumbnails is None:
            return b"", {}
        return sprite_sheet(self.thumbnails)

    def to_dict(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        data, blobs = Record.to_dict(replace(self, thumbnails=None))
        png, layout = self.sprite()
        if png:
            blobs["sprite"] = png
            data["sprite"] = {"__blob__": "sprite", "type": "bytes"}
        data["sprite_layout"] = layout
        return data, blobs

    @classmethod
    def from_dict(cls, data: dict[str, Any], blobs: dict[str, bytes]) -> Projection:
        rec = super().from_dict(data, blobs)
        assert isinstance(rec, Projection)
        if "sprite" in blobs and data.get("sprite_layout"):
            rec.thumbnails = split_sprite(blobs["sprite"], data["sprite_layout"])
        return rec

    def _colors(self) -> tuple[np.ndarray, list[tuple[str, Any]]]:
        """Per-point colour index and the legend entries for ``color_by``."""
        if self.color_by not in COLOR_BY:
            raise ValueError(f"color_by must be one of {COLOR_BY}, got {self.color_by!r}")
        if self.color_by != "label" and self.predictions is None:
            raise ValueError(f"color_by={self.color_by!r} needs predictions (pass model= or predictions= to project)")
        k = len(self.class_names)
        if self.color_by == "correct":
            ok = (np.asarray(self.predictions) == self.labels).astype(int)
            return 1 - ok, [(f"correct ({ok.sum():,})", "tab:green"), (f"wrong ({(1 - ok).sum():,})", "tab:red")]
        values = self.labels if self.color_by == "label" else self.predictions
        return np.asarray(values), list(zip(self.class_names, class_colors(k)))

    def figure(self, *, thumbnails: int = 30) -> Any:
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D

        which, legend = self._colors()
        palette = [c for _, c in legend]
        from matplotlib.colors import to_rgba

        rgba = np.array([to_rgba(c) for c in palette])[np.clip(which, 0, len(palette) - 1)]
        three = self.coords.shape[1] == 3
        fig = Figure(figsize=(7.5, 6.5))
        ax = fig.add_subplot(projection="3d" if three else None)
        size = float(np.clip(5000 / max(1, len(self.coords)), 0.5, 16))
        style: dict[str, Any] = {"c": rgba, "s": size, "linewidths": 0, "alpha": 0.8}
        if three:
            ax.scatter(self.coords[:, 0], self.coords[:, 1], self.coords[:, 2], **style)
        else:
            ax.scatter(self.coords[:, 0], self.coords[:, 1], **style)
        if not three and self.thumbnails is not None and thumbnails:
            self._draw_thumbnails(ax, thumbnails)
        handles = [Line2D([], [], marker="o", ls="", color=c, label=n) for n, c in legend]
        ax.legend(handles=handles, fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5),
                  title=self.color_by, title_fontsize=8)
        ax.set_title(self.title, fontsize=9)
        if not three:
            ax.set_xticks([])
            ax.set_yticks([])
        fig.tight_layout()
        return fig

    def _draw_thumbnails(self, ax: Any, count: int) -> None:
        """Thumbnails of well-spread points (greedy, no two closer than 1/12 of the view)."""
        from matplotlib.offsetbox import AnnotationBbox, OffsetImage

        lo, hi = self.coords.min(0), self.coords.max(0)
        xy = (self.coords - lo) / np.where(hi > lo, hi - lo, 1)
        chosen: list[int] = []
        for i in np.random.default_rng(0).permutation(len(xy)):
            if not chosen or np.min(np.sum((xy[chosen] - xy[i]) ** 2, 1)) > (1 / 12) ** 2:
                chosen.append(int(i))
                if len(chosen) >= count:
                    break
        assert self.thumbnails is not None
        zoom = 24 / max(self.thumbnails.shape[2], 1)
        for i in chosen:
            img = self.thumbnail(i)
            grey = img.shape[2] == 1
            box = OffsetImage(img[:, :, 0] if grey else img, cmap="gray" if grey else None, zoom=zoom)
            xy = (float(self.coords[i, 0]), float(self.coords[i, 1]))
            ax.add_artist(AnnotationBbox(box, xy, frameon=True, pad=0.05,
                                         bboxprops={"edgecolor": "0.6", "linewidth": 0.5}))

    def _repr_html_(self) -> str:
        info = [[k, v] for k, v in self.params.items()] + [["points", len(self.coords)]]
        return card(self.title, self.figure(), table(["parameter", "value"], info))
