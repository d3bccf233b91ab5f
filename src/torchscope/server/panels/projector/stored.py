"""A projection's parts read from the store as they are, without rebuilding the record.

Rebuilding a ``data.projection`` decodes its thumbnails' sprite sheet: for 70,000 MNIST digits a
7,420-pixel-square PNG, 0.5-1.5 s on a busy machine. The projector's first answers (the list of
sources, the points) need none of it: the record's JSON part says what it holds, and its column
blobs (``coords``, ``labels``, ``predictions``, ``indices``: npy arrays of a few hundred kB) are
read one by one through the provider. Only the thumbnail pages rebuild the whole record (kept by the
provider's cache), and the panel asks for them after the points are drawn.

A projection inside a ``data.profile`` record is child ``part`` of its ``records``; its blob
references already name the profile's blobs (``"<part>/<name>"``, see ``Profile.to_dict``).

Example::

    p = stored_projection(provider, run_id, entry, part=-1); p.array("coords"); p.describe()
"""

from __future__ import annotations

import dataclasses
import struct
from typing import Any

import numpy as np

from ....errors import NotFound
from ....records import _blob_to_array
from ....store.provider import Provider
from ....store.types import RecordEntry
from .frame import PAGE, PAGE_COLUMNS

__all__ = ["StoredProjection", "stored_parts", "stored_projection"]

KIND = "data.projection"
_PNG_CHANNELS = {0: 1, 4: 2, 2: 3, 6: 4}  # PNG colour type -> channels


@dataclasses.dataclass(frozen=True)
class StoredProjection:
    """One projection as stored: its JSON part (``data``) and where its blobs are (``prefix``)."""

    provider: Provider
    run: str
    id: int
    part: int
    data: dict[str, Any]

    def _blob_name(self, name: str) -> str | None:
        ref = self.data.get(name)
        return str(ref["__blob__"]) if isinstance(ref, dict) and "__blob__" in ref else None

    def array(self, name: str) -> np.ndarray | None:
        """The ndarray field ``name`` (``coords``, ``labels``, ...), or None when the record has none."""
        blob = self._blob_name(name)
        if blob is None:
            return None
        return _blob_to_array(self.provider.blob(self.run, self.id, blob))

    def thumbs(self, n: int) -> dict[str, Any] | None:
        """The thumbnail pages' layout (as the panel's ``header.thumbs``), or None without thumbnails."""
        layout = self.data.get("sprite_layout") or {}
        blob = self._blob_name("sprite")
        if blob is None or not layout.get("count"):
            if self._blob_name("thumbnails") is not None:  # not the sprite format: the caller rebuilds the record
                raise ValueError("thumbnails stored as an array")
            return None
        head = self.provider.blob(self.run, self.id, blob)[:26]  # signature, IHDR: width, height, depth, colour type
        if head[12:16] != b"IHDR":
            raise ValueError("the sprite sheet is not a PNG")
        channels = _PNG_CHANNELS[struct.unpack(">B", head[25:26])[0]]
        return {"width": int(layout["thumb_width"]), "height": int(layout["thumb_height"]), "channels": channels,
                "page": PAGE, "page_columns": PAGE_COLUMNS, "pages": -(-n // PAGE)}

    def describe(self, coords: np.ndarray | None = None) -> dict[str, Any]:
        """What the panel shows about it before the points arrive (``coords`` when already read)."""
        coords = self.array("coords") if coords is None else coords
        if coords is None or coords.ndim != 2:
            raise ValueError("a projection without an N x dims coords array")
        n, dims = coords.shape
        d = self.data
        return {"n": int(n), "dims": int(dims), "method": d.get("method", "pca"), "title": d.get("title", "projection"),
                "class_names": list(d.get("class_names") or []),
                "has_predictions": self._blob_name("predictions") is not None, "color_by": d.get("color_by", "label"),
                "params": d.get("params") or {}, "thumbs": self.thumbs(int(n))}


def stored_parts(entry: RecordEntry) -> list[tuple[int, dict[str, Any]]]:
    """``(part, data)`` of each projection in a listed entry: the entry itself (part -1), or the
    projections among a profile's children (their blob references already name ``"<part>/<name>"``).
    Reads no blob."""
    if entry.kind == KIND:
        return [(-1, entry.data)]
    children = entry.data.get("records") if isinstance(entry.data, dict) else None
    if not isinstance(children, list):
        return []
    return [(i, c["data"]) for i, c in enumerate(children)
            if isinstance(c, dict) and c.get("kind") == KIND and isinstance(c.get("data"), dict)]


def stored_projection(provider: Provider, run: str, entry: RecordEntry, part: int) -> StoredProjection:
    """The projection ``part`` (-1: the record itself) of a listed entry; NotFound when it is not one."""
    for p, data in stored_parts(entry):
        if p == part:
            return StoredProjection(provider, run, entry.id, part, data)
    raise NotFound(f"record #{entry.id} part {part} is not a data.projection")
