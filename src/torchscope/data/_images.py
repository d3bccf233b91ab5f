"""Image helpers shared by the loaders and views: decode files, scale for display, encode PNGs.

Decoding goes through Pillow; every failure becomes a :class:`DataError` naming the file.
Sprite sheets pack many small thumbnails into one PNG (the layout TensorBoard's projector uses).
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

from .dataset import DataError

__all__ = ["IMAGE_EXTENSIONS", "decode_image", "encode_png", "figure_html", "figure_png", "sprite_sheet",
           "to_display"]

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"})


def decode_image(data: bytes | str, where: str, *, mode: str | None = None,
                 size: tuple[int, int] | None = None) -> np.ndarray:
    """Decode one image file (path or bytes) to ``H x W x C`` uint8: ``decode_image(b, "a/0/x.png")``.

    ``mode`` is ``"L"`` or ``"RGB"`` (converted to it); ``size`` is ``(H, W)`` (resized to it).
    """
    from PIL import Image, UnidentifiedImageError

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
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
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
    """One HWC (or HW) uint8 image as PNG bytes: ``encode_png(np.zeros((8, 8, 1), np.uint8))``."""
    from PIL import Image

    arr = to_display(image)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr)).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


def _thumbnails(images: np.ndarray, thumb: int) -> np.ndarray:
    """Shrink NHWC uint8 images so the longer side is at most ``thumb`` (integer box filter)."""
    n, h, w, c = images.shape
    f = max(1, -(-max(h, w) // thumb))
    if f == 1:
        return images
    hh, ww = h // f, w // f
    x = images[:, : hh * f, : ww * f].reshape(n, hh, f, ww, f, c).mean(axis=(2, 4))
    return x.round().astype(np.uint8)


def sprite_sheet(images: np.ndarray, *, thumb: int = 32) -> tuple[bytes, dict[str, int]]:
    """Pack NHWC images into one PNG grid: ``png, layout = sprite_sheet(x)``.

    Thumbnail ``i`` sits at row ``i // layout["columns"]``, column ``i % layout["columns"]``, each
    ``layout["thumb_width"] x layout["thumb_height"]`` pixels.
    """
    x = _thumbnails(to_display(images), thumb)
    n, h, w, c = x.shape
    cols = max(1, int(np.ceil(np.sqrt(n))))
    rows = max(1, -(-n // cols))
    sheet = np.zeros((rows * cols, h, w, c), np.uint8)
    sheet[:n] = x
    sheet = sheet.reshape(rows, cols, h, w, c).transpose(0, 2, 1, 3, 4).reshape(rows * h, cols * w, c)
    png = encode_png(sheet, compress_level=1)
    return png, {"columns": cols, "rows": rows, "thumb_width": w, "thumb_height": h, "count": n}


def figure_png(fig: Any, dpi: int = 100) -> bytes:
    """A matplotlib Figure rendered to PNG bytes: ``figure_png(rec.figure())``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def figure_html(fig: Any, dpi: int = 90) -> str:
    """A Figure as an inline ``<img>`` tag (base64 PNG) for notebook display."""
    data = base64.b64encode(figure_png(fig, dpi)).decode("ascii")
    return f"<img src='data:image/png;base64,{data}' style='max-width:100%'/>"
