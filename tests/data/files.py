"""Real data files built in the tests: IDX written byte by byte, PNG folders, tar and zip archives."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import struct
import tarfile
import zipfile
import zlib
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


# -- hostile files, built cheaply: compressed zeros are written in a stream, never held in memory --------


class Zeros:
    """A file-like source of ``n`` zero bytes: ``shutil.copyfileobj(Zeros(80 << 20), gzip_file)``."""

    def __init__(self, n: int) -> None:
        self.left = n

    def read(self, size: int = -1) -> bytes:
        size = min(self.left if size is None or size < 0 else size, self.left, 1 << 20)
        self.left -= size
        return bytes(size)


def idx_header(shape: tuple[int, ...], code: int = 0x08) -> bytes:
    return bytes([0, 0, code, len(shape)]) + b"".join(struct.pack(">I", d) for d in shape)


def gz_idx_zeros(path: Path, shape: tuple[int, ...], zeros: int | None = None) -> Path:
    """A gzipped IDX file whose header declares ``shape`` (uint8) and whose data is ``zeros`` zero bytes
    (default: what the shape needs), compressed at level 9 as real bombs are (about 1,000:1)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb", compresslevel=9) as g:
        g.write(idx_header(shape))
        shutil.copyfileobj(Zeros(int(np.prod(shape)) if zeros is None else zeros), g, 1 << 20)
    return path


def tar_of_zeros(path: Path, members: dict[str, int], mode: str = "w:gz") -> Path:
    """A compressed tar whose members (name -> size) hold nothing but zeros."""
    kwargs = {"compresslevel": 9} if mode in ("w:gz", "w:bz2") else {}
    with tarfile.open(path, mode, **kwargs) as tf:  # type: ignore[call-overload]
        for name, size in members.items():
            info = tarfile.TarInfo(name)
            info.size = size
            tf.addfile(info, Zeros(size))
    return path


def zip_of_zeros(path: Path, members: dict[str, int], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A zip whose members (name -> size) hold nothing but zeros, deflated at level 9."""
    with zipfile.ZipFile(path, "w", compression=compression, compresslevel=9) as zf:
        for name, size in members.items():
            with zf.open(name, "w") as w:
                shutil.copyfileobj(Zeros(size), w, 1 << 20)
    return path


def png_header_only(width: int, height: int) -> bytes:
    """A valid-looking 1-bit PNG of ``width x height`` pixels in a few dozen bytes (Pillow checks the
    size from the header, before it decodes a pixel)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def patch_zip_entry(path: Path, name: str, **fields: int) -> Path:
    """Rewrite fields of ``name``'s central-directory entry (and local header) in place: ``flag_bits``,
    ``compress_type``, ``extract_version``, ``file_size`` (APPNOTE 4.3.7 and 4.3.12 offsets)."""
    central = {"extract_version": (6, "<H"), "flag_bits": (8, "<H"), "compress_type": (10, "<H"),
               "file_size": (24, "<I")}
    local = {"extract_version": (4, "<H"), "flag_bits": (6, "<H"), "compress_type": (8, "<H"), "file_size": (22, "<I")}
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo(name)
    at = next(i for i in _find_all(data, b"PK\x01\x02") if data[i + 46: i + 46 + len(name)] == name.encode())
    for key, value in fields.items():
        off, fmt = central[key]
        struct.pack_into(fmt, data, at + off, value)
        off, fmt = local[key]
        struct.pack_into(fmt, data, info.header_offset + off, value)
    path.write_bytes(bytes(data))
    return path


def _find_all(data: bytearray, needle: bytes) -> list[int]:
    out, i = [], data.find(needle)
    while i >= 0:
        out.append(i)
        i = data.find(needle, i + 1)
    return out
