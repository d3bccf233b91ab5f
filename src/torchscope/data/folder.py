"""Image folders: one sub-folder per class (the layout torchvision's ``ImageFolder`` reads).

``root/<class>/<any depth>/<image>``, optionally under ``root/train/`` and ``root/test/``.
Loading only lists file names and decodes the first image (to learn the size and colour mode);
every other image is decoded when it is asked for, so a folder of 100,000 files starts at once.
Images of another size are resized to the first one's (bilinear), so the views can average them.

Example::

    ds = ts.data.load("path/to/images/", subset="test", size=(64, 64), mode="RGB")
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._images import IMAGE_EXTENSIONS, decode_image
from .dataset import DataError, Dataset

__all__ = ["FileSource", "class_layout", "load_folder", "natural_key", "regular_file"]

SPLIT_NAMES = {"train": "train", "training": "train", "test": "test", "testing": "test",
               "val": "val", "valid": "val", "validation": "val"}


def natural_key(text: str) -> list[object]:
    """Sort key that puts ``"2"`` before ``"10"``: ``sorted(names, key=natural_key)``."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


def _hidden(parts: Sequence[str]) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


def class_layout(paths: Sequence[str], where: str, subset: str | None = None
                 ) -> tuple[list[str], list[str], np.ndarray, str | None]:
    """Find the class folders among POSIX relative ``paths``.

    Returns ``(class_names, image_paths, labels, split)``; raises :class:`DataError` when the
    images are not arranged one folder per class.
    """
    images = [p for p in paths if os.path.splitext(p)[1].lower() in IMAGE_EXTENSIONS and not _hidden(p.split("/"))]
    if not images:
        raise DataError(f"{where}: no image files found (looked for {', '.join(sorted(IMAGE_EXTENSIONS))}); "
                        f"an image data set needs one sub-folder of images per class")
    parts = [tuple(p.split("/")) for p in images]  # clean POSIX relative paths: plain string work is fast
    prefix = min(_common_dirs(parts), min(len(p) for p in parts) - 2)  # keep one folder level for classes
    rest = [p[max(prefix, 0):] for p in parts]
    split = None
    firsts = {r[0].lower() for r in rest}
    if all(len(r) > 2 for r in rest) and firsts <= set(SPLIT_NAMES):
        have = sorted({SPLIT_NAMES[f] for f in firsts})
        split = subset or ("train" if "train" in have else have[0])
        if split not in have:
            raise DataError(f"{where}: no {split!r} folder here (found {have}); pass subset= one of them")
        keep = [i for i, r in enumerate(rest) if SPLIT_NAMES[r[0].lower()] == split]
        images = [images[i] for i in keep]
        rest = [rest[i][1:] for i in keep]
    elif subset is not None:
        raise DataError(f"{where}: subset={subset!r} was asked for but there are no train/test folders here")
    loose = [r for r in rest if len(r) < 2]
    if loose:
        raise DataError(f"{where}: found {len(loose)} image(s) outside any class folder (e.g. "
                        f"{'/'.join(loose[0])!r}); put each class's images in its own sub-folder, "
                        f"like 'cat/001.png' and 'dog/001.png'")
    names = sorted({r[0] for r in rest}, key=natural_key)
    index = {n: i for i, n in enumerate(names)}
    labels = np.fromiter((index[r[0]] for r in rest), dtype=np.int64, count=len(rest))
    order = np.lexsort((np.arange(len(rest)), labels))
    return names, [images[i] for i in order], labels[order], split


def _common_dirs(parts: Sequence[Sequence[str]]) -> int:
    """Number of leading folders all paths share (file names excluded)."""
    first = parts[0][:-1]
    n = len(first)
    for p in parts[1:]:
        dirs = p[:-1]
        n = min(n, len(dirs))
        for i in range(n):
            if dirs[i] != first[i]:
                n = i
                break
        if n == 0:
            break
    return n


class FileSource:
    """Images read from files on demand: ``FileSource(root, ["0/a.png"], labels, mode="L", size=(28, 28))``."""

    thread_safe = True

    def __init__(self, root: str, files: list[str], labels: np.ndarray, *, mode: str, size: tuple[int, int]) -> None:
        self.root, self.files, self._y, self.mode, self.size = root, files, labels, mode, tuple(size)
        self.location = root

    def __len__(self) -> int:
        return len(self.files)

    @property
    def targets(self) -> np.ndarray:
        return self._y

    def read(self, i: int) -> np.ndarray:
        path = regular_file(os.path.join(self.root, self.files[i]))
        return decode_image(path, path, mode=self.mode, size=self.size)  # type: ignore[arg-type]


def regular_file(path: str) -> str:
    """``path`` when it is a regular file (or a link to one); a FIFO would block the reader forever."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise DataError(f"{path}: cannot read this image ({exc.strerror or exc}); remove or replace the file") from exc
    if not stat.S_ISREG(mode):
        raise DataError(f"{path}: not a regular file (a FIFO, socket or device); an image folder holds image files")
    return path


def probe(read_first: object, where: str, mode: str | None, size: tuple[int, int] | None) -> tuple[str, tuple]:
    """Colour mode and size to use: the caller's, else the first image's."""
    first = decode_image(read_first, where, mode=mode, size=size)  # type: ignore[arg-type]
    return (mode or ("L" if first.shape[2] == 1 else "RGB")), (size or first.shape[:2])


def load_folder(path: str | os.PathLike[str], *, subset: str | None = None, mode: str | None = None,
                size: tuple[int, int] | None = None) -> Dataset:
    """Load an image folder with one sub-folder per class: ``load_folder("flowers/")``."""
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder")
    if mode not in (None, "L", "RGB"):
        raise ValueError(f"mode must be 'L' (greyscale), 'RGB' or None (as the first image), got {mode!r}")
    rel: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        base = os.path.relpath(dirpath, root)
        prefix = "" if base == "." else base.replace(os.sep, "/") + "/"
        rel.extend(prefix + f for f in filenames)
    names, files, labels, split = class_layout(rel, str(root), subset)
    first = regular_file(str(root / files[0]))
    mode, size = probe(first, first, mode, size)
    name = root.name + (f"/{split}" if split else "")
    return Dataset(FileSource(str(root), files, labels, mode=mode, size=size), task="image", class_names=names,
                   name=name)
