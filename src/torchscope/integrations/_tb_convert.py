"""TensorBoard's array conventions, reproduced: what ``torch.utils.tensorboard`` does to an input before storing it.

So that ``from torchscope import SummaryWriter`` stores what TensorBoard would show:

- images: ``dataformats`` any order of ``HW``, ``CHW`` or ``NCHW`` letters; one channel becomes
  three; a batch is tiled as TensorBoard's ``make_grid`` (``min(N, 8)`` columns, no padding,
  black fill); values are multiplied by 255 unless the dtype is ``uint8``, clipped to [0, 255]
  and truncated to ``uint8`` (``torch/utils/tensorboard/summary.py: image``);
- video ``(N, T, C, H, W)``: the batch padded to a power of two and tiled into each frame
  (``_utils._prepare_video``), then scaled as images;
- audio: squeezed to one dimension and clipped to [-1, 1] (``summary.audio``);
- PR curves: ``num_thresholds`` (at most 127) buckets of the predictions, reverse cumulative
  counts (``summary.compute_curve``, after TensorBoard's ``pr_curve`` plugin).

Everything here is numpy on the caller's thread; what it returns is small enough to hand over.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["check_audio", "check_dataformats", "check_video", "clip_audio", "image_hwc_uint8", "make_grid",
           "pr_curve_data", "private_copy", "scale_uint8", "tb_histogram", "to_numpy", "video_frames"]

_LETTERS = {2: "HW", 3: "CHW", 4: "NCHW"}


def to_numpy(x: Any, name: str = "value") -> np.ndarray:
    """A numpy array of a tensor (detached, on the CPU; half floats as float32), an array, a list or a number."""
    import torch

    if isinstance(x, torch.Tensor):
        t = x.detach()
        if t.dtype in (torch.float16, torch.bfloat16):
            t = t.float()
        return t.cpu().numpy()
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (list, tuple)) or np.isscalar(x):
        return np.asarray(x)
    raise TypeError(f"{name} must be a torch.Tensor, numpy.ndarray, list or number, got {type(x).__name__}")


def private_copy(x: Any, arr: np.ndarray) -> np.ndarray:
    """``arr`` (numpy of ``x``) as an array nobody else holds: a copy unless ``x`` was moved off a device."""
    import torch

    if isinstance(x, torch.Tensor) and x.device.type != "cpu" and x.dtype not in (torch.float16, torch.bfloat16):
        return arr  # .cpu() made it already
    return np.array(arr, copy=True)


def check_dataformats(arr: np.ndarray, dataformats: str) -> str:
    """The upper-cased format, or a ValueError naming what is accepted."""
    fmt = str(dataformats).upper()
    if len(set(fmt)) != len(fmt) or len(fmt) not in _LETTERS or set(fmt) != set(_LETTERS[len(fmt)]):
        raise ValueError(f"dataformats must be one of HW, CHW or NCHW with the letters in any order (CHW, HWC, "
                         f"NHWC...), got {dataformats!r}")
    if arr.ndim != len(fmt):
        raise ValueError(f"image has {arr.ndim} dimensions (shape {arr.shape}) but dataformats={dataformats!r} "
                         f"says {len(fmt)}")
    return fmt


def make_grid(nchw: np.ndarray, ncols: int = 8) -> np.ndarray:
    """TensorBoard's tiling of an ``N x C x H x W`` batch into one ``C x H' x W'`` image (one channel -> three)."""
    if nchw.shape[1] == 1:
        nchw = np.concatenate([nchw, nchw, nchw], 1)
    n, c, h, w = nchw.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    canvas = np.zeros((c, h * nrows, w * ncols), dtype=nchw.dtype)
    for i in range(n):
        y, x = divmod(i, ncols)
        canvas[:, y * h:(y + 1) * h, x * w:(x + 1) * w] = nchw[i]
    return canvas


def scale_uint8(arr: np.ndarray) -> np.ndarray:
    """TensorBoard's pixel scaling: x255 unless uint8, clipped to [0, 255], truncated to uint8."""
    scale = 1 if arr.dtype == np.uint8 else 255
    return (arr.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)


def image_hwc_uint8(img: Any, dataformats: str) -> np.ndarray:
    """An image or batch as TensorBoard stores it: ``H x W x 3`` (or 4) uint8."""
    arr = to_numpy(img, "img_tensor")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"img_tensor: images need real numbers, got dtype {arr.dtype}")
    fmt = check_dataformats(arr, dataformats)
    if len(fmt) == 4:
        nchw = arr.transpose([fmt.index(c) for c in "NCHW"])
        if nchw.shape[1] not in (1, 3, 4) or nchw.shape[0] == 0:
            raise ValueError(f"img_tensor: a batch needs 1, 3 or 4 channels and at least one image, got NCHW "
                             f"shape {nchw.shape}")
        hwc = make_grid(nchw).transpose(1, 2, 0)
    elif len(fmt) == 3:
        hwc = arr.transpose([fmt.index(c) for c in "HWC"])
        if hwc.shape[2] == 1:
            hwc = np.concatenate([hwc, hwc, hwc], 2)
        elif hwc.shape[2] not in (3, 4):
            raise ValueError(f"img_tensor has {hwc.shape[2]} channels (dataformats={dataformats!r}, shape "
                             f"{arr.shape}); images have 1, 3 or 4")
    else:
        hw = arr.transpose([fmt.index(c) for c in "HW"])
        hwc = np.stack([hw, hw, hw], 2)
    if hwc.size == 0:
        raise ValueError(f"img_tensor is empty (shape {arr.shape})")
    return scale_uint8(hwc)


