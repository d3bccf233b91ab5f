"""Data people already hold in memory: tensor or array pairs, and any ``torch.utils.data.Dataset``.

Arrays: 2-D inputs are a table (rows x features); 3-D are greyscale images ``N x H x W``; 4-D are
images, ``N x C x H x W`` (PyTorch's layout, assumed for tensors) or ``N x H x W x C``. Labels may
be integers, integer-valued floats or strings (class names, sorted). A torch Dataset is read
lazily; its labels come from a ``targets`` attribute when it has one (torchvision's convention),
else from its items (read once, with a progress bar, the first time they are needed).

Example::

    ds = ts.data.load(torch.rand(100, 3, 32, 32), torch.randint(0, 10, (100,)))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from .dataset import MAX_CLASSES, ArraySource, DataError, Dataset

__all__ = ["TorchSource", "from_arrays", "from_torch", "labels_to_classes", "sample_to_numpy"]


def _numpy(a: Any, what: str) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu()
        return (a.float() if a.dtype in (torch.float16, torch.bfloat16) else a).numpy()
    try:
        return np.asarray(a)
    except Exception as exc:  # anything numpy refuses
        raise TypeError(f"{what} must be a tensor, an array or a list, got {type(a).__name__}") from exc


def labels_to_classes(y: Any, classes: Sequence[str] | None, where: str) -> tuple[np.ndarray, list[str]]:
    """Integer labels and class names from ints, integral floats or strings."""
    arr = _numpy(y, "labels").reshape(-1) if y is not None else None
    if arr is None:
        raise DataError(f"{where}: labels are missing")
    if arr.dtype.kind in "USO":
        names, inv = np.unique(arr.astype(str), return_inverse=True)
        return inv.astype(np.int64), list(classes or names.tolist())
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.array_equal(arr, np.round(arr)):
            raise DataError(f"{where}: labels are fractional floats; torchscope's data views need class labels "
                            f"(integers or names), not regression targets")
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise DataError(f"{where}: labels of dtype {arr.dtype} are not class labels")
    arr = arr.astype(np.int64)
    if len(arr) and arr.min() < 0:
        values, inv = np.unique(arr, return_inverse=True)
        return inv.astype(np.int64), list(classes or [str(v) for v in values])
    k = int(arr.max()) + 1 if len(arr) else 0
    if classes is not None and len(classes) < k:
        raise DataError(f"{where}: labels go up to {k - 1} but only {len(classes)} class names were given")
    if classes is None and k > MAX_CLASSES:
        raise DataError(f"{where}: labels go up to {k - 1:,}, so there would be {k:,} classes; torchscope "
                        f"names at most {MAX_CLASSES:,} classes itself: pass classes=[...] with a name for every class")
    return arr, list(classes) if classes is not None else [str(c) for c in range(k)]


def _images_nhwc(x: np.ndarray, torch_layout: bool) -> np.ndarray:
    if x.ndim == 3:
        return x[..., None]
    chw = x.shape[1] in (1, 3, 4) and (torch_layout or x.shape[3] not in (1, 3, 4))
    return x.transpose(0, 2, 3, 1) if chw else x


def _pixels(x: np.ndarray) -> np.ndarray:
    if x.dtype == np.uint8 or x.dtype == np.float32:
        return x
    if x.dtype == np.bool_:
        return x.astype(np.uint8) * 255
    if x.dtype.kind in "iu" and x.size and x.min() >= 0 and x.max() <= 255:
        return x.astype(np.uint8)
    return x.astype(np.float32)


def from_arrays(x: Any, y: Any = None, *, classes: Sequence[str] | None = None,
                feature_names: Sequence[str] | None = None, name: str = "arrays") -> Dataset:
    """Wrap an inputs/labels pair: ``from_arrays(np.random.rand(50, 4), np.arange(50) % 2)``."""
    is_torch = isinstance(x, torch.Tensor)
    xa = _numpy(x, "inputs")
    if xa.ndim not in (2, 3, 4) or xa.dtype.kind not in "biuf":
        raise DataError(f"{name}: inputs of shape {xa.shape} and dtype {xa.dtype} are neither a table (N x F) nor "
                        f"images (N x H x W, N x C x H x W, N x H x W x C) of numbers")
    if y is None:
        labels, names = np.zeros(len(xa), np.int64), list(classes or ["all"])
    else:
        labels, names = labels_to_classes(y, classes, name)
    if len(labels) != len(xa):
        raise DataError(f"{name}: {len(xa)} inputs but {len(labels)} labels; pass one label per sample")
    if xa.ndim == 2:
        fn = list(feature_names) if feature_names is not None else [f"x{i}" for i in range(xa.shape[1])]
        if len(fn) != xa.shape[1]:
            raise DataError(f"{name}: {xa.shape[1]} features but {len(fn)} feature names")
        return Dataset(ArraySource(xa.astype(np.float32, copy=False), labels, name), task="tabular",
                       class_names=names, name=name, feature_names=fn)
    return Dataset(ArraySource(_pixels(_images_nhwc(xa, is_torch)), labels, name), task="image",
                   class_names=names, name=name)


def sample_to_numpy(x: Any) -> np.ndarray:
    """One item's input as numpy: CHW tensors become HWC, PIL images arrays, vectors stay vectors."""
    if hasattr(x, "mode") and hasattr(x, "size") and not isinstance(x, (torch.Tensor, np.ndarray)):
        x = np.asarray(x.convert("RGB") if x.mode not in ("L", "RGB") else x)
        return x[..., None] if x.ndim == 2 else x
    torch_layout = isinstance(x, torch.Tensor)
    a = _numpy(x, "a sample")
    if a.ndim == 2:
        return _pixels(a[..., None])
    if a.ndim == 3:
        return _pixels(_images_nhwc(a[None], torch_layout)[0])
    return a.astype(np.float32, copy=False).reshape(-1)


