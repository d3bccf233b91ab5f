"""The projector's wire formats: a binary frame of typed columns, and pages of thumbnails.

**Points frame** (``application/octet-stream``): a little-endian uint32 header length, a JSON
header, zero padding to a multiple of 8, then each column's raw little-endian bytes, each padded
to a multiple of 8. The header lists the columns as ``{"name", "dtype", "offset", "length"}``
(``offset`` from the start of the buffer, ``length`` in elements), so the browser wraps them in
typed arrays without copying: 70,000 2-D points are 560 kB of float32 instead of ~1.5 MB of JSON.
Floats travel as ``float32``; integers in the narrowest of ``uint8``, ``uint16`` and ``int32`` that
holds their range (labels of 10 classes: 70 kB instead of 280 kB).

**Thumbnail pages**: the record's thumbnails (from its PNG sprite sheet) re-packed in pages of
``PAGE`` thumbnails, ``PAGE_COLUMNS`` per row, so hovering loads one small PNG at a time instead
of a 55-megapixel sheet. Point ``i`` is on page ``i // PAGE`` at slot ``i % PAGE``.

Example::

    buf = points_frame({"title": "pca"}, [("coords", coords), ("labels", labels)])
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

from ....data._images import encode_png
from ....errors import InvalidArgument
from ...encode import jsonable

__all__ = ["PAGE", "PAGE_COLUMNS", "page_png", "points_frame", "wire_dtype"]

PAGE_COLUMNS = 32
PAGE = PAGE_COLUMNS * PAGE_COLUMNS
WIRE = {"float32": "<f4", "int32": "<i4", "uint16": "<u2", "uint8": "u1"}


def _pad8(n: int) -> int:
    return (-n) % 8


def wire_dtype(arr: np.ndarray) -> str:
    """The frame's dtype for a column: ``float32`` for floats, else the narrowest integer type that holds it."""
    if arr.dtype.kind == "f":
        return "float32"
    if arr.dtype.kind not in "iub":
        raise InvalidArgument(f"a frame column must be numeric, not {arr.dtype}")
    if not arr.size:
        return "uint8"
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= 1 << 16:
        if lo < -(1 << 31) or hi >= 1 << 31:
            raise InvalidArgument("a frame column's integers must fit in int32")
        return "int32"
    return "uint8" if hi < 1 << 8 else "uint16"


def points_frame(header: dict[str, Any], columns: list[tuple[str, np.ndarray]]) -> bytes:
    """Header + typed columns in one buffer (see the module docstring)."""
    arrays = []
    for name, arr in columns:
        arr = np.asarray(arr)
        dtype = wire_dtype(arr)
        arrays.append((name, dtype, np.ascontiguousarray(arr, WIRE[dtype]).ravel()))
    # the offsets depend on the header's length, which holds the offsets: settle it in two passes
    cols: list[dict[str, Any]] = []
    head = b""
    for _ in range(16):  # offsets only grow with the header, so this settles in a few passes
        head = json.dumps(jsonable({**header, "columns": cols}), allow_nan=False, separators=(",", ":")).encode()
        off = 4 + len(head) + _pad8(4 + len(head))
        new = []
        for name, dtype, a in arrays:
            new.append({"name": name, "dtype": dtype, "offset": off, "length": int(a.size)})
            off += a.nbytes + _pad8(a.nbytes)
        if new == cols:
            break
        cols = new
    else:
        raise AssertionError("the frame's header did not settle")
    parts = [struct.pack("<I", len(head)), head, b"\0" * _pad8(4 + len(head))]
    for _, _, a in arrays:
        parts += [a.tobytes(), b"\0" * _pad8(a.nbytes)]
    return b"".join(parts)


def page_png(thumbs: np.ndarray, page: int) -> bytes:
    """Thumbnails ``page * PAGE`` to ``(page + 1) * PAGE - 1`` as one PNG grid, ``PAGE_COLUMNS`` wide."""
    n, h, w, c = thumbs.shape
    chunk = thumbs[page * PAGE:(page + 1) * PAGE]
    if not len(chunk):
        raise InvalidArgument(f"no thumbnail page {page} (there are {-(-n // PAGE)})")
    rows = -(-len(chunk) // PAGE_COLUMNS)
    sheet = np.zeros((rows * PAGE_COLUMNS, h, w, c), np.uint8)
    sheet[:len(chunk)] = chunk
    sheet = sheet.reshape(rows, PAGE_COLUMNS, h, w, c).transpose(0, 2, 1, 3, 4).reshape(rows * h, PAGE_COLUMNS * w, c)
    return encode_png(sheet, compress_level=1)
