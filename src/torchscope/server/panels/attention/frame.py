"""The Attention panel's binary answer: attention weights as uint8 planes, never the tensor as JSON.

**Planes frame** (``application/octet-stream``): a little-endian uint32 header length, a JSON
header, zero padding to a multiple of 8 bytes, then ``planes x rows x cols`` uint8 values, plane after
plane, row-major. Each plane is scaled to its own maximum: value ``v`` of plane ``p`` is the
weight ``v / 255 * max[p]`` (a step of at most 0.4% of that maximum; a line of the head view is
drawn from 1% of full weight). The header::

    {"planes": P, "rows": R, "cols": C, "max": [P floats], "names": [P strings],
     "block": [fy, fx], "window": [q0, q1, k0, k1], ...}

``block``: each value is the maximum over ``fy x fx`` weights (1 x 1: exact); ``window``: the
queries ``q0:q1`` and keys ``k0:k1`` the planes cover. A 2,048-token map at 1,024 a side is 1 MB
(4.2 MB at full size), where its weights as JSON numbers of 4 decimals are 21 MB or more.

Example::

    body = planes_frame(np.random.rand(3, 8, 8), names=["h0", "h1", "mean"], block=(1, 1), window=(0, 8, 0, 8))
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["planes_frame", "quantize"]


def quantize(planes: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """``P x R x C`` floats -> (uint8 values, each plane's maximum): ``quantize(maps)``."""
    p = np.nan_to_num(np.asarray(planes, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    p = np.maximum(p, 0.0)
    top = p.reshape(len(p), -1).max(axis=1, initial=0.0) if p.size else np.zeros(len(p), np.float32)
    safe = np.where(top > 0, top, 1.0).astype(np.float32)
    values = np.rint(p * (255.0 / safe)[:, None, None]).astype(np.uint8)
    return values, [float(t) for t in top]


def planes_frame(planes: np.ndarray, *, names: Sequence[str], block: tuple[int, int],
                 window: tuple[int, int, int, int], **extra: Any) -> bytes:
    """The frame of ``P x R x C`` weights (see the module doc); ``extra`` goes into the header."""
    values, top = quantize(planes)
    n, rows, cols = values.shape
    header = {"planes": int(n), "rows": int(rows), "cols": int(cols), "max": top, "names": list(names),
              "block": list(block), "window": list(window), **extra}
    text = json.dumps(header, separators=(",", ":")).encode()
    head = len(text).to_bytes(4, "little") + text
    return head + bytes(-len(head) % 8) + values.tobytes()
