"""MNIST-style IDX files (plain or gzip-compressed), found by their standard names.

The IDX format (LeCun, Cortes & Burges, "The MNIST database of handwritten digits", 1998) is a
4-byte magic number ``00 00 <type> <ndim>``, ``ndim`` big-endian int32 sizes, then the values in
C order. MNIST, Fashion-MNIST, KMNIST and EMNIST ship as pairs such as
``train-images-idx3-ubyte.gz`` / ``train-labels-idx1-ubyte.gz`` and ``t10k-...`` for the test
split. Every inconsistency (bad magic, truncated data, image and label counts that differ) raises
:class:`DataError` naming the file.

Files are streamed (gzip or not): the shape the header declares is checked against the bytes that
follow and against :class:`~.limits.Limits` before anything else is read, and no more than it
promises is ever read, so neither a lying header nor a gzip bomb costs memory. Labels must be class
indices (no NaN, no fractions, no label past ``MAX_CLASSES``); images must have pixels, 1, 3 or 4
channels, and finite values.

Example::

    ds = ts.data.load("path/to/mnist/", subset="test")
"""

from __future__ import annotations

import io
import math
import os
import re
import struct
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import numpy as np

from ._metered import CHUNK, DECOMPRESS_ERRORS, Metered, open_stream
from .dataset import MAX_CLASSES, ArraySource, DataError, Dataset
from .limits import Limits

__all__ = ["IDX_NAME", "find_idx_pairs", "idx_dataset", "load_idx", "parse_idx", "read_idx"]

_DTYPES: dict[int, np.dtype] = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
                                 0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
IDX_NAME = re.compile(r"^(?P<prefix>.*?)(?P<split>train|t10k|test)[-_.](?P<what>images|labels)[-_.]"
                      r"idx(?P<ndim>\d)[-_.]ubyte(?P<gz>\.gz)?$", re.IGNORECASE)


def parse_idx(data: bytes, where: str, *, limits: Limits | None = None) -> np.ndarray:
    """Decode the bytes of one IDX file (gzip or not): ``parse_idx(raw, "labels.idx1-ubyte")``."""
    return _read_idx(io.BytesIO(data), where, limits if limits is not None else Limits())


def read_idx(path: str | os.PathLike[str], *, limits: Limits | None = None) -> np.ndarray:
    """Read one IDX file (``.gz`` or not) into a numpy array: ``read_idx("t10k-labels-idx1-ubyte.gz")``.

    The file is streamed: its header's shape is checked against ``limits`` and against the bytes
    that follow before anything else is read, so a lying header or a gzip bomb costs nothing.
    """
    path = Path(path)
    try:
        raw = open(path, "rb")  # noqa: SIM115 (closed just below)
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    with raw:
        return _read_idx(raw, str(path), limits if limits is not None else Limits())


def _read_idx(raw: IO[bytes], where: str, limits: Limits) -> np.ndarray:
    stream = None
    try:
        stream = open_stream(raw, where, limits)
        return _parse(stream, raw, where)
    except DECOMPRESS_ERRORS as exc:
        if stream is None or stream.kind is None:
            raise DataError(f"{where}: cannot read ({exc})") from exc
        raise DataError(f"{where}: the {stream.kind} stream is corrupt ({exc}); download the file again") from exc


