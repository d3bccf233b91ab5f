"""The values a store hands to readers: runs, keys and columnar series (numpy arrays)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["HistogramEntry", "ImageEntry", "KeyInfo", "RunInfo", "Scalars", "TextEntry"]

RUN_STATUSES = ("running", "finished", "crashed")


@dataclasses.dataclass
class RunInfo:
    """One run as readers see it. ``status`` is running, finished or crashed."""

    id: str
    project: str
    name: str
    config: dict[str, Any]
    tags: list[str]
    status: str
    created: float
    ended: float | None
    summary: dict[str, Any]
    world_size: int
    ranks: list[int]
    host: str | None
    notes: str = ""
    archived: bool = False
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class KeyInfo:
    """A key logged in a run: its kind (scalar, image, histogram, text, record), rank and count."""

    key: str
    kind: str
    rank: int
    count: int
    record_kind: str | None = None
    order: int = 0  # increases with the time the key was first logged (forward order for watch layers)


@dataclasses.dataclass
class Scalars:
    """A scalar series, columnar. Downsampled series add per-bucket ``min``, ``max``, ``count``.

    ``step``/``wall_time``/``value`` are every point in order of step, or, when ``downsampled``,
    one entry per non-empty bucket: the bucket's last point, with ``min``/``max`` over the bucket
    (NaN ignored; ``nan_count`` says how many NaN were in it), so a spike is never hidden.
    """

    key: str
    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray
    downsampled: bool = False
    total: int = 0
    min: np.ndarray | None = None
    max: np.ndarray | None = None
    count: np.ndarray | None = None
    nan_count: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.step)

    def to_columns(self) -> dict[str, list[Any]]:
        """Columnar plain lists (NaN/inf as floats), e.g. for JSON or uPlot."""
        out: dict[str, list[Any]] = {
            "step": self.step.tolist(),
            "wall_time": self.wall_time.tolist(),
            "value": self.value.tolist(),
        }
        for name in ("min", "max", "count", "nan_count"):
            arr = getattr(self, name)
            if arr is not None:
                out[name] = arr.tolist()
        return out


@dataclasses.dataclass
class ImageEntry:
    """One logged image: PNG bytes plus where it was logged."""

    key: str
    step: int
    wall_time: float
    width: int
    height: int
    mime: str
    data: bytes
    caption: str | None = None
    id: int = 0

    def to_pil(self) -> Any:
        """The image as a PIL.Image."""
        import io

        from PIL import Image

        return Image.open(io.BytesIO(self.data))

    def to_numpy(self) -> np.ndarray:
        """The image as an HxWxC uint8 array."""
        return np.asarray(self.to_pil())


@dataclasses.dataclass
class HistogramEntry:
    """One histogram: ``counts`` over ``len(counts)`` equal bins spanning [lo, hi], with stats."""

    key: str
    step: int
    wall_time: float
    lo: float
    hi: float
    counts: np.ndarray
    stats: dict[str, Any]

    @property
    def edges(self) -> np.ndarray:
        """Bin edges: equal bins over [lo, hi], or the imported ones kept in ``stats["edges"]``."""
        given = self.stats.get("edges")
        if isinstance(given, list) and len(given) == len(self.counts) + 1:
            return np.asarray(given, np.float64)
        return np.linspace(self.lo, self.hi, len(self.counts) + 1)


@dataclasses.dataclass
class TextEntry:
    key: str
    step: int
    wall_time: float
    text: str
