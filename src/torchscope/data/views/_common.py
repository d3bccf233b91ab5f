"""What the data views share: class colours, sampling a data set, and notebook HTML."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._display import card, class_colors, table

if TYPE_CHECKING:  # the records read back without torch; computing one imports it
    from ..dataset import Dataset

__all__ = ["LAZY_LIMIT", "card", "chunks", "class_colors", "float_images", "require", "table", "view_arrays"]

LAZY_LIMIT = 10_000  # samples a view reads by default from a set that lives in files




def require(ds: Any, task: str, view: str) -> Dataset:
    """Check a view's input: a torchscope Dataset (or a name or path to load) of the right task."""
    from ..dataset import Dataset

    if isinstance(ds, (str, os.PathLike)):
        from ..load import load

        ds = load(ds)
    if not isinstance(ds, Dataset):
        raise TypeError(f"{view} takes a torchscope Dataset (from ts.data.load), got {type(ds).__name__}")
    if task and ds.task != task:
        what = "an image" if task == "image" else "a tabular"
        raise ValueError(f"{view} needs {what} data set; {ds.name!r} is {ds.task}")
    if len(ds) == 0:
        raise ValueError(f"{view}: {ds.name!r} is empty")
    return ds


def view_arrays(ds: Dataset, limit: int | None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """All samples of an in-memory set; at most ``LAZY_LIMIT`` (or ``limit``) of a file-backed one."""
    if limit is None and ds.is_lazy:
        limit = LAZY_LIMIT
    return ds.arrays(limit, seed=seed)


def chunks(ds: Dataset, limit: int | None, *, seed: int = 0, size: int = 2048,
           desc: str = "reading") -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(x, y)`` in chunks over all (or a random ``limit``) of the samples, with a progress bar."""
    from torchscope._progress import tqdm

    if limit is None and ds.is_lazy:
        limit = LAZY_LIMIT
    idx = ds.sample_indices(limit, seed=seed)
    y = ds.targets
    starts = range(0, len(idx), size)
    for s in tqdm(starts, desc=f"{desc} {ds.name}", unit="chunk", disable=not ds.is_lazy or len(starts) < 2):
        part = idx[s:s + size]
        yield ds.take(part, progress=False), y[part]


def float_images(x: np.ndarray) -> np.ndarray:
    """Images as float32 in their display unit: uint8 scaled to [0, 1], floats unchanged."""
    return x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32, copy=False)



