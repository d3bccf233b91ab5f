"""Turning what users log into storable media: images (PNG, batches as a grid) and histograms.

The work is split in two so the training loop pays little: ``prepare_*`` runs on the caller's
thread (validation with clear errors, and a private copy of the data, taken without a host sync
for CUDA histograms), ``encode_*``/``compute_*`` run on the background writer thread.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import torch

__all__ = ["compute_histogram", "encode_image", "given_histogram", "make_grid", "prepare_histogram", "prepare_image"]

_CHANNELS = (1, 3, 4)


def _describe(x: Any) -> str:
    shape = tuple(getattr(x, "shape", ()))
    return f"{type(x).__name__} of shape {shape} and dtype {getattr(x, 'dtype', '?')}"


def prepare_image(image: Any, name: str = "image") -> np.ndarray:
    """Validate an image or batch and return a private NHWC numpy copy (any dtype).

    Accepts torch tensors (HW, CHW, NCHW), numpy arrays (HW, HWC, CHW, NHWC, NCHW) and PIL images.
    """
    from PIL import Image

    if isinstance(image, Image.Image):
        arr = np.array(image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB"))
        return arr[None]
    if isinstance(image, torch.Tensor):
        is_torch = True
        if image.is_complex() or not (image.dtype.is_floating_point or image.dtype in
                                      (torch.uint8, torch.bool, torch.int8, torch.int16, torch.int32, torch.int64)):
            raise TypeError(f"{name}: unsupported dtype {image.dtype}; "
                            f"pass a float tensor in [0, 1] or uint8 in [0, 255]")
        cpu = image.detach().to("cpu", copy=True)
        if cpu.dtype in (torch.float16, torch.bfloat16):
            cpu = cpu.float()
        arr = cpu.numpy()
    elif isinstance(image, np.ndarray):
        is_torch = False
        if image.dtype.kind not in "biuf":
            raise TypeError(f"{name}: unsupported dtype {image.dtype}; pass floats in [0, 1] or uint8 in [0, 255]")
        arr = np.array(image, copy=True)
    else:
        raise TypeError(f"{name} must be a torch.Tensor, numpy.ndarray or PIL.Image, got {type(image).__name__}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty ({_describe(image)})")
    if arr.ndim == 2:
        return arr[None, :, :, None]
    if arr.ndim == 3:
        channels_first = arr.shape[0] in _CHANNELS and (is_torch or arr.shape[2] not in _CHANNELS)
        if channels_first:
            return arr.transpose(1, 2, 0)[None]
        if arr.shape[2] in _CHANNELS:
            return arr[None]
    if arr.ndim == 4:
        if arr.shape[1] in _CHANNELS and (is_torch or arr.shape[3] not in _CHANNELS):
            return arr.transpose(0, 2, 3, 1)
        if arr.shape[3] in _CHANNELS:
            return arr
    raise ValueError(
        f"{name} has an impossible shape for an image: {_describe(image)}. Accepted: HW, CHW or HWC "
        f"(C = 1, 3 or 4), or a batch NCHW/NHWC (shown as a grid)."
    )


def _to_uint8(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if arr.dtype.kind in "iu":
        if arr.min() >= 0 and arr.max() <= 255:
            return arr.astype(np.uint8)
        arr = arr.astype(np.float64)
    arr = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0.0 or hi > 1.0:  # not in [0, 1]: stretch the batch's range to [0, 1]
        arr = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
    return np.clip(arr * 255.0 + 0.5, 0, 255).astype(np.uint8)


def make_grid(batch: np.ndarray, nrow: int | None = None, padding: int = 2) -> np.ndarray:
    """Tile an NHWC batch into one HWC image (about square), with ``padding`` px gaps."""
    n, h, w, c = batch.shape
    if n == 1:
        return batch[0]
    cols = nrow or int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    fill = 255 if c == 4 else 0
    grid = np.full((rows * (h + padding) + padding, cols * (w + padding) + padding, c), fill, batch.dtype)
    if c == 4:
        grid[..., 3] = 0
    for i in range(n):
        r, col = divmod(i, cols)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        grid[y:y + h, x:x + w] = batch[i]
    return grid


def encode_image(batch: np.ndarray, nrow: int | None = None) -> tuple[bytes, int, int]:
    """PNG bytes (and width, height) of an NHWC batch from :func:`prepare_image`."""
    from PIL import Image

    img = make_grid(_to_uint8(batch), nrow=nrow)
    if img.shape[2] == 1:
        img = img[:, :, 0]
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", compress_level=3)
    return buf.getvalue(), int(img.shape[1]), int(img.shape[0])


def prepare_histogram(values: Any, bins: int, name: str = "values") -> Any:
    """Validate and take a private copy of histogram input (a flat float tensor on the CPU).

    CUDA tensors are binned on the device instead, without a host sync.
    """
    if not isinstance(bins, int) or isinstance(bins, bool) or not 1 <= bins <= 10000:
        raise ValueError(f"bins must be an int between 1 and 10000, got {bins!r}")
    if isinstance(values, (list, tuple)):
        values = np.asarray(values)
    if isinstance(values, np.ndarray):
        if values.dtype.kind not in "biuf":
            raise TypeError(f"{name}: histograms need real numbers, got dtype {values.dtype}")
        dtype = np.float32 if values.dtype == np.float32 else np.float64
        return torch.from_numpy(np.array(values, dtype=dtype, copy=True).reshape(-1))
    if isinstance(values, torch.Tensor):
        if values.is_complex() or values.dtype == torch.bool:
            raise TypeError(f"{name}: histograms need real numbers, got dtype {values.dtype}")
        t = values.detach().reshape(-1)
        if t.is_cuda:
            return _device_histogram(t, bins)
        if t.dtype in (torch.float32, torch.float64):
            return t.to("cpu", copy=True)
        return t.to(torch.float64)  # ints and half floats: a converted copy
    raise TypeError(f"{name} must be a torch.Tensor, numpy.ndarray or list of numbers, got {type(values).__name__}")


def given_histogram(edges: Any, counts: Any, stats: Any = None) -> tuple[Any, ...]:
    """Validate a histogram binned by the caller: ``("given", lo, hi, counts, stats)`` with the edges in stats.

    ``edges``: ``len(counts) + 1`` finite, non-decreasing numbers; ``counts``: finite and >= 0;
    ``stats`` (count, min, max, mean, std, sum, ...) default to what the bins say (mid-points).
    """
    e = np.array(edges.detach().cpu() if isinstance(edges, torch.Tensor) else edges, dtype=np.float64).reshape(-1)
    c = np.array(counts.detach().cpu() if isinstance(counts, torch.Tensor) else counts, dtype=np.float64).reshape(-1)
    if len(c) < 1 or len(e) != len(c) + 1:
        raise ValueError(f"a histogram needs len(edges) == len(counts) + 1 >= 2, got {len(e)} edges and {len(c)} "
                         f"counts")
    if not (np.isfinite(e).all() and np.isfinite(c).all()) or np.any(np.diff(e) < 0) or np.any(c < 0):
        raise ValueError("histogram edges must be finite and non-decreasing, counts finite and >= 0")
    mids = (e[:-1] + e[1:]) / 2
    n = float(c.sum())
    mean = float(np.dot(mids, c) / n) if n else float("nan")
    var = float(np.dot((mids - mean) ** 2, c) / n) if n else float("nan")
    out = {"count": n, "min": float(e[0]), "max": float(e[-1]), "mean": mean, "std": math.sqrt(var) if n else var,
           "sum": float(np.dot(mids, c)), "nan": 0.0, "inf": 0.0, "-inf": 0.0}
    for name, value in dict(stats or {}).items():
        out[str(name)] = float(value)
    out["edges"] = e.tolist()  # type: ignore[assignment]  # the store keeps uneven edges in stats
    return ("given", float(e[0]), float(e[-1]), c, out)


def _device_histogram(t: torch.Tensor, bins: int) -> tuple[Any, ...]:
    """Bin on the GPU without a host sync; the writer waits on the returned CUDA event."""
    x = t.float()
    finite = torch.isfinite(x)
    bad = ~finite
    fx = x.masked_fill(bad, 0.0)  # fills, never a host-to-device copy: no sync
    lo = x.masked_fill(bad, float("inf")).min()
    hi = x.masked_fill(bad, float("-inf")).max()
    width = torch.clamp(hi - lo, min=1e-12)
    idx = ((fx - lo) / width * bins).long().clamp_(0, bins - 1)
    counts = torch.zeros(bins, device=x.device, dtype=torch.float64).index_add_(
        0, idx, finite.to(torch.float64))
    stats = torch.stack([
        lo.double(), hi.double(), finite.sum().double(), fx.double().sum(), (fx.double() ** 2).sum(),
        torch.isnan(x).sum().double(), (x == float("inf")).sum().double(), (x == float("-inf")).sum().double(),
    ])
    counts_h = counts.to("cpu", non_blocking=True)
    stats_h = stats.to("cpu", non_blocking=True)
    event = torch.cuda.Event()
    event.record()
    return ("cuda", counts_h, stats_h, event)


def compute_histogram(prepared: Any, bins: int) -> tuple[float, float, np.ndarray, dict[str, float]]:
    """(lo, hi, counts, stats) from what :func:`prepare_histogram` (or :func:`given_histogram`) returned."""
    if isinstance(prepared, tuple) and prepared and prepared[0] == "given":
        return prepared[1], prepared[2], prepared[3], prepared[4]
    if isinstance(prepared, tuple) and prepared and prepared[0] == "cuda":
        _, counts_t, stats_t, event = prepared
        event.synchronize()
        lo, hi, n, s, s2, nan, pinf, ninf = stats_t.tolist()
        counts = counts_t.numpy().astype(np.float64)
        if n and hi <= lo:  # one distinct value: put it in the middle bin, as numpy does below
            counts = np.zeros(bins)
            counts[bins // 2] = n
    else:
        x = prepared
        finite = torch.isfinite(x)
        nan = pinf = ninf = 0.0
        if not bool(finite.all()):
            nan = float(torch.isnan(x).sum())
            pinf = float((x == float("inf")).sum())
            ninf = float((x == float("-inf")).sum())
            x = x[finite]
        n = float(x.numel())
        lo, hi = (float(v) for v in torch.aminmax(x)) if n else (0.0, 0.0)
        s = float(torch.sum(x, dtype=torch.float64))
        xd = x.double()
        s2 = float(torch.dot(xd, xd))
        rlo, rhi = (lo, hi) if hi > lo else (lo - 0.5, lo + 0.5)
        counts = torch.histc(x, bins=bins, min=rlo, max=rhi).double().numpy() if n else np.zeros(bins)
    vmin, vmax = (lo, hi) if n else (float("nan"), float("nan"))
    if n == 0:
        lo, hi = 0.0, 0.0
    if hi <= lo:  # one value: a bin of width 1 around it
        lo, hi = lo - 0.5, hi + 0.5
    mean = s / n if n else float("nan")
    var = max(s2 / n - mean * mean, 0.0) if n else float("nan")
    stats = {"count": n, "min": vmin, "max": vmax, "mean": mean, "std": math.sqrt(var) if n else float("nan"),
             "sum": s, "nan": nan, "inf": pinf, "-inf": ninf}
    return lo, hi, counts, stats
