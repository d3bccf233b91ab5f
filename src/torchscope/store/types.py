"""The values a store hands to readers: runs, keys and columnar series (numpy arrays)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["HistogramEntry", "ImageEntry", "KeyInfo", "RecordEntry", "RunInfo", "Scalars", "TextEntry"]

RUN_STATUSES = ("running", "finished", "crashed")


def check_status(status: str | None) -> None:
    """InvalidArgument unless ``status`` is None or one of :data:`RUN_STATUSES` (the runs filter)."""
    if status is not None and status not in RUN_STATUSES:
        from ..errors import InvalidArgument

        raise InvalidArgument(f"status must be one of {', '.join(RUN_STATUSES)}; got {status!r:.40}")


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


class ImageEntry:
    """One logged image: PNG bytes plus where it was logged.

    A listing made without ``with_data`` holds no bytes: ``data`` loads them from the store the
    first time it is read (then keeps them), so ``store.images(rid, k)[-1].to_numpy()`` reads one.
    """

    __slots__ = ("_data", "_load", "caption", "height", "id", "key", "mime", "step", "wall_time", "width")

    def __init__(self, key: str, step: int, wall_time: float, width: int, height: int, mime: str,
                 data: bytes | None = None, caption: str | None = None, id: int = 0,
                 load: Callable[[], bytes] | None = None) -> None:
        self.key, self.step, self.wall_time = key, step, wall_time
        self.width, self.height, self.mime, self.caption, self.id = width, height, mime, caption, id
        self._data, self._load = data, load

    @property
    def data(self) -> bytes:
        """The encoded image (PNG)."""
        if self._data is None:
            self._data = self._load() if self._load is not None else b""
        return self._data

    @property
    def loaded(self) -> bool:
        """Whether the bytes are in memory already."""
        return self._data is not None

    def __repr__(self) -> str:
        return f"ImageEntry(key={self.key!r}, step={self.step}, {self.width}x{self.height}, id={self.id})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImageEntry):
            return NotImplemented
        return (self.key, self.step, self.id, self.data) == (other.key, other.step, other.id, other.data)

    __hash__ = None  # type: ignore[assignment]

    def to_pil(self) -> Any:
        """The image as a PIL.Image."""
        import io

        from PIL import Image

        return Image.open(io.BytesIO(self.data))

    def to_numpy(self) -> np.ndarray:
        """The image as an HxWxC uint8 array."""
        return np.asarray(self.to_pil())


class RecordEntry:
    """A stored record with where it was logged (``rank``: the process that logged it, 0 unless the
    run was logged with ``all_ranks=True``). ``entry.data`` is its JSON part, ``entry.blob_names``
    its binary parts; ``entry.record`` is the typed record (its blobs are loaded on first use
    when the listing was made without ``with_blobs``)."""

    __slots__ = ("_blobs", "_load", "_record", "blob_names", "data", "id", "key", "kind", "rank", "step",
                 "wall_time")

    def __init__(self, id: int, key: str, kind: str, step: int, wall_time: float, data: dict[str, Any],
                 rank: int = 0, *, blobs: dict[str, bytes] | None = None, blob_names: tuple[str, ...] = (),
                 load: Callable[[], dict[str, bytes]] | None = None) -> None:
        self.id, self.key, self.kind, self.step, self.wall_time = id, key, kind, step, wall_time
        self.data, self.rank = data, rank
        self.blob_names = tuple(blobs) if blobs is not None else tuple(blob_names)
        self._blobs, self._load = blobs, load
        self._record: Any = None

    @property
    def blobs(self) -> dict[str, bytes]:
        """Every binary part, loaded from the store the first time."""
        if self._blobs is None:
            self._blobs = self._load() if self._load is not None and self.blob_names else {}
        return self._blobs

    @property
    def record(self) -> Any:
        """The typed record (a ``GenericRecord`` when its kind is not registered)."""
        if self._record is None:
            from ..records import rebuild

            self._record = rebuild(self.kind, self.data, self.blobs)
        return self._record

    def __repr__(self) -> str:
        rank = f", rank={self.rank}" if self.rank else ""
        return f"RecordEntry(key={self.key!r}, kind={self.kind!r}, step={self.step}{rank})"


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
