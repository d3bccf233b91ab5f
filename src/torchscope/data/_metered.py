"""Metered reading: every decompressed byte is counted against :class:`~.limits.Limits` as it comes.

:func:`open_stream` detects gzip, bzip2 and xz by their magic numbers, decompresses in bounded
steps (Python's ``gzip``/``bz2``/``lzma`` readers never produce more than was asked for) and
raises :class:`DataError` the moment the file passes ``max_mb`` or, past ``ratio_above_mb``,
expands more than ``max_ratio``:1. :meth:`Meter.expect` refuses a size a header declares before
any of it is read. :func:`read_zip_member` does the same for one zip member.

Example::

    with open(path, "rb") as raw:
        stream = open_stream(raw, path, Limits())
        head = stream.read(16)
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
import zlib
from collections.abc import Callable
from typing import IO, Any

from .dataset import DataError
from .limits import Limits

__all__ = ["CHUNK", "DECOMPRESS_ERRORS", "Meter", "Metered", "check_zip_member", "human", "open_stream",
           "read_zip_member"]

CHUNK = 1 << 20
ABSURD = 1 << 50  # a declared size past a pebibyte is no data set
DECOMPRESS_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)
_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz"}


def human(n: float) -> str:
    """A byte count for people: ``human(3 * 2**30) == "3.0 GiB"``."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:,.0f} bytes" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


class Meter:
    """Counts the bytes that come out of one file against its caps; ``member`` names what is being read."""

    def __init__(self, where: str, limits: Limits, compressed: Callable[[], int] | None = None) -> None:
        self.where, self.limits, self.compressed, self.used = where, limits, compressed, 0
        self.member: str | None = None

    def _what(self) -> str:
        return f"{self.where}: member {self.member!r}" if self.member else self.where

    def expect(self, declared: int, what: str) -> None:
        """Refuse early when ``declared`` more bytes (as a header says) would pass ``max_mb``."""
        if self.used + declared > self.limits.max_bytes:
            advice = ("No data set is that large: the file is corrupt or malicious." if declared > ABSURD else
                      self.limits.how_to_raise("max_mb", _suggest(self.used + declared)))
            raise DataError(f"{self._what()}: {what} {human(declared)} ({declared:,} bytes), more than the cap of "
                            f"{human(self.limits.max_bytes)} on what one file may decompress to; nothing of it was "
                            f"read. {advice}")

    def charge(self, n: int) -> None:
        """Count ``n`` more bytes out; raise as soon as a cap is passed."""
        self.used += n
        if self.used > self.limits.max_bytes:
            raise DataError(f"{self._what()}: decompresses to more than the cap of {human(self.limits.max_bytes)} "
                            f"(stopped after {self.used:,} bytes); this may be a decompression bomb. "
                            f"{self.limits.how_to_raise('max_mb', _suggest(2 * self.limits.max_bytes))}")
        if self.compressed is not None and self.used > self.limits.ratio_above_bytes:
            packed = max(1, self.compressed())
            if self.used > self.limits.max_ratio * packed:
                raise DataError(f"{self._what()}: expands more than {self.limits.max_ratio:g}:1 ({self.used:,} bytes "
                                f"out of {packed:,} compressed bytes so far, and still going); this looks like a "
                                f"decompression bomb, so torchscope stopped reading. "
                                f"{self.limits.how_to_raise('max_ratio', 10 * self.limits.max_ratio)}")


def _suggest(n: float) -> float:
    """A round number of MiB above ``n`` bytes."""
    mb = n / 2**20
    step = 1024.0 if mb > 1024 else 64.0
    return float((int(mb // step) + 1) * step)


class _Counting:
    """A binary file read through, counting the compressed bytes that pass."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.count = raw, 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.count += len(data)
        return data


class Metered:
    """A decompressed stream that charges its :class:`Meter` for every byte it returns."""

    def __init__(self, stream: Any, meter: Meter, kind: str | None) -> None:
        self.stream, self.meter, self.kind = stream, meter, kind

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            parts = []
            while chunk := self.read(CHUNK):
                parts.append(chunk)
            return b"".join(parts)
        data = self.stream.read(n)
        self.meter.charge(len(data))
        return data

    def readinto(self, buf: memoryview) -> int:
        n = int(self.stream.readinto(buf) or 0)
        self.meter.charge(n)
        return n

    def read_exact(self, n: int) -> bytes:
        """Up to ``n`` bytes, fewer only at the end of the stream."""
        parts, got = [], 0
        while got < n and (chunk := self.read(min(CHUNK, n - got))):
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)


def open_stream(raw: IO[bytes], where: str, limits: Limits) -> Metered:
    """``raw`` (a seekable binary file at its start), decompressed if it is gzip, bzip2 or xz, and metered."""
    head = raw.read(6)
    raw.seek(-len(head), 1)
    kind = next((k for magic, k in _MAGIC.items() if head.startswith(magic)), None)
    if kind is None:
        return Metered(raw, Meter(where, limits), None)
    counting = _Counting(raw)
    opener: Any = {"gzip": lambda f: gzip.GzipFile(fileobj=f, mode="rb"), "bzip2": bz2.BZ2File,
                   "xz": lzma.LZMAFile}[kind]
    return Metered(opener(counting), Meter(where, limits, lambda: counting.count), kind)


def read_zip_member(zf: zipfile.ZipFile, name: str, where: str, limits: Limits) -> bytes:
    """The bytes of one zip member, refused early on its declared sizes, then counted as they come."""
    try:
        info = zf.getinfo(name)
        meter = Meter(where, limits, lambda: info.compress_size)
        check_zip_member(info, where, limits)
        with zf.open(info) as f:
            parts = []
            while chunk := f.read(CHUNK):
                meter.charge(len(chunk))
                parts.append(chunk)
    except (zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError, *DECOMPRESS_ERRORS) as exc:
        raise DataError(f"{where}: cannot read this member ({exc})") from exc
    return b"".join(parts)


def check_zip_member(info: zipfile.ZipInfo, where: str, limits: Limits) -> None:
    """Refuse a zip member whose declared size or ratio passes the caps, or that cannot be read (safely)."""
    if info.flag_bits & 0x1:
        raise DataError(f"{where}: this zip member is encrypted (password-protected); unpack the archive with its "
                        f"password and load the folder")
    if info.compress_type == zipfile.ZIP_BZIP2:
        raise DataError(f"{where}: this zip member is bzip2-compressed, which Python's zipfile decompresses without "
                        f"a bound on memory (100 MiB of zeros fit in 113 bytes); repack it with deflate (`zip -r`) "
                        f"or as a .tar.bz2, which torchscope reads with a bound")
    meter = Meter(where, limits)
    meter.expect(info.file_size, "the zip directory declares")
    if info.file_size > limits.ratio_above_bytes and info.file_size > limits.max_ratio * max(1, info.compress_size):
        raise DataError(f"{where}: the zip directory declares {info.file_size:,} bytes from {info.compress_size:,} "
                        f"compressed bytes, more than {limits.max_ratio:g}:1; this looks like a decompression bomb, "
                        f"nothing of it was read. {limits.how_to_raise('max_ratio', 10 * limits.max_ratio)}")
