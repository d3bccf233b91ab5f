"""JSON and binary encodings of API answers.

JSON has no NaN or infinity, so every non-finite float travels as one of the strings ``"NaN"``,
``"Infinity"``, ``"-Infinity"`` (in numeric fields only; the web client turns them back into
numbers). Columnar series can also travel as a compact binary frame (``format=bin``): a 4-byte
little-endian header length, a JSON header, zero padding to a multiple of 8, then float64 columns.

Example::

    JSONResponse(jsonable({"value": np.array([1.0, np.nan])}))  # {"value": [1.0, "NaN"]}
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import numpy as np
from starlette.responses import Response

__all__ = ["JSON", "binary_frame", "column", "dumps", "jsonable"]

_NONFINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def _float(x: float) -> Any:
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else _NONFINITE[x]


def column(arr: np.ndarray) -> list[Any]:
    """A numpy column as a JSON-safe list: ``column(np.array([1.0, np.inf]))`` -> ``[1.0, "Infinity"]``."""
    out = arr.tolist()
    if arr.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(arr))
        for i in bad.tolist():
            out[i] = _float(out[i])
    return out


def jsonable(obj: Any) -> Any:
    """Any nesting of dicts, lists, numpy arrays and numbers made JSON-safe: ``jsonable({"a": nan})``."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return column(obj)
    if isinstance(obj, (float, np.floating)):
        return _float(float(obj))
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def dumps(obj: Any) -> bytes:
    """Strict, compact JSON of :func:`jsonable` ``obj``: ``dumps({"a": [1.0, nan]})`` -> ``b'{"a":[1.0,"NaN"]}'``."""
    return json.dumps(jsonable(obj), allow_nan=False, separators=(",", ":")).encode()


class JSON(Response):
    """A JSON response that is strict JSON (no bare NaN): ``return JSON({"runs": [...]})``."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def binary_frame(header: dict[str, Any], columns: list[np.ndarray]) -> memoryview:
    """Header + float64 columns in one buffer: ``bytes(binary_frame({"n": 2}, [np.arange(2.0)]))``.

    Each column is copied once, into one buffer allocated up front (a chart over 100 runs is a 6 MB
    frame: a copy per column and another to join them cost more than reading the cached series);
    the frame is a view of that buffer, which a response sends as it is.
    """
    head = json.dumps(jsonable(header), allow_nan=False).encode()
    pad = (-(4 + len(head))) % 8
    start = 4 + len(head) + pad
    out = np.empty(start + 8 * sum(len(c) for c in columns), np.uint8)
    out[:start] = np.frombuffer(struct.pack("<I", len(head) + pad) + head + b" " * pad, np.uint8)
    at = start
    for c in columns:
        out[at:at + 8 * len(c)].view("<f8")[:] = c
        at += 8 * len(c)
    return out.data
