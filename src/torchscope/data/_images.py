"""Image helpers shared by the loaders and views: decode files, scale for display, encode PNGs.

Decoding goes through Pillow; every failure becomes a :class:`DataError` naming the file, and so
does an image past Pillow's decompression-bomb cap (``PIL.Image.MAX_IMAGE_PIXELS``, checked from the
header before any pixel is decoded).
Sprite sheets pack many small thumbnails into one PNG (the layout TensorBoard's projector uses).
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from typing import Any

import numpy as np

__all__ = ["IMAGE_EXTENSIONS", "decode_image", "decode_png", "encode_png", "figure_html", "figure_png", "split_sprite",
           "sprite_sheet", "thumbnails", "to_display"]

_COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"})


def decode_image(data: bytes | str, where: str, *, mode: str | None = None,
                 size: tuple[int, int] | None = None) -> np.ndarray:
    """Decode one image file (path or bytes) to ``H x W x C`` uint8: ``decode_image(b, "a/0/x.png")``.

    ``mode`` is ``"L"`` or ``"RGB"`` (converted to it); ``size`` is ``(H, W)`` (resized to it).
    """
    from PIL import Image, UnidentifiedImageError

    from .dataset import DataError  # the loaders' error (they import torch; the dashboard only encodes)

    try:
        with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as img:
            img.load()
            if mode is not None and img.mode != mode:
                img = img.convert(mode)
            elif mode is None and img.mode not in ("L", "RGB"):
                img = img.convert("RGB" if img.mode in ("RGBA", "P", "CMYK", "YCbCr", "LA") else "L")
            if size is not None and (img.height, img.width) != tuple(size):
                img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            arr = np.asarray(img)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:  # the warning when it is an error
        raise DataError(f"{where}: a decompression bomb? ({exc}) Pillow warns above PIL.Image.MAX_IMAGE_PIXELS "
                        f"({Image.MAX_IMAGE_PIXELS:,}) pixels and refuses twice that; if you trust this file, raise "
                        f"it: PIL.Image.MAX_IMAGE_PIXELS = 500_000_000") from exc
    except UnidentifiedImageError as exc:
        raise DataError(f"{where}: cannot read this image (not an image format Pillow knows); remove or replace "
                        f"the file") from exc
    except (OSError, ValueError, SyntaxError, EOFError, struct.error) as exc:
        raise DataError(f"{where}: cannot read this image ({exc}); remove or replace the file") from exc
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return arr[:, :, None] if arr.ndim == 2 else arr


def to_display(images: np.ndarray, value_range: tuple[float, float] | None = None) -> np.ndarray:
    """Images (any dtype, NHWC or HWC) as uint8 for display: ``to_display(x_float01)``.

    uint8 passes through; floats in [0, 1] are scaled by 255; other ranges are stretched
    from ``value_range`` (default: their own min and max) to 0..255.
    """
    x = np.asarray(images)
    if x.dtype == np.uint8:
        return x
    x = x.astype(np.float32, copy=False)
    if value_range is None:
        finite = x[np.isfinite(x)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        value_range = (0.0, 1.0) if lo >= 0.0 and hi <= 1.0 else (lo, hi)
    lo, hi = value_range
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    return np.clip(np.nan_to_num((x - lo) * scale), 0, 255).round().astype(np.uint8)


def encode_png(image: np.ndarray, *, compress_level: int = 6) -> bytes:
    """One HWC (or HW) uint8 image as PNG bytes: ``encode_png(np.zeros((8, 8, 1), np.uint8))``.

    Written directly (PNG spec, W3C 2003: IHDR, one zlib IDAT with filter 0, IEND): for big
    sprite sheets this is about twice as fast as Pillow's encoder with its per-row filters.
    """
    arr = to_display(image)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    h, w, c = arr.shape
    if c not in _COLOR_TYPES:
        raise ValueError(f"encode_png: {c} channels; expected 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA)")
    raw = np.zeros((h, 1 + w * c), np.uint8)  # a leading 0 per row: filter type "None"
    raw[:, 1:] = arr.reshape(h, w * c)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, _COLOR_TYPES[c], 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw.tobytes(), compress_level))
            + chunk(b"IEND", b""))


def decode_png(data: bytes) -> np.ndarray:
    """PNG bytes back to an H x W x C uint8 array: ``decode_png(encode_png(img))``."""
    from PIL import Image

    arr = np.asarray(Image.open(io.BytesIO(data)))
    return arr[:, :, None] if arr.ndim == 2 else arr


def _thumbnails(images: np.ndarray, thumb: int) -> np.ndarray:
    """Shrink NHWC uint8 images so the longer side is at most ``thumb`` (integer box filter)."""
    n, h, w, c = images.shape
    f = max(1, -(-max(h, w) // thumb))
    if f == 1:
        return images
    hh, ww = h // f, w // f
    x = images[:, : hh * f, : ww * f].reshape(n, hh, f, ww, f, c).mean(axis=(2, 4))
    return x.round().astype(np.uint8)


def thumbnails(images: np.ndarray, thumb: int = 32) -> np.ndarray:
    """Images as uint8 thumbnails whose longer side is at most ``thumb``: ``thumbnails(x, 32)``."""
    return _thumbnails(to_display(images), thumb)


def sprite_sheet(thumbs: np.ndarray) -> tuple[bytes, dict[str, int]]:
    """Pack N x h x w x C uint8 thumbnails into one PNG grid: ``png, layout = sprite_sheet(t)``.

    Thumbnail ``i`` sits at row ``i // layout["columns"]``, column ``i % layout["columns"]``, each
    ``layout["thumb_width"] x layout["thumb_height"]`` pixels.
    """
    n, h, w, c = thumbs.shape
    cols = max(1, int(np.ceil(np.sqrt(n))))
    rows = max(1, -(-n // cols))
    sheet = np.zeros((rows * cols, h, w, c), np.uint8)
    sheet[:n] = thumbs
    sheet = sheet.reshape(rows, cols, h, w, c).transpose(0, 2, 1, 3, 4).reshape(rows * h, cols * w, c)
    return encode_png(sheet, compress_level=1), {"columns": cols, "rows": rows, "thumb_width": w,
                                                 "thumb_height": h, "count": n}


def split_sprite(png: bytes, layout: dict[str, int]) -> np.ndarray:
    """The inverse of :func:`sprite_sheet`: the N x h x w x C thumbnails."""
    sheet = decode_png(png)
    cols, rows, h, w = layout["columns"], layout["rows"], layout["thumb_height"], layout["thumb_width"]
    c = sheet.shape[2]
    tiles = sheet.reshape(rows, h, cols, w, c).transpose(0, 2, 1, 3, 4).reshape(rows * cols, h, w, c)
    tiles = tiles[: layout["count"]]
    # the reshape of the transposed sheet is a fresh copy (a contiguous leading slice of it is enough);
    # only a one-row sheet can come back as a view of the decoded, possibly read-only, image
    return tiles.copy() if np.may_share_memory(tiles, sheet) else tiles


def figure_png(fig: Any, dpi: int = 100) -> bytes:
    """A matplotlib Figure rendered to PNG bytes: ``figure_png(rec.figure())``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def figure_html(fig: Any, dpi: int = 90) -> str:
    """A Figure as an inline ``<img>`` tag (base64 PNG) for notebook display."""
    data = base64.b64encode(figure_png(fig, dpi)).decode("ascii")
    return f"<img src='data:image/png;base64,{data}' style='max-width:100%'/>"
