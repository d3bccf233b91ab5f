"""Planes of a stored volume, for the dashboard, the report, the notebook and matplotlib.

The wire format (``TSV1``) carries one plane or a whole downsampled volume of every layer the
record has: ``b"TSV1"``, a little-endian uint32 header length, a JSON header (padded to 8 bytes),
then each layer's C-order little-endian array at its ``offset``. The image travels as uint16 over
the volume's [min, max] (``value = lo + q * (hi - lo) / 65535``), so the browser applies any
window without asking again; label maps as their class ids; the heat map as uint8.

A plane is cut from RAS+ voxels: axial ``v[:, :, z]`` (shape X x Y), coronal ``v[:, y, :]``
(X x Z), sagittal ``v[x, :, :]`` (Y x Z). :func:`display_plane` turns one into what the viewer shows
(radiological: rows from anterior or superior down, the subject's right on the left).
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

from .record import PLANES, Volume

__all__ = ["MAGIC", "decode", "display_plane", "index_entry", "plane_index", "slice_bytes", "volume_bytes"]

MAGIC = b"TSV1"
_AXIS = {"sagittal": 0, "coronal": 1, "axial": 2}
LAYERS = ("labels", "pred", "heat")


def plane_index(rec: Volume, plane: str, index: int | None) -> int:
    """``index`` checked against the plane's axis (the middle slice when None)."""
    if plane not in _AXIS:
        raise ValueError(f"plane must be one of {', '.join(PLANES)}; got {plane!r}")
    n = int(rec.shape[1 + _AXIS[plane]])
    if index is None:
        return n // 2
    if not 0 <= int(index) < n:
        raise IndexError(f"{plane} slice {index} is outside 0..{n - 1}")
    return int(index)


def _layer(rec: Volume, layer: str, t: int) -> np.ndarray:
    if layer == "image":
        if not 0 <= t < rec.shape[0]:
            raise IndexError(f"t={t} is outside 0..{rec.shape[0] - 1}")
        return rec.image[t]
    arr = getattr(rec, layer, None) if layer in LAYERS else None
    if arr is None:
        raise KeyError(f"the volume has no {layer!r} layer")
    return arr  # type: ignore[no-any-return]


def _cut(v: np.ndarray, plane: str, index: int) -> np.ndarray:
    # basic indexing, a view: np.take would first copy a whole Fortran-ordered volume (NIfTI's) into C order
    return np.ascontiguousarray(v[(slice(None),) * _AXIS[plane] + (index,)])


def display_plane(rec: Volume, plane: str, index: int | None = None, t: int = 0, layer: str = "image") -> np.ndarray:
    """The plane as displayed: rows top to bottom, columns left to right (radiological convention)."""
    cut = _cut(_layer(rec, layer, t), plane, plane_index(rec, plane, index))
    return np.ascontiguousarray(cut[::-1, ::-1].T)  # every plane: both axes descending, the second as rows


def display_extent(rec: Volume, plane: str) -> tuple[float, float]:
    """(width, height) in millimetres of a displayed plane."""
    sx, sy, sz = rec.spacing
    nx, ny, nz = rec.shape[1:]
    return {"axial": (nx * sx, ny * sy), "coronal": (nx * sx, nz * sz), "sagittal": (ny * sy, nz * sz)}[plane]