def check_video(vid: Any) -> np.ndarray:
    """A video ``(N, T, C, H, W)`` of numbers with 1, 3 or 4 channels, as numpy (a view when it can be)."""
    v = to_numpy(vid, "vid_tensor")
    if v.ndim != 5 or v.dtype.kind not in "biuf" or 0 in v.shape:
        raise ValueError(f"vid_tensor must be a non-empty (N, T, C, H, W) array of numbers, got shape {v.shape} "
                         f"and dtype {v.dtype}")
    if v.shape[2] not in (1, 3, 4):
        raise ValueError(f"vid_tensor has {v.shape[2]} channels (N, T, C, H, W = {v.shape}); video has 1, 3 or 4")
    return v


def video_frames(vid: Any) -> np.ndarray:
    """``(N, T, C, H, W)`` as TensorBoard's GIF frames: ``T x H' x W' x C`` uint8 (the batch tiled in a grid)."""
    v = check_video(vid)
    b, t, c, h, w = v.shape
    if v.dtype == np.uint8:
        v = np.float32(v) / 255.0
    if b & (b - 1):  # pad the batch to a power of two, as TensorBoard does
        v = np.concatenate((v, np.zeros(shape=((1 << b.bit_length()) - b, t, c, h, w))), axis=0)
    n_rows = 2 ** ((b.bit_length() - 1) // 2)
    n_cols = v.shape[0] // n_rows
    v = v.reshape(n_rows, n_cols, t, c, h, w).transpose(2, 0, 4, 1, 5, 3).reshape(t, n_rows * h, n_cols * w, c)
    return scale_uint8(v)


def check_audio(snd: Any, sample_rate: Any) -> tuple[np.ndarray, int]:
    """(one channel of samples, as numpy: a view when it can be; the rate as an int) from ``add_audio``'s input."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, float, np.integer, np.floating)) \
            or not float(sample_rate).is_integer() or not 0 < sample_rate < 2**31:
        raise ValueError(f"sample_rate must be a positive whole number of samples per second, got {sample_rate!r}")
    a = to_numpy(snd, "snd_tensor").squeeze()
    if a.ndim != 1 or a.dtype.kind not in "biuf":
        raise ValueError(f"snd_tensor must be one channel of samples, (L,) or (1, L), got shape "
                         f"{to_numpy(snd).shape} and dtype {a.dtype}")
    return a, int(sample_rate)


def clip_audio(a: np.ndarray) -> np.ndarray:
    """Float samples clipped to [-1, 1], as TensorBoard does (with a warning when it clips)."""
    a = a if a.dtype.kind == "f" else a.astype(np.float64)
    if a.size and np.abs(a).max() > 1:
        warnings.warn("add_audio: amplitude out of [-1, 1], clipped (as TensorBoard does)", RuntimeWarning,
                      stacklevel=2)
        a = a.clip(-1, 1)
    return a


def pr_curve_data(labels: Any, predictions: Any, num_thresholds: int, weights: Any = None) -> np.ndarray:
    """TensorBoard's ``6 x T`` curve (tp, fp, tn, fn, precision, recall at thresholds ``i / (T - 1)``)."""
    t = min(int(num_thresholds), 127)
    if t < 2:
        raise ValueError(f"num_thresholds must be at least 2, got {num_thresholds!r}")
    y = to_numpy(labels, "labels").reshape(-1).astype(np.float64)
    p = to_numpy(predictions, "predictions").reshape(-1)
    if len(y) != len(p):
        raise ValueError(f"labels ({len(y)}) and predictions ({len(p)}) must have the same length")
    w = 1.0 if weights is None else to_numpy(weights, "weights").reshape(-1).astype(np.float64)
    idx = np.int32(np.floor(p * (t - 1)))
    tp_b, _ = np.histogram(idx, bins=t, range=(0, t - 1), weights=y * w)
    fp_b, _ = np.histogram(idx, bins=t, range=(0, t - 1), weights=(1.0 - y) * w)
    tp = np.cumsum(tp_b[::-1])[::-1]
    fp = np.cumsum(fp_b[::-1])[::-1]
    tn, fn = fp[0] - fp, tp[0] - tp
    precision = tp / np.maximum(1e-7, tp + fp)
    recall = tp / np.maximum(1e-7, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall))


def tb_histogram(values: Any, bins: Any, max_bins: int | None) -> tuple[Any, ...]:
    """TensorBoard's ``make_histogram``: ``(min, max, num, sum, sum_squares, bucket_limits, bucket_counts)``
    with numpy's ``bins`` rule, ``max_bins`` by merging neighbours, the empty bins outside the data
    dropped (one empty bin kept on the left)."""
    x = to_numpy(values, "values").reshape(-1).astype(float)
    if x.size == 0:
        raise ValueError("The input has no element.")
    counts, limits = np.histogram(x, bins=bins)
    n = len(counts)
    if max_bins is not None and n > max_bins:
        sub = n // max_bins
        if n % sub:
            counts = np.pad(counts, [[0, sub - n % sub]])
        counts = counts.reshape(-1, sub).sum(axis=-1)
        limits = np.r_[limits[:-1:sub], limits[-1]]
    cum = np.cumsum(counts > 0)
    start, end = (int(i) for i in np.searchsorted(cum, [0, cum[-1] - 1], side="right"))
    end += 1
    counts = counts[start - 1:end] if start > 0 else np.r_[0, counts[:end]]
    limits = limits[start:end + 1]
    return float(x.min()), float(x.max()), len(x), float(x.sum()), float(x.dot(x)), limits, counts
