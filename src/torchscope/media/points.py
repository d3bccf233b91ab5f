"""Point clouds and meshes (``media.mesh``, TensorBoard's mesh layout): vertices, optional faces and colours.

The dashboard draws them in 3-D with three.js (orbit, zoom); the static report, low-end phones and
``figure()`` get :func:`project_png`: an orthographic view from a given azimuth and elevation,
painted far to near (points as squares, triangles flat-shaded by the angle of their normal to the
view, Lambert's cosine law).

Fields: ``vertices`` ``B x N x 3`` float32, ``faces`` ``B x F x 3`` int32 or None, ``colors``
``B x N x 3`` uint8 or None, ``config`` (TensorBoard's three.js ``config_dict``, kept as given).

Example::

    rec = Points(vertices=xyz[None].astype(np.float32))
    png = project_png(rec, azimuth=30, elevation=20, size=256)
"""

from __future__ import annotations

import dataclasses
import html
import io
import math
from typing import Any, ClassVar

import numpy as np

from ..records import Record, register_record

__all__ = ["Points", "project_png", "view_matrix"]

GREY = (140, 160, 190)


@register_record
@dataclasses.dataclass
class Points(Record):
    """A point cloud (no ``faces``) or a triangle mesh, ``B`` of them (TensorBoard's batch)."""

    kind: ClassVar[str] = "media.mesh"
    vertices: np.ndarray
    faces: np.ndarray | None = None
    colors: np.ndarray | None = None
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    caption: str | None = None

    def __getitem__(self, name: str) -> Any:
        """Field access as on TensorBoard's generic records: ``rec["vertices"]``."""
        return getattr(self, name)

    def to_dict(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        """The fields, plus what a listing shows without loading the arrays (``points``, ``triangles``,
        ``bounds``; rebuilt from the arrays, never read back)."""
        data, blobs = super().to_dict()
        low, high = self.bounds()
        data.update(batch=int(self.vertices.shape[0]), points=int(self.vertices.shape[1]),
                    triangles=int(self.faces.shape[1]) if self.faces is not None and self.faces.size else 0,
                    bounds=[low, high])
        return data, blobs

    @property
    def is_mesh(self) -> bool:
        """True when it has faces."""
        return self.faces is not None and self.faces.size > 0

    def bounds(self) -> tuple[list[float], list[float]]:
        """(lowest, highest) corner of the vertices' box."""
        v = self.vertices.reshape(-1, 3)
        if not len(v):
            return [0.0] * 3, [0.0] * 3
        return v.min(0).tolist(), v.max(0).tolist()

    def figure(self) -> Any:
        """Three views (front, side, top) and one at an angle, as :func:`project_png` draws them."""
        from matplotlib.figure import Figure
        from PIL import Image

        fig = Figure(figsize=(8, 2.3))
        for i, (az, el, name) in enumerate(((30, 20, "30°, 20°"), (0, 0, "front"), (90, 0, "side"), (0, 90, "top"))):
            ax = fig.add_subplot(1, 4, i + 1)
            ax.imshow(np.asarray(Image.open(io.BytesIO(project_png(self, azimuth=az, elevation=el, size=240)))))
            ax.set_title(name, fontsize=8)
            ax.axis("off")
        return fig

    def _repr_html_(self) -> str:
        """An orbit view on a canvas (drag to turn, wheel to zoom), the projection as a still image."""
        from ._html import points_player

        return points_player(self, title=html.escape(self.caption or ("mesh" if self.is_mesh else "point cloud")))


def view_matrix(azimuth: float, elevation: float) -> np.ndarray:
    """The 3 x 3 rotation of a camera turned ``azimuth`` degrees about y and tipped ``elevation`` about x
    (rows: screen right, screen up, towards the viewer)."""
    a, e = math.radians(azimuth), math.radians(elevation)
    turn = np.array([[math.cos(a), 0, -math.sin(a)], [0, 1, 0], [math.sin(a), 0, math.cos(a)]])
    tip = np.array([[1, 0, 0], [0, math.cos(e), -math.sin(e)], [0, math.sin(e), math.cos(e)]])
    return tip @ turn


def project_png(rec: Points, *, azimuth: float = 30.0, elevation: float = 20.0, size: int = 320,
                batch: int = 0) -> bytes:
    """An orthographic view of ``rec.vertices[batch]`` as a ``size`` x ``size`` PNG (dark background)."""
    from PIL import Image, ImageDraw

    v = np.asarray(rec.vertices[batch], np.float64)
    img = Image.new("RGB", (size, size), (22, 24, 30))
    if len(v):
        centre = (v.max(0) + v.min(0)) / 2
        radius = float(np.linalg.norm(v - centre, axis=1).max()) or 1.0
        p = (v - centre) @ view_matrix(azimuth, elevation).T
        scale = (size / 2 - 6) / radius
        xy = np.stack([size / 2 + p[:, 0] * scale, size / 2 - p[:, 1] * scale], 1)
        colors = rec.colors[batch].astype(np.int64) if rec.colors is not None else None
        draw = ImageDraw.Draw(img)
        if rec.faces is not None and rec.faces[batch].size:
            _triangles(draw, xy, p, rec.faces[batch], colors)
        else:
            _dots(draw, xy, p, colors, max(1, round(size / 160)))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _dots(draw: Any, xy: np.ndarray, p: np.ndarray, colors: np.ndarray | None, r: int) -> None:
    order = np.argsort(p[:, 2])  # far first
    if len(order) > 200_000:
        order = order[:: len(order) // 200_000 + 1]
    zs = p[:, 2]
    span = float(zs.max() - zs.min()) or 1.0
    for i in order:
        shade = 0.55 + 0.45 * (zs[i] - zs.min()) / span  # nearer is brighter
        c = colors[i] if colors is not None else GREY
        x, y = xy[i]
        draw.rectangle((x - r, y - r, x + r, y + r), fill=tuple(int(ch * shade) for ch in c[:3]))


def _triangles(draw: Any, xy: np.ndarray, p: np.ndarray, faces: np.ndarray, colors: np.ndarray | None) -> None:
    f = faces.astype(np.int64)
    a, b, c = p[f[:, 0]], p[f[:, 1]], p[f[:, 2]]
    normal = np.cross(b - a, c - a)
    length = np.linalg.norm(normal, axis=1)
    light = np.abs(normal[:, 2]) / np.where(length > 0, length, 1)  # two-sided
    order = np.argsort(a[:, 2] + b[:, 2] + c[:, 2])  # far first (painter's algorithm)
    for i in order:
        base = colors[f[i]].mean(0) if colors is not None else np.array(GREY)
        shade = 0.25 + 0.75 * light[i]
        draw.polygon([tuple(xy[j]) for j in f[i]], fill=tuple(int(ch * shade) for ch in base[:3]))
