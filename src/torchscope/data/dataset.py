"""The torchscope Dataset: a ``torch.utils.data.Dataset`` that knows its classes and its arrays.

Every loader returns one (``ts.data.load``). It is a plain map-style torch Dataset, so it goes
straight into a ``DataLoader``; on top it carries what the views need: ``class_names``, a ``task``
(``"image"`` classification or ``"tabular"`` classification), ``targets`` (all labels, always
cheap) and ``arrays()``/``take()`` for the inputs as numpy, read lazily from the source (an
in-memory array, a folder of image files, an archive, any torch Dataset).

Items: ``ds[i]`` is ``(x, label)``. Images come out as float32 ``C x H x W`` tensors; 8-bit
pixels are scaled to [0, 1] (as torchvision's ``ToTensor`` does), float pixels are passed through
unchanged. Tabular rows come out as float32 vectors. ``transform=`` applies to ``x``.

Example::

    train, test = ts.data.load("digits").split(0.8, seed=0, stratify=True)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np
import torch

__all__ = ["MAX_CLASSES", "TASKS", "DataError", "Dataset", "Source"]

TASKS = ("image", "tabular")
MAX_CLASSES = 100_000  # classes named "0".."k-1" by torchscope itself; a label past it is usually a corrupt file


class DataError(ValueError):
    """Bad or unreadable input data; the message names the file and says what to do."""


class Source(Protocol):
    """Where a Dataset's samples come from: ``len``, ``targets`` and ``read(i)``.

    ``read`` returns one sample as numpy: an image as ``H x W x C`` (uint8, or float), a table
    row as a float32 vector. Sources are picklable so that DataLoader workers can use them; a
    source with ``thread_safe = True`` is read by several threads in ``Dataset.take``.
    """

    location: str

    def __len__(self) -> int: ...

    @property
    def targets(self) -> np.ndarray: ...

    def read(self, i: int) -> np.ndarray: ...


class ArraySource:
    """Samples held in one numpy array (images NHWC, tables N x F): ``ArraySource(x, y)``."""

    def __init__(self, x: np.ndarray, y: np.ndarray, location: str = "arrays") -> None:
        if len(x) != len(y):
            raise DataError(f"{location}: {len(x)} inputs but {len(y)} labels; pass one label per sample")
        self.x, self._y, self.location = x, np.asarray(y, dtype=np.int64), location

    def __len__(self) -> int:
        return len(self.x)

    @property
    def targets(self) -> np.ndarray:
        return self._y

    def read(self, i: int) -> np.ndarray:
        return self.x[i]

    def read_many(self, idx: np.ndarray) -> np.ndarray:
        return self.x[idx]


class Dataset(torch.utils.data.Dataset):
    """A labelled data set with class names, a task kind and cheap array access.

    Example: ``ds = ts.data.Dataset(ArraySource(x, y), task="tabular", class_names=["a", "b"])``.
    """

    def __init__(self, source: Source, *, task: str, class_names: Sequence[str], name: str = "dataset",
                 feature_names: Sequence[str] | None = None, indices: np.ndarray | None = None,
                 transform: Callable[[torch.Tensor], Any] | None = None) -> None:
        if task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {task!r}")
        self.source = source
        self.task = task
        self.class_names = [str(c) for c in class_names]
        self.name = name
        self.feature_names = list(feature_names) if feature_names is not None else None
        self.indices = None if indices is None else np.asarray(indices, dtype=np.int64)
        self.transform = transform

    # -- torch Dataset ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.source) if self.indices is None else len(self.indices)

    def _global(self, i: int) -> int:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"index {i} out of range for {self.name} of {n} samples")
        i = i % n
        return i if self.indices is None else int(self.indices[i])

    def __getitem__(self, i: int) -> tuple[Any, int]:
        gi = self._global(int(i))
        x = self._to_tensor(self.source.read(gi))
        if self.transform is not None:
            x = self.transform(x)
        return x, int(self.source.targets[gi])

    def _to_tensor(self, raw: np.ndarray) -> torch.Tensor:
        arr = np.asarray(raw)
        if self.task == "tabular":
            return torch.from_numpy(arr.astype(np.float32))
        t = torch.from_numpy(arr.transpose(2, 0, 1).astype(np.float32))  # a writable copy
        return t.div_(255.0) if arr.dtype == np.uint8 else t

    def __repr__(self) -> str:
        shape = "x".join(str(s) for s in self.sample_shape) if len(self) else "?"
        return (f"torchscope.data.Dataset({self.name!r}: {len(self)} {self.task} samples of {shape}, "
                f"{self.num_classes} classes)")

    # -- what the views need --------------------------------------------------------------------
    @property
    def num_classes(self) -> int:
        """Number of classes: ``ts.data.load("iris").num_classes == 3``."""
        return len(self.class_names)

    @property
    def targets(self) -> np.ndarray:
        """All labels as an int64 array (no input is read): ``np.bincount(ds.targets)``."""
        y = self.source.targets
        return y if self.indices is None else y[self.indices]

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one raw sample: ``(H, W, C)`` for images, ``(F,)`` for tables."""
        return tuple(np.shape(self.source.read(self._global(0))))

    @property
    def is_lazy(self) -> bool:
        """True when samples are read from files on demand (folders, archives, torch Datasets)."""
        return not isinstance(self.source, ArraySource)

    def take(self, idx: Sequence[int] | np.ndarray, *, progress: bool = True) -> np.ndarray:
        """Raw samples at positions ``idx`` stacked as numpy (NHWC or N x F): ``ds.take([0, 5])``."""
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        gidx = idx if self.indices is None else self.indices[idx]
        read_many = getattr(self.source, "read_many", None)
        if read_many is not None:
            return np.asarray(read_many(gidx))
        if len(gidx) == 0:
            return np.zeros((0, *self.sample_shape), dtype=np.float32)
        from torchscope._progress import tqdm

        first = np.asarray(self.source.read(int(gidx[0])))
        out = np.empty((len(gidx), *first.shape), dtype=first.dtype)
        out[0] = first
        bar = tqdm(total=len(gidx), initial=1, desc=f"reading {self.name}", unit="sample",
                   disable=not progress or len(gidx) < 2000)

        def put(k: int) -> None:
            out[k] = self.source.read(int(gidx[k]))
            bar.update(1)

        workers = min(8, os.cpu_count() or 1) if getattr(self.source, "thread_safe", False) and len(gidx) > 64 else 1
        with bar:
            if workers > 1:  # image decoding (Pillow, zlib) releases the GIL
                with ThreadPoolExecutor(workers) as pool:
                    list(pool.map(put, range(1, len(gidx))))
            else:
                for k in range(1, len(gidx)):
                    put(k)
        return out

    def sample_indices(self, limit: int | None, *, seed: int = 0) -> np.ndarray:
        """Sorted positions of at most ``limit`` samples, drawn at random: ``ds.sample_indices(1000)``."""
        n = len(self)
        if limit is None or limit >= n:
            return np.arange(n)
        return np.sort(np.random.default_rng(seed).choice(n, size=int(limit), replace=False))

    def arrays(self, limit: int | None = None, *, seed: int = 0,
               progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Inputs and labels as numpy, all or a random ``limit`` of them: ``x, y = ds.arrays(5000)``."""
        idx = self.sample_indices(limit, seed=seed)
        return self.take(idx, progress=progress), self.targets[idx]

    # -- subsets ----------------------------------------------------------------------------------
    def subset(self, idx: Sequence[int] | np.ndarray, name: str | None = None) -> Dataset:
        """A view of some samples (no copy): ``ds.subset(range(100))``."""
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        gidx = idx if self.indices is None else self.indices[idx]
        return Dataset(self.source, task=self.task, class_names=self.class_names, name=name or f"{self.name}[subset]",
                       feature_names=self.feature_names, indices=gidx, transform=self.transform)

    def split(self, fraction: float = 0.8, *, seed: int = 0, stratify: bool = True) -> tuple[Dataset, Dataset]:
        """Two disjoint views, the first with ``fraction`` of the samples: ``train, test = ds.split(0.8)``.

        With ``stratify`` every class is split in the same proportion; ``seed`` makes it repeatable.
        """
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"split(fraction): fraction must be between 0 and 1 (exclusive), got {fraction}")
        rng = np.random.default_rng(seed)
        n = len(self)
        if stratify:
            y = self.targets
            first = [p[: int(round(fraction * len(p)))] for c in np.unique(y)
                     for p in [rng.permutation(np.flatnonzero(y == c))]]
            a = np.sort(np.concatenate(first)) if first else np.zeros(0, np.int64)
        else:
            a = np.sort(rng.permutation(n)[: int(round(fraction * n))])
        mask = np.ones(n, bool)
        mask[a] = False
        b = np.flatnonzero(mask)
        if len(a) == 0 or len(b) == 0:
            raise ValueError(f"split({fraction}) of {n} samples leaves one side empty; use a fraction nearer 0.5")
        return self.subset(a, f"{self.name}[train]"), self.subset(b, f"{self.name}[test]")