class TorchSource:
    """Samples of any map-style torch Dataset whose items are ``(input, label)``."""

    def __init__(self, ds: Any, location: str) -> None:
        self.ds, self.location = ds, location
        self._y: np.ndarray | None = None
        self._names: list[str] | None = None

    def __len__(self) -> int:
        return len(self.ds)

    def _item(self, i: int) -> tuple[Any, Any]:
        item = self.ds[i]
        if not isinstance(item, (tuple, list)) or len(item) < 2:
            raise DataError(f"{self.location}: item {i} is a {type(item).__name__}, expected (input, label)")
        return item[0], item[1]

    @property
    def targets(self) -> np.ndarray:
        if self._y is None:
            raw = getattr(self.ds, "targets", None)
            if raw is None or len(raw) != len(self.ds):
                from torchscope._progress import tqdm

                bar = tqdm(range(len(self.ds)), desc=f"reading labels of {self.location}", unit="sample",
                           disable=len(self.ds) < 5000)
                raw = [int(self._item(i)[1]) for i in bar]
            self._y, self._names = labels_to_classes(raw, getattr(self.ds, "classes", None), self.location)
        return self._y

    @property
    def class_names(self) -> list[str]:
        self.targets  # noqa: B018 - computes names too
        assert self._names is not None
        return self._names

    def read(self, i: int) -> np.ndarray:
        return sample_to_numpy(self._item(i)[0])


def from_torch(ds: Any, *, classes: Sequence[str] | None = None, name: str | None = None) -> Dataset:
    """Wrap any ``torch.utils.data.Dataset`` of ``(input, label)`` items: ``from_torch(my_ds)``."""
    if not hasattr(ds, "__getitem__") or not hasattr(ds, "__len__"):
        raise TypeError(f"expected a map-style torch Dataset (with __getitem__ and __len__), got {type(ds).__name__}")
    label = name or type(ds).__name__
    if len(ds) == 0:
        raise DataError(f"{label}: the Dataset is empty")
    src = TorchSource(ds, label)
    task = "tabular" if src.read(0).ndim == 1 else "image"
    names = list(classes) if classes is not None else src.class_names
    return Dataset(src, task=task, class_names=names, name=label,
                   feature_names=[f"x{i}" for i in range(src.read(0).shape[0])] if task == "tabular" else None)
