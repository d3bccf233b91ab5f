"""MNIST-style IDX files (plain or gzip-compressed), found by their standard names.

The IDX format (LeCun, Cortes & Burges, "The MNIST database of handwritten digits", 1998) is a
4-byte magic number ``00 00 <type> <ndim>``, ``ndim`` big-endian int32 sizes, then the values in
C order. MNIST, Fashion-MNIST, KMNIST and EMNIST ship as pairs such as
``train-images-idx3-ubyte.gz`` / ``train-labels-idx1-ubyte.gz`` and ``t10k-...`` for the test
split. Every inconsistency (bad magic, truncated data, image and label counts that differ) raises
:class:`DataError` naming the file.

Example::

    ds = ts.data.load("path/to/mnist/", subset="test")
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .dataset import ArraySource, DataError, Dataset

__all__ = ["IDX_NAME", "find_idx_pairs", "idx_dataset", "load_idx", "parse_idx", "read_idx"]

_DTYPES: dict[int, np.dtype] = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
                                 0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
IDX_NAME = re.compile(r"^(?P<prefix>.*?)(?P<split>train|t10k|test)[-_.](?P<what>images|labels)[-_.]"
                      r"idx(?P<ndim>\d)[-_.]ubyte(?P<gz>\.gz)?$", re.IGNORECASE)


def parse_idx(data: bytes, where: str) -> np.ndarray:
    """Decode the bytes of one IDX file: ``parse_idx(raw, "labels.idx1-ubyte")``."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DataError(f"{where}: the gzip stream is corrupt ({exc}); download the file again") from exc
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES or not 1 <= data[3] <= 4:
        raise DataError(f"{where}: bad IDX magic number {data[:4].hex() or '(empty file)'}; expected 00 00 "
                        f"<type 08-0e> <ndim 1-4> (is this an MNIST-style IDX file?)")
    dtype, ndim = _DTYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{where}: truncated IDX header ({len(data)} bytes, needs {header})")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise DataError(f"{where}: the header promises shape {shape} ({expected} bytes) but the file holds "
                        f"{len(data)} bytes; the file is truncated or corrupt, download it again")
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))  # a native, writable copy


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (``.gz`` or not) into a numpy array: ``read_idx("t10k-labels-idx1-ubyte.gz")``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    return parse_idx(data, str(path))


def idx_dataset(images: np.ndarray, labels: np.ndarray, *, images_where: str, labels_where: str, name: str,
                classes: Sequence[str] | None = None) -> Dataset:
    """Check an images/labels pair and wrap it as a :class:`Dataset`."""
    if images.ndim not in (3, 4):
        raise DataError(f"{images_where}: expected images of shape N x H x W (idx3), got shape {images.shape}")
    if labels.ndim != 1:
        raise DataError(f"{labels_where}: expected a 1-D label file (idx1), got shape {labels.shape}")
    if len(images) != len(labels):
        raise DataError(f"{images_where} holds {len(images)} images but {labels_where} holds {len(labels)} labels; "
                        f"the two files must come from the same split")
    if len(labels) and labels.min() < 0:
        raise DataError(f"{labels_where}: negative labels; expected class indices 0, 1, 2, ...")
    k = int(labels.max()) + 1 if len(labels) else 0
    if classes is not None and len(classes) < k:
        raise DataError(f"{labels_where}: labels go up to {k - 1} but only {len(classes)} class names were given")
    names = list(classes) if classes is not None else [str(c) for c in range(k)]
    x = images[..., None] if images.ndim == 3 else images
    return Dataset(ArraySource(x, labels.astype(np.int64), images_where), task="image", class_names=names, name=name)


def find_idx_pairs(names: Sequence[str]) -> dict[tuple[str, str], dict[str, str]]:
    """Group IDX file names into ``{(prefix, "train"|"test"): {"images": name, "labels": name}}``."""
    pairs: dict[tuple[str, str], dict[str, str]] = {}
    for name in sorted(names):
        m = IDX_NAME.match(os.path.basename(name))
        if m:
            split = "train" if m["split"].lower() == "train" else "test"
            pairs.setdefault((m["prefix"], split), {})[m["what"].lower()] = name
    return pairs


def choose_pair(pairs: dict[tuple[str, str], dict[str, str]], subset: str | None, where: str) -> tuple[str, dict]:
    """Pick the images/labels pair for ``subset`` (default: train when present, else test)."""
    if subset is not None and subset not in ("train", "test"):
        raise ValueError(f"subset must be 'train', 'test' or None, got {subset!r}")
    wanted = subset or ("train" if any(s == "train" for _, s in pairs) else "test")
    found = {k: v for k, v in pairs.items() if k[1] == wanted}
    if not found:
        have = sorted({s for _, s in pairs})
        raise DataError(f"{where}: no {wanted!r} IDX files here (found splits: {have})")
    key = sorted(found)[0]
    pair = found[key]
    for what in ("images", "labels"):
        if what not in pair:
            other = next(iter(pair.values()))
            raise DataError(f"{where}: found {other} but no matching {wanted} {what} file "
                            f"(expected a name like '{'t10k' if wanted == 'test' else 'train'}-{what}-idx"
                            f"{3 if what == 'images' else 1}-ubyte.gz')")
    return wanted, pair


def load_idx(path: str | os.PathLike[str], *, subset: str | None = None,
             classes: Sequence[str] | None = None) -> Dataset:
    """Load an IDX images/labels pair from a folder or one of the two files: ``load_idx("mnist/")``."""
    path = Path(path)
    if path.is_file():
        folder, only = path.parent, path.name
    else:
        folder, only = path, None
    files = [str(p.relative_to(folder)) for p in sorted(folder.rglob("*")) if p.is_file() and IDX_NAME.match(p.name)
             and len(p.relative_to(folder).parts) <= 3]
    pairs = find_idx_pairs(files)
    if only is not None:
        m = IDX_NAME.match(only)
        if not m:
            raise DataError(f"{path}: not a standard IDX file name (like 'train-images-idx3-ubyte.gz')")
        subset = "train" if m["split"].lower() == "train" else "test"
        pairs = {k: v for k, v in pairs.items() if k == (m["prefix"], subset)}
    if not pairs:
        raise DataError(f"{path}: no MNIST-style IDX files found (expected names like "
                        f"'train-images-idx3-ubyte.gz' and 'train-labels-idx1-ubyte.gz')")
    split, pair = choose_pair(pairs, subset, str(path))
    images = read_idx(folder / pair["images"])
    labels = read_idx(folder / pair["labels"])
    return idx_dataset(images, labels, images_where=str(folder / pair["images"]),
                       labels_where=str(folder / pair["labels"]), name=f"{folder.name or 'idx'}/{split}",
                       classes=classes)
