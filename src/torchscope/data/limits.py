"""What one data file may cost: decompressed bytes, compression ratio and archive members.

A decompression bomb is a small file that expands to far more than it looks: 10 GiB of zeros fit
in a 10 MB gzip stream (deflate reaches about 1,030:1) and in 113 bytes of bzip2; a zip can also
point many members at one compressed block (Fifield, "A better zip bomb", USENIX WOOT 2019).
The loaders read every compressed stream through a meter (:mod:`._metered`) that stops as soon as
one of these caps is passed and raises :class:`DataError` naming the file or member, the sizes,
and how to raise the cap. Sizes that headers declare are checked first to refuse early, but
never trusted alone: the bytes that actually come out are counted too.

The defaults, each overridable by an environment variable or by ``limits=`` on the loaders:

- ``max_mb=4096`` (``$TORCHSCOPE_DATA_MAX_MB``): the most MiB decompressed (or read into memory)
  from one file, archive, or file inside an archive.
- ``max_ratio=200`` (``$TORCHSCOPE_DATA_MAX_RATIO``): the most a stream may expand, checked once
  more than ``ratio_above_mb=64`` MiB (``$TORCHSCOPE_DATA_RATIO_ABOVE_MB``) came out, so that
  small, very compressible files (label files, sparse masks) always load. MNIST's images expand
  about 5:1.
- ``max_members=2_000_000`` (``$TORCHSCOPE_DATA_MAX_MEMBERS``): entries in one archive (ImageNet's
  training set has 1.28 million), so that listing an archive is bounded work.

Example::

    ds = ts.data.load("big.tar.gz", limits=ts.data.Limits(max_mb=16_384))
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

__all__ = ["DEFAULTS", "ENV", "Limits"]

MIB = 2**20
DEFAULTS: dict[str, float] = {"max_mb": 4096.0, "max_ratio": 200.0, "ratio_above_mb": 64.0,
                              "max_members": 2_000_000}
ENV = {"max_mb": "TORCHSCOPE_DATA_MAX_MB", "max_ratio": "TORCHSCOPE_DATA_MAX_RATIO",
       "ratio_above_mb": "TORCHSCOPE_DATA_RATIO_ABOVE_MB", "max_members": "TORCHSCOPE_DATA_MAX_MEMBERS"}

T = TypeVar("T", int, float)


def _env(key: str, kind: type[T]) -> Callable[[], T]:
    """A default factory: ``$ENV[key]`` when set, else ``DEFAULTS[key]``."""
    def read() -> T:
        raw = os.environ.get(ENV[key], "").strip()
        try:
            return kind(raw.replace("_", "")) if raw else kind(DEFAULTS[key])
        except ValueError:
            raise ValueError(f"${ENV[key]}={raw!r} is not a {'whole ' if kind is int else ''}number") from None
    return read


@dataclass(frozen=True)
class Limits:
    """Caps on what loading one file may cost: ``ts.data.Limits(max_mb=16_384, max_ratio=1000)``.

    Each field not given comes from its environment variable, else the default (see the module
    docstring). ``math.inf`` turns a float cap off.
    """

    max_mb: float = field(default_factory=_env("max_mb", float))
    max_ratio: float = field(default_factory=_env("max_ratio", float))
    ratio_above_mb: float = field(default_factory=_env("ratio_above_mb", float))
    max_members: int = field(default_factory=_env("max_members", int))

    def __post_init__(self) -> None:
        for key in DEFAULTS:
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"Limits.{key} must be a positive number, got {value!r}")
        if self.max_members != math.inf and not float(self.max_members).is_integer():
            raise ValueError(f"Limits.max_members must be a whole number, got {self.max_members!r}")

    @property
    def max_bytes(self) -> float:
        """``max_mb`` in bytes."""
        return self.max_mb * MIB

    @property
    def ratio_above_bytes(self) -> float:
        """``ratio_above_mb`` in bytes."""
        return self.ratio_above_mb * MIB

    def how_to_raise(self, key: str, suggestion: float) -> str:
        """One sentence telling the user how to raise the cap ``key`` to ``suggestion``."""
        value = f"{suggestion:g}" if isinstance(suggestion, float) else str(suggestion)
        return (f"If you trust this file, raise the cap: ts.data.load(..., limits=ts.data.Limits({key}={value})) "
                f"or {ENV[key]}={value}")
