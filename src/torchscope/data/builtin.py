"""Embedded data sets: nothing is downloaded, ever.

- ``mnist``: the MNIST test set, 10,000 greyscale 28x28 handwritten digits, 10 classes (LeCun,
  Cortes & Burges 1998; CC BY-SA 3.0), shipped inside torchscope as its original IDX files
  (``torchscope/data/mnist/``, with the attribution and the licence beside them).

The others ship inside scikit-learn:

- ``digits``: 1,797 greyscale 8x8 handwritten digits, 10 classes (Alpaydin & Kaynak 1998, the
  UCI "Optical Recognition of Handwritten Digits" test set); pixels scaled from 0..16 to [0, 1].
- ``iris``: 150 flowers, 4 measurements, 3 species (Fisher 1936).
- ``wine``: 178 wines, 13 chemical measurements, 3 cultivars (Aeberhard & Forina, UCI).
- ``breast_cancer``: 569 tumours, 30 features, malignant or benign (Wolberg et al., UCI).

Example::

    ds = ts.data.load("mnist"); x, y = ts.data.mnist()
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .dataset import ArraySource, DataError, Dataset

if TYPE_CHECKING:
    import torch

__all__ = ["BUILTIN", "MNIST_DIR", "load_builtin", "mnist"]

MNIST_DIR = Path(__file__).with_name("mnist")  # the package's own copy: never read from anywhere else


def _mnist() -> Dataset:
    from .idx import idx_dataset, read_idx

    images, labels = MNIST_DIR / "t10k-images-idx3-ubyte.gz", MNIST_DIR / "t10k-labels-idx1-ubyte.gz"
    if not (images.is_file() and labels.is_file()):
        raise DataError(f"the embedded MNIST files are missing from {MNIST_DIR} (a broken install?); "
                        f"reinstall torchscope")
    ds = idx_dataset(read_idx(images), read_idx(labels), images_where=str(images), labels_where=str(labels),
                     name="mnist")
    ds.source.location = "MNIST test set (LeCun, Cortes & Burges; CC BY-SA 3.0)"
    return ds


def mnist() -> tuple[torch.Tensor, torch.Tensor]:
    """The embedded MNIST test set as tensors: ``x, y = ts.data.mnist()``.

    ``x`` is float32 ``10000 x 1 x 28 x 28`` in [0, 1], ``y`` int64 labels 0-9; nothing is
    downloaded. ``ts.data.load("mnist")`` gives the same digits as a :class:`Dataset` (class names,
    splits, views). MNIST is by LeCun, Cortes & Burges (1998), under CC BY-SA 3.0.
    """
    import torch

    ds = _mnist()
    assert isinstance(ds.source, ArraySource)
    x = torch.from_numpy(np.ascontiguousarray(ds.source.x.transpose(0, 3, 1, 2))).float().div_(255.0)
    return x, torch.from_numpy(ds.targets.copy())


def _digits() -> Dataset:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[..., None]
    return Dataset(ArraySource(x, d.target, "sklearn digits"), task="image",
                   class_names=[str(c) for c in d.target_names], name="digits")


def _table(loader_name: str, name: str) -> Callable[[], Dataset]:
    def load() -> Dataset:
        import sklearn.datasets

        d = getattr(sklearn.datasets, loader_name)()
        x = np.asarray(d.data, dtype=np.float32)
        return Dataset(ArraySource(x, d.target, f"sklearn {name}"), task="tabular",
                       class_names=[str(c) for c in d.target_names], name=name,
                       feature_names=[str(f) for f in d.feature_names])

    return load


BUILTIN: dict[str, Callable[[], Dataset]] = {
    "mnist": _mnist,
    "digits": _digits,
    "iris": _table("load_iris", "iris"),
    "wine": _table("load_wine", "wine"),
    "breast_cancer": _table("load_breast_cancer", "breast_cancer"),
}


def load_builtin(name: str) -> Dataset:
    """One of the embedded sets by name: ``load_builtin("wine")``."""
    key = name.strip().lower().replace("-", "_")
    if key not in BUILTIN:
        raise KeyError(f"no embedded data set named {name!r}; choose one of {sorted(BUILTIN)}")
    return BUILTIN[key]()