def _quantize(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    if hi <= lo:
        return np.zeros(a.shape, np.uint16)
    q = (a.astype(np.float32) - np.float32(lo)) * np.float32(65535.0 / (hi - lo))
    return np.clip(np.rint(q), 0, 65535).astype("<u2")


def _pack(header: dict[str, Any], layers: list[tuple[dict[str, Any], np.ndarray]]) -> bytes:
    specs = [spec for spec, _ in layers]
    header = {**header, "layers": specs}
    # offsets depend on the header's length, which depends on the offsets' digits: settle it in two passes
    for _ in range(3):
        text = json.dumps(header).encode()
        start = 8 + len(text)
        start += -start % 8
        offset = start
        for spec, arr in layers:
            spec["offset"] = offset
            offset += arr.nbytes + (-arr.nbytes % 8)
        if len(json.dumps(header).encode()) == len(text):
            break
    text = json.dumps(header).encode()
    text += b" " * (-(8 + len(text)) % 8)
    parts = [MAGIC, struct.pack("<I", len(text)), text]
    for _spec, arr in layers:
        data = np.ascontiguousarray(arr).tobytes()
        parts += [data, b"\0" * (-len(data) % 8)]
    out = b"".join(parts)
    return out


def _layers(rec: Volume, cut: Any) -> list[tuple[dict[str, Any], np.ndarray]]:
    lo, hi = float(rec.stats.get("min", 0.0)), float(rec.stats.get("max", 1.0))
    out: list[tuple[dict[str, Any], np.ndarray]] = []
    image = cut("image")
    out.append(({"name": "image", "dtype": "uint16", "lo": lo, "hi": hi}, _quantize(image, lo, hi)))
    for name in LAYERS:
        if getattr(rec, name) is None:
            continue
        arr = cut(name)
        if name == "heat":
            out.append(({"name": "heat", "dtype": "uint8", "signed": bool(rec.heat_signed)}, arr.astype(np.uint8)))
        else:
            dt = "uint8" if arr.dtype == np.uint8 else "uint16"
            out.append(({"name": name, "dtype": dt}, arr.astype("<u1" if dt == "uint8" else "<u2")))
    return out


def _stride(shape: tuple[int, ...], most: int) -> int:
    return max(1, -(-max(shape) // max(1, most)))


def slice_bytes(rec: Volume, plane: str, index: int | None, t: int = 0, max_px: int = 512) -> bytes:
    """One plane of every layer, downsampled by one integer stride so its longer side is at most ``max_px``."""
    idx = plane_index(rec, plane, index)
    _layer(rec, "image", t)  # t checked
    ax = _AXIS[plane]
    full = tuple(int(s) for i, s in enumerate(rec.shape[1:]) if i != ax)
    k = _stride(full, max_px)

    def cut(layer: str) -> np.ndarray:
        return _cut(_layer(rec, layer, t), plane, idx)[::k, ::k]

    layers = _layers(rec, cut)
    shape = list(layers[0][1].shape)
    return _pack({"shape": shape, "stride": [k, k], "plane": plane, "index": idx, "t": t}, layers)


def volume_bytes(rec: Volume, t: int = 0, max_size: int = 128) -> bytes:
    """The whole volume at ``t``, every layer, downsampled so its longest axis is at most ``max_size``."""
    _layer(rec, "image", t)
    k = _stride(tuple(rec.shape[1:]), max_size)

    def cut(layer: str) -> np.ndarray:
        return _layer(rec, layer, t)[::k, ::k, ::k]

    layers = _layers(rec, cut)
    return _pack({"shape": list(layers[0][1].shape), "stride": [k, k, k], "t": t}, layers)


def decode(data: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and layers of a ``TSV1`` buffer (what the browser does, for tests and tools)."""
    if data[:4] != MAGIC:
        raise ValueError("not a TSV1 buffer")
    (n,) = struct.unpack("<I", data[4:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for spec in header["layers"]:
        dt = np.dtype("<u2" if spec["dtype"] == "uint16" else "<u1")
        size = int(np.prod(header["shape"])) * dt.itemsize
        out[spec["name"]] = np.frombuffer(data, dt, count=size // dt.itemsize,
                                          offset=spec["offset"]).reshape(header["shape"])
    return header, out


_INDEX_FIELDS = ("title", "shape", "spacing", "affine", "source_axes", "dtype", "t_kind", "t_names", "stats",
                 "histogram", "presets", "window", "modality", "classes", "dice", "heat_signed", "heat_method",
                 "focus")


def index_entry(rec: Volume | dict[str, Any], key: str, step: int) -> dict[str, Any]:
    """What the viewer needs to know of one volume, from the record or its stored JSON alone (no voxels)."""
    data = rec if isinstance(rec, dict) else {f: getattr(rec, f) for f in _INDEX_FIELDS} | {
        n: getattr(rec, n) is not None for n in LAYERS}
    out = {"key": key, "step": step}
    for f in _INDEX_FIELDS:
        out[f] = data.get(f)
    for n in LAYERS:
        out[f"has_{n}"] = bool(data.get(n))
    return out
