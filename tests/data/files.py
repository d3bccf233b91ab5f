"""Real data files built in the tests: IDX written byte by byte, PNG folders, tar and zip archives."""

from __future__ import annotations

import gzip
import io
import os
import struct
import tarfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

MNIST = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"
if not MNIST.is_dir():  # the checkout may sit elsewhere; the shared folder is a fixed place
    MNIST = Path("/work/shared/data/mnist")
MNIST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]

_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B, np.dtype(np.int32): 0x0C,
          np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def idx_bytes(arr: np.ndarray, *, code: int | None = None) -> bytes:
    """The IDX encoding of ``arr``, byte by byte: magic, big-endian sizes, big-endian values."""
    arr = np.asarray(arr)
    code = _CODES[arr.dtype] if code is None else code
    out = bytearray([0, 0, code, arr.ndim])
    for dim in arr.shape:
        out += struct.pack(">I", dim)
    fmt = {0x08: "B", 0x09: "b", 0x0B: ">h", 0x0C: ">i", 0x0D: ">f", 0x0E: ">d"}[code]
    for v in arr.reshape(-1).tolist():
        out += struct.pack(fmt, v)
    return bytes(out)


def write_idx(path: Path, arr: np.ndarray, *, gz: bool = False) -> Path:
    data = idx_bytes(arr)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def digits_like(n: int = 30, h: int = 6, w: int = 5, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % k).astype(np.uint8)
    x = rng.integers(0, 256, (n, h, w), dtype=np.uint8)
    return x, y


def mnist_dir(root: Path, *, gz: bool = True, n_train: int = 30, n_test: int = 12) -> tuple[Path, dict]:
    """A folder with the four standard IDX files; returns it and the arrays written."""
    sfx = ".gz" if gz else ""
    xtr, ytr = digits_like(n_train, seed=1)
    xte, yte = digits_like(n_test, seed=2)
    write_idx(root / f"train-images-idx3-ubyte{sfx}", xtr, gz=gz)
    write_idx(root / f"train-labels-idx1-ubyte{sfx}", ytr, gz=gz)
    write_idx(root / f"t10k-images-idx3-ubyte{sfx}", xte, gz=gz)
    write_idx(root / f"t10k-labels-idx1-ubyte{sfx}", yte, gz=gz)
    return root, {"train": (xtr, ytr), "test": (xte, yte)}


def png_bytes(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def png_folder(root: Path, counts: dict[str, int], *, size: tuple[int, int] = (12, 10), rgb: bool = False,
               seed: int = 0) -> dict[str, list[np.ndarray]]:
    """``root/<class>/<i>.png`` with random pixels; returns the images written per class."""
    rng = np.random.default_rng(seed)
    written: dict[str, list[np.ndarray]] = {}
    for cls, n in counts.items():
        (root / cls).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            img = rng.integers(0, 256, (*size, 3) if rgb else size, dtype=np.uint8)
            (root / cls / f"{i:03d}.png").write_bytes(png_bytes(img))
            written.setdefault(cls, []).append(img)
    return written


def tar_of(folder: Path, out: Path, arcname: str | None = None, mode: str = "w:gz") -> Path:
    with tarfile.open(out, mode) as tf:
        tf.add(folder, arcname=arcname if arcname is not None else folder.name)
    return out


def zip_of(folder: Path, out: Path, arcname: str | None = None) -> Path:
    top = arcname if arcname is not None else folder.name
    with zipfile.ZipFile(out, "w") as zf:
        for dirpath, _, files in os.walk(folder):
            for f in sorted(files):
                full = Path(dirpath) / f
                zf.write(full, f"{top}/{full.relative_to(folder).as_posix()}" if top else
                         full.relative_to(folder).as_posix())
    return out


def tar_with_member(out: Path, good: dict[str, bytes], bad: tarfile.TarInfo, bad_data: bytes = b"") -> Path:
    """A tar.gz holding ``good`` files and one hostile member ``bad``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as tf:
        for name, data in good.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        bad.size = len(bad_data) if bad.isfile() else 0
        tf.addfile(bad, io.BytesIO(bad_data) if bad.isfile() else None)
    return out


def zip_with_member(out: Path, good: dict[str, bytes], bad_name: str, bad_data: bytes = b"x",
                    symlink: bool = False) -> Path:
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in good.items():
            zf.writestr(name, data)
        info = zipfile.ZipInfo(bad_name)
        if symlink:
            info.external_attr = (0o120777 << 16)
        zf.writestr(info, bad_data)
    return out


def tree(root: Path) -> set[str]:
    """Every path under ``root`` (to check that nothing was written)."""
    return {str(p.relative_to(root)) for p in root.rglob("*")}