def _parse(stream: Metered, raw: IO[bytes], where: str) -> np.ndarray:
    data = stream.read_exact(4)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES or not 1 <= data[3] <= 4:
        raise DataError(f"{where}: bad IDX magic number {data[:4].hex() or '(empty file)'}; expected 00 00 "
                        f"<type 08-0e> <ndim 1-4> (is this an MNIST-style IDX file?)")
    dtype, ndim = _DTYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    dims = stream.read_exact(4 * ndim)
    if len(dims) < 4 * ndim:
        raise DataError(f"{where}: truncated IDX header ({4 + len(dims)} bytes, needs {header})")
    shape = struct.unpack(f">{ndim}I", dims)
    nbytes = math.prod(shape) * dtype.itemsize  # Python ints: 2**31 x 2**31 x 4 does not wrap around
    promise = f"the header promises shape {shape} ({header + nbytes:,} bytes)"
    if stream.kind is None:  # a plain file: its size is known, compare before reading anything
        here = raw.tell()
        size = raw.seek(0, io.SEEK_END) - here + header
        raw.seek(here)
        if size != header + nbytes:
            raise DataError(f"{where}: {promise} but the file holds {size:,} bytes; the file is truncated or corrupt, "
                            f"download it again")
    stream.meter.expect(nbytes, "the IDX header declares")
    buf = np.empty(nbytes, np.uint8)  # pages are committed only as they are filled: a lying header costs nothing
    view, got = buf.data, 0
    while got < nbytes and (n := stream.readinto(view[got: got + CHUNK])):
        got += n
    if got < nbytes:
        raise DataError(f"{where}: {promise} but the file holds {header + got:,} bytes; the file is truncated or "
                        f"corrupt, download it again")
    if stream.read(1):
        raise DataError(f"{where}: {promise} but the file holds more bytes than that; the file is corrupt, "
                        f"download it again")
    arr = buf.view(dtype.newbyteorder("=")).reshape(shape)
    if dtype.itemsize > 1 and sys.byteorder == "little":
        arr.byteswap(inplace=True)  # the file is big-endian
    return arr


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
    _check_pixels(images, images_where)
    names = _class_names(labels, labels_where, classes)
    x = images[..., None] if images.ndim == 3 else images
    return Dataset(ArraySource(x, labels.astype(np.int64), images_where), task="image", class_names=names, name=name)


def _check_pixels(images: np.ndarray, where: str) -> None:
    if 0 in images.shape[1:3]:
        raise DataError(f"{where}: images of shape {images.shape[1:]} have no pixels")
    if images.ndim == 4 and images.shape[3] not in (1, 3, 4):
        raise DataError(f"{where}: images with {images.shape[3]} channels; expected N x H x W x C with C = 1 (grey), "
                        f"3 (RGB) or 4 (RGBA)")
    if images.dtype.kind == "f" and not all(np.isfinite(chunk).all() for chunk in np.array_split(images, 64)):
        raise DataError(f"{where}: the float pixels include NaN or infinity; torchscope shows images of finite "
                        f"numbers")


def _class_names(labels: np.ndarray, where: str, classes: Sequence[str] | None) -> list[str]:
    if labels.dtype.kind == "f" and len(labels):
        whole = np.isfinite(labels) & (labels == np.round(labels))
        if not whole.all():
            raise DataError(f"{where}: labels must be class indices 0, 1, 2, ..., but this float IDX file holds "
                            f"{float(labels[~whole][0])} (at position {int(np.argmin(whole))}); regression targets "
                            f"and NaN are not class labels")
    if len(labels) and labels.min() < 0:
        raise DataError(f"{where}: negative labels; expected class indices 0, 1, 2, ...")
    k = int(labels.max()) + 1 if len(labels) else 0
    if classes is not None and len(classes) < k:
        raise DataError(f"{where}: labels go up to {k - 1} but only {len(classes)} class names were given")
    if classes is None and k > MAX_CLASSES:
        raise DataError(f"{where}: labels go up to {k - 1:,}, so there would be {k:,} classes; torchscope "
                        f"names at most {MAX_CLASSES:,} classes itself (a label that large is usually a corrupt "
                        f"file): check the file, or pass classes=[...] with a name for every class")
    return list(classes) if classes is not None else [str(c) for c in range(k)]


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
             classes: Sequence[str] | None = None, limits: Limits | None = None) -> Dataset:
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
    images = read_idx(folder / pair["images"], limits=limits)
    labels = read_idx(folder / pair["labels"], limits=limits)
    return idx_dataset(images, labels, images_where=str(folder / pair["images"]),
                       labels_where=str(folder / pair["labels"]), name=f"{folder.name or 'idx'}/{split}",
                       classes=classes)
