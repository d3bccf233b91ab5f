"""``ts.data.load``: one verb for data as people actually have it.

It dispatches on what it is given: an embedded name (``"mnist"``, ``"digits"``, ``"iris"``,
``"wine"``, ``"breast_cancer"``), a folder (MNIST-style IDX files, else an image folder with one sub-folder
per class), an archive (``.tar.gz``, ``.tgz``, ``.tar``, ``.zip``), one IDX file, an inputs/labels
pair of tensors or arrays, any ``torch.utils.data.Dataset``, or a torchscope Dataset (returned
as it is).

Example::

    train, test = ts.data.load("digits").split(0.8, seed=0, stratify=True)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .archive import is_archive, load_archive
from .builtin import BUILTIN, load_builtin
from .convert import from_arrays, from_torch
from .dataset import DataError, Dataset
from .folder import load_folder
from .idx import IDX_NAME, load_idx
from .limits import Limits

__all__ = ["load"]


def _has_idx(folder: Path) -> bool:
    for depth, pattern in enumerate(("*", "*/*", "*/*/*")):
        if any(IDX_NAME.match(p.name) for p in folder.glob(pattern)):
            return True
        if depth == 0 and any(p.suffix.lower() in (".png", ".jpg", ".jpeg") for p in folder.glob("*/*")):
            return False  # an image folder: do not walk it
    return False


def _load_path(path: Path, *, subset: str | None, mode: str | None, size: tuple[int, int] | None,
               classes: Sequence[str] | None, limits: Limits | None) -> Dataset:
    if path.is_dir():
        if _has_idx(path):
            return load_idx(path, subset=subset, classes=classes, limits=limits)
        if classes is not None:
            raise ValueError("classes= does not apply to an image folder: its sub-folders name the classes")
        return load_folder(path, subset=subset, mode=mode, size=size)
    if is_archive(path):
        return load_archive(path, subset=subset, mode=mode, size=size,
                            classes=list(classes) if classes is not None else None, limits=limits)
    if IDX_NAME.match(path.name):
        return load_idx(path, classes=classes, limits=limits)
    raise DataError(f"{path}: cannot tell what data this file holds; torchscope reads folders (IDX files or one "
                    f"sub-folder of images per class), .tar.gz/.tgz/.tar/.zip archives of them and IDX files")


def load(source: Any, labels: Any = None, *, subset: str | None = None, classes: Sequence[str] | None = None,
         mode: str | None = None, size: tuple[int, int] | None = None, feature_names: Sequence[str] | None = None,
         name: str | None = None, transform: Callable[[torch.Tensor], Any] | None = None,
         limits: Limits | None = None) -> Dataset:
    """Load a data set from a name, a path, arrays or a torch Dataset: ``ds = ts.data.load("digits")``.

    Args:
        source: an embedded name, a path, an inputs array/tensor, or a torch Dataset.
        labels: the labels when ``source`` is an inputs array/tensor.
        subset: ``"train"`` or ``"test"`` (``"val"`` for folders) when the files hold several splits;
            the default is train when present.
        classes: class names (IDX files, arrays and torch Datasets; folders name their own).
        mode, size: for image files, ``"L"`` or ``"RGB"`` and ``(H, W)``; default: the first image's.
        feature_names: column names of a table given as an array.
        name: a display name; transform: applied to each input tensor in ``ds[i]``.
        limits: caps on what reading compressed files and archives may cost (:class:`Limits`;
            default ``Limits()``: 4 GiB decompressed per file, 200:1 past 64 MiB, 2 million members,
            each overridable by a ``TORCHSCOPE_DATA_*`` environment variable).
    """
    ds = _dispatch(source, labels, subset=subset, classes=classes, mode=mode, size=size,
                   feature_names=feature_names, name=name, limits=limits)
    if name is not None:
        ds.name = name
    if transform is not None:
        ds.transform = transform
    return ds


def _dispatch(source: Any, labels: Any, *, subset: str | None, classes: Sequence[str] | None, mode: str | None,
              size: tuple[int, int] | None, feature_names: Sequence[str] | None, name: str | None,
              limits: Limits | None) -> Dataset:
    if isinstance(source, Dataset):
        return source
    if isinstance(source, (str, os.PathLike)):
        if labels is not None:
            raise TypeError("labels= only goes with an inputs array or tensor, not with a name or a path")
        text = os.fspath(source)
        path = Path(text).expanduser()
        if path.exists():
            return _load_path(path, subset=subset, mode=mode, size=size, classes=classes, limits=limits)
        key = text.strip().lower().replace("-", "_")
        if key in BUILTIN:
            if subset is not None:
                raise ValueError(f"{text!r} is one set; split it with ds.split(0.8) instead of subset=")
            return load_builtin(key)
        raise DataError(f"{text!r} is neither an existing file or folder nor an embedded data set "
                        f"(embedded: {', '.join(sorted(BUILTIN))})")
    if isinstance(source, (torch.Tensor, np.ndarray, list, tuple)):
        return from_arrays(source, labels, classes=classes, feature_names=feature_names, name=name or "arrays")
    if isinstance(source, torch.utils.data.Dataset) or (hasattr(source, "__getitem__") and hasattr(source, "__len__")):
        if labels is not None:
            raise TypeError("labels= does not go with a torch Dataset: its items already hold (input, label)")
        return from_torch(source, classes=classes, name=name)
    raise TypeError(f"ts.data.load cannot read a {type(source).__name__}; pass a name ({', '.join(sorted(BUILTIN))}), "
                    f"a path, an (inputs, labels) pair of tensors or arrays, or a torch Dataset")
