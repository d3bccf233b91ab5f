"""Embedded data sets that ship inside scikit-learn: nothing is downloaded, ever.

- ``digits``: 1,797 greyscale 8x8 handwritten digits, 10 classes (Alpaydin & Kaynak 1998, the
  UCI "Optical Recognition of Handwritten Digits" test set); pixels scaled from 0..16 to [0, 1].
- ``iris``: 150 flowers, 4 measurements, 3 species (Fisher 1936).
- ``wine``: 178 wines, 13 chemical measurements, 3 cultivars (Aeberhard & Forina, UCI).
- ``breast_cancer``: 569 tumours, 30 features, malignant or benign (Wolberg et al., UCI).

Example::

    ds = ts.data.load("iris")
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .dataset import ArraySource, Dataset

__all__ = ["BUILTIN", "load_builtin"]


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
