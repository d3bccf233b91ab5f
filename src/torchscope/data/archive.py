"""Data sets inside ``.tar.gz``/``.tgz``/``.tar``/``.zip`` archives, read without unpacking to disk.

An archive holds either an image folder (one sub-folder per class, possibly under one top folder
and ``train/``/``test/``) or MNIST-style IDX files. Nothing is ever extracted: zip members are
read on demand (random access); a compressed tar is read in one sequential pass that keeps each
image's *encoded* bytes in memory (a PNG digit is ~300 bytes) and decodes them when asked for.

Hostile archives are refused before any sample is read: member names that are absolute
(``/etc/passwd``, ``C:\\x``), that climb out with ``..``, and links, device files and sparse files
raise :class:`DataError` naming the archive and the member (the checks Python's ``tarfile`` "data"
extraction filter makes, PEP 706). Every member is read through a meter (:mod:`._metered`) that
holds the archive to its :class:`~.limits.Limits`: declared sizes are refused early, and the bytes
that actually come out are counted as they come, so a decompression bomb stops at the cap.

Example::

    ds = ts.data.load("mnist_1000_28x28_train.tar.gz")
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from ._images import IMAGE_EXTENSIONS, decode_image
from ._metered import DECOMPRESS_ERRORS, check_zip_member, open_stream, read_zip_member
from .dataset import DataError, Dataset
from .folder import class_layout, probe
from .idx import IDX_NAME, choose_pair, find_idx_pairs, idx_dataset, parse_idx
from .limits import Limits

__all__ = ["ARCHIVE_SUFFIXES", "BytesSource", "ZipSource", "check_member_name", "is_archive", "load_archive"]

ZIP_OPEN_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError)  # "zip file version 9.6"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".zip")


def is_archive(path: str | os.PathLike[str]) -> bool:
    """True for the archive types torchscope reads: ``is_archive("x.tar.gz")``."""
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def check_member_name(name: str, where: str) -> str:
    """Refuse absolute or climbing member names; return the name as a clean POSIX path."""
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":") or ".." in PurePosixPath(norm).parts:
        raise DataError(f"{where}: refusing unsafe member name {name!r} (absolute or '..' path traversal); "
                        f"this archive may be malicious, nothing was read or written")
    return "/".join(p for p in PurePosixPath(norm).parts if p not in (".", ""))


class BytesSource:
    """Encoded images held in memory, decoded on access (from a tar archive)."""

    thread_safe = True

    def __init__(self, location: str, names: list[str], blobs: list[bytes], labels: np.ndarray, *, mode: str,
                 size: tuple[int, int]) -> None:
        self.location, self.names, self.blobs, self._y = location, names, blobs, labels
        self.mode, self.size = mode, tuple(size)

    def __len__(self) -> int:
        return len(self.blobs)

    @property
    def targets(self) -> np.ndarray:
        return self._y

    def read(self, i: int) -> np.ndarray:
        return decode_image(self.blobs[i], f"{self.location}:{self.names[i]}", mode=self.mode,
                            size=self.size)  # type: ignore[arg-type]


class ZipSource:
    """Images read from a zip file on demand; the zip is reopened in each worker process."""

    thread_safe = True

    def __init__(self, location: str, names: list[str], labels: np.ndarray, *, mode: str,
                 size: tuple[int, int], limits: Limits) -> None:
        self.location, self.names, self._y, self.mode, self.size = location, names, labels, mode, tuple(size)
        self.limits = limits
        self._zip: zipfile.ZipFile | None = None
        self._pid = -1

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_zip": None, "_pid": -1}

    def __len__(self) -> int:
        return len(self.names)

    @property
    def targets(self) -> np.ndarray:
        return self._y

    def read(self, i: int) -> np.ndarray:
        if self._zip is None or self._pid != os.getpid():
            try:
                self._zip, self._pid = zipfile.ZipFile(self.location), os.getpid()
            except ZIP_OPEN_ERRORS as exc:
                raise DataError(f"{self.location}: not a readable zip file any more ({exc})") from exc
        where = f"{self.location}:{self.names[i]}"
        data = read_zip_member(self._zip, self.names[i], where, self.limits)
        return decode_image(data, where, mode=self.mode, size=self.size)  # type: ignore[arg-type]


def _wanted(name: str) -> bool:
    """Members a data set is made of: images and IDX files."""
    path = PurePosixPath(name)
    return path.suffix.lower() in IMAGE_EXTENSIONS or IDX_NAME.match(path.name) is not None


def _too_many(path: str, limits: Limits) -> DataError:
    return DataError(f"{path}: more than {limits.max_members:,} members; listing it could take unbounded time and "
                     f"memory. {limits.how_to_raise('max_members', 10 * limits.max_members)}")


def _zip_members(path: str, limits: Limits) -> tuple[list[str], dict[str, str]]:
    """Safe file names of a zip, and a map from clean name to the stored name."""
    try:
        zf = zipfile.ZipFile(path)
    except ZIP_OPEN_ERRORS as exc:
        raise DataError(f"{path}: not a readable zip file ({exc})") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            raise _too_many(path, limits)
        stored: dict[str, str] = {}
        for info in infos:
            clean = check_member_name(info.filename, path)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise DataError(f"{path}: refusing symbolic link member {info.filename!r}; "
                                f"this archive may be malicious, nothing was read or written")
            if not info.is_dir() and clean:
                if _wanted(clean):
                    check_zip_member(info, f"{path}:{info.filename}", limits)
                stored[clean] = info.filename
    return list(stored), stored


def _tar_members(path: str, limits: Limits) -> dict[str, bytes]:
    """One sequential pass over a tar: check every member, keep the bytes of the images and IDX files."""
    out: dict[str, bytes] = {}
    from torchscope._progress import tqdm

    try:
        with open(path, "rb") as raw, tqdm(desc=f"reading {os.path.basename(path)}", unit="file",
                                           disable=os.path.getsize(path) < 50_000_000) as bar:
            stream = open_stream(raw, path, limits)
            with tarfile.open(fileobj=stream, mode="r|") as tf:  # type: ignore[call-overload]
                count = 0
                while (m := tf.next()) is not None:
                    tf.members.clear()  # stream mode would keep every header: memory bounded by one member
                    count += 1
                    if count > limits.max_members:
                        raise _too_many(path, limits)
                    clean = check_member_name(m.name, path)
                    if m.issym() or m.islnk() or m.isdev() or m.issparse():
                        kind = "link" if m.issym() or m.islnk() else "device" if m.isdev() else "sparse file"
                        raise DataError(f"{path}: refusing {kind} member {m.name!r}; "
                                        f"this archive may be malicious, nothing was read or written")
                    stream.meter.member = m.name
                    stream.meter.expect(m.size, "its tar header declares")
                    if m.isfile() and clean and _wanted(clean):
                        f = tf.extractfile(m)
                        out[clean] = f.read() if f is not None else b""
                        bar.update(1)
                    stream.meter.member = None
    except (tarfile.TarError, *DECOMPRESS_ERRORS) as exc:
        raise DataError(f"{path}: not a readable tar archive ({exc})") from exc
    return out


def load_archive(path: str | os.PathLike[str], *, subset: str | None = None, mode: str | None = None,
                 size: tuple[int, int] | None = None, classes: list[str] | None = None,
                 limits: Limits | None = None) -> Dataset:
    """Load an image folder or IDX files from inside an archive: ``load_archive("digits.zip")``.

    ``limits`` caps what reading it may cost (default: ``Limits()``, from the environment).
    """
    where = str(path)
    limits = limits if limits is not None else Limits()
    if not Path(where).is_file():
        raise DataError(f"{where}: no such archive")
    if mode not in (None, "L", "RGB"):
        raise ValueError(f"mode must be 'L' (greyscale), 'RGB' or None (as the first image), got {mode!r}")
    stem = Path(where).name
    for suffix in ARCHIVE_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    stored: dict[str, str] = {}
    blobs: dict[str, bytes] = {}
    is_zip = where.lower().endswith(".zip")
    if is_zip:
        names, stored = _zip_members(where, limits)
    else:
        blobs = _tar_members(where, limits)
        names = list(blobs)
    pairs = find_idx_pairs([n for n in names if IDX_NAME.match(PurePosixPath(n).name)])
    if pairs and not any(PurePosixPath(n).suffix.lower() in IMAGE_EXTENSIONS for n in names):
        split, pair = choose_pair(pairs, subset, where)
        if is_zip:
            with zipfile.ZipFile(where) as zf:
                raw = {k: read_zip_member(zf, stored[pair[k]], f"{where}:{stored[pair[k]]}", limits)
                       for k in ("images", "labels")}
        else:
            raw = {k: blobs[pair[k]] for k in ("images", "labels")}
        iw, lw = f"{where}:{pair['images']}", f"{where}:{pair['labels']}"
        images, labels = parse_idx(raw["images"], iw, limits=limits), parse_idx(raw["labels"], lw, limits=limits)
        return idx_dataset(images, labels, images_where=iw, labels_where=lw, name=f"{stem}/{split}", classes=classes)
    class_names, files, labels, folder_split = class_layout(names, where, subset)
    if classes is not None:
        raise ValueError("classes= only applies to IDX files; an image folder names its classes by its folders")
    name = stem + (f"/{folder_split}" if folder_split else "")
    if is_zip:
        with zipfile.ZipFile(where) as zf:
            first = read_zip_member(zf, stored[files[0]], f"{where}:{stored[files[0]]}", limits)
        mode, size = probe(first, f"{where}:{files[0]}", mode, size)
        src: Any = ZipSource(where, [stored[f] for f in files], labels, mode=mode, size=size, limits=limits)
    else:
        mode, size = probe(blobs[files[0]], f"{where}:{files[0]}", mode, size)
        src = BytesSource(where, files, [blobs[f] for f in files], labels, mode=mode, size=size)
    return Dataset(src, task="image", class_names=class_names, name=name)
