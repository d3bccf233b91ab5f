"""The Volumes panel's routes: a run's 3-D volumes, one plane at a time (never the whole volume), and
a whole downsampled volume for the static report and the notebook, which slice it themselves.

Planes and volumes travel in the ``TSV1`` binary format (``torchscope.volume.slicing``): the image
as uint16 over its [min, max] so the browser windows it without asking again, label maps as class
ids, the heat map as uint8. The index comes from the records' JSON parts alone (no voxels read).

Example::

    GET /api/volumes/index?run=a1                                             -> {"volumes": [...]}
    GET /api/volumes/slice?run=a1&key=ct&plane=axial&index=40&t=0&max=400    -> application/octet-stream
    GET /api/volumes/volume.bin?run=a1&key=ct&t=0&max=128                     -> application/octet-stream
"""

from __future__ import annotations

from typing import Any

from ....errors import InvalidArgument, NotFound
from ....volume.slicing import index_entry, plane_index, slice_bytes, volume_bytes
from ...apidoc import RUN, STEP, Param
from ...context import PanelContext
from ...endpoint import Blob, Query, endpoint
from ...params import int_param, one_run, text_param
from ...registry import Panel
from ...shared.records import IMAGE_HEADERS, entries, pick
from .report import report

KIND = "volume"
PLANES = ("axial", "coronal", "sagittal")
BINARY = "application/octet-stream"


def index(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """The run's volume records, with what the viewer needs (shape, spacing, presets, classes, Dice)."""
    rid = one_run(q)
    return {"run": rid, "volumes": [index_entry(e.data, e.key, e.step) for e in entries(ctx.provider, rid, (KIND,))]}


def _t(q: Query, rec: Any) -> int:
    t = int_param(q, "t", 0, 0, 1 << 20)
    if t >= rec.shape[0]:
        raise NotFound(f"no volume t={t}: the record holds {rec.shape[0]} along its 4th axis")
    return t


def slice_bin(ctx: PanelContext, q: Query) -> Blob:
    """One plane (axial, coronal or sagittal) of every layer, at most ``max`` pixels on its longer side."""
    rec = pick(ctx, q, KIND).record
    plane = text_param(q, "plane", "axial")
    if plane not in PLANES:
        raise InvalidArgument(f"plane must be one of {', '.join(PLANES)}, got {plane!r}")
    raw = q.get("index")
    index = None if raw in (None, "") else int_param(q, "index", 0, 0, 1 << 20)
    try:
        index = plane_index(rec, plane, index)
    except IndexError as exc:
        raise NotFound(str(exc)) from None
    most = int_param(q, "max", 512, 8, 4096)
    return Blob(slice_bytes(rec, plane, index, _t(q, rec), most), BINARY, IMAGE_HEADERS)


def volume_bin(ctx: PanelContext, q: Query) -> Blob:
    """The whole volume at ``t``, every layer, its longest axis at most ``max`` voxels (for the report)."""
    rec = pick(ctx, q, KIND).record
    most = int_param(q, "max", 128, 8, 512)
    return Blob(volume_bytes(rec, _t(q, rec), most), BINARY, IMAGE_HEADERS)


ONE = {"run": RUN, "key": Param("record key", required=True), "step": STEP,
       "t": Param("index along the 4th axis (time or channel)", type="integer", minimum=0, maximum=1 << 20)}

PANEL = Panel(
    name="volumes", report=report, title="Volumes", order=61,
    routes=[endpoint("/index", index), endpoint("/slice", slice_bin), endpoint("/volume.bin", volume_bin)],
    api_doc={
        "/index": {"summary": "A run's volumes: shape, spacing, affine, presets, histogram, classes, Dice",
                   "params": {"run": RUN}},
        "/slice": {"summary": "One plane of every layer of a volume (TSV1 binary)", "media": BINARY,
                   "params": {**ONE, "plane": Param("which plane", enum=PLANES),
                              "index": Param("slice index along the plane's axis (default: the middle)",
                                             type="integer", minimum=0, maximum=1 << 20),
                              "max": Param("most pixels on the longer side", type="integer", minimum=8,
                                           maximum=4096)}},
        "/volume.bin": {"summary": "A whole volume, downsampled, every layer (TSV1 binary)", "media": BINARY,
                        "params": {**ONE, "max": Param("most voxels along the longest axis", type="integer",
                                                       minimum=8, maximum=512)}},
    },
)
