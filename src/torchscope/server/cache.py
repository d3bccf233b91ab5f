"""What the server keeps between requests: a short-lived view of the runs, and finished runs' series.

``RunsView`` answers "which runs exist and what is their status" from one ``store.runs()`` call
that is at most ``max_age`` seconds old, so a burst of chart requests pays for the crash
detection once instead of once per request. ``SeriesCache`` keeps downsampled series and key
listings of *finished* runs (a finished run never changes: the live stream relies on the same fact), keyed by
everything the answer depends on (run, key, rank, buckets, range, x axis), least recently used
first out when its byte budget is full. Both live on ``app.state``; nothing is module-level.

Example::

    cache = SeriesCache(max_bytes=256 << 20)
    hit = cache.get(("a1b2", "train/loss", 0, 512, None, None, "step"))
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

__all__ = ["MISSING", "RunsView", "SeriesCache", "SeriesReader", "cache_bytes"]

MISSING = object()  # cached answer "this finished run has no such key"


def cache_bytes(mb: int | None = None) -> int:
    """The series cache budget: ``mb``, else ``$TORCHSCOPE_CACHE_MB``, else 256 MB."""
    return int(mb if mb is not None else os.environ.get("TORCHSCOPE_CACHE_MB", "256")) << 20


class RunsView:
    """``store.runs()`` at most ``max_age`` seconds old: ``view.get()`` -> ``{run_id: RunInfo}``."""

    def __init__(self, store: Any, max_age: float = 1.0) -> None:
        self.store, self.max_age = store, max_age
        self._lock = threading.Lock()
        self._at = -1e18
        self._runs: dict[str, Any] = {}

    def get(self) -> dict[str, Any]:
        with self._lock:
            if time.monotonic() - self._at > self.max_age:
                self._runs = {r.id: r for r in self.store.runs()}
                self._at = time.monotonic()
            return self._runs

    def invalidate(self) -> None:
        with self._lock:
            self._at = -1e18


def _nbytes(value: Any) -> int:
    if value is MISSING:
        return 64
    if isinstance(value, tuple):  # a key listing
        return 256 + 160 * len(value)
    return 256 + sum(a.nbytes for a in vars(value).values() if isinstance(a, np.ndarray))


class SeriesCache:
    """A thread-safe LRU of finished runs' ``Scalars`` answers, bounded in bytes."""

    def __init__(self, max_bytes: int = 256 << 20) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[Any, ...], tuple[Any, int]] = OrderedDict()
        self.bytes = 0
        self.hits = self.misses = 0

    def get(self, key: tuple[Any, ...]) -> Any:
        """The cached value, or None (``MISSING`` means: cached as absent)."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        size = _nbytes(value)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = (value, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped

    def drop_run(self, run_id: str) -> None:
        """Forget every entry of a run (it was deleted or changed)."""
        with self._lock:
            for key in [k for k in self._items if run_id in k[:2]]:
                self.bytes -= self._items.pop(key)[1]

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"entries": len(self._items), "bytes": self.bytes, "hits": self.hits, "misses": self.misses}


class SeriesReader:
    """``store.scalars`` through the cache: finished runs' answers are kept, running runs' never.

    Example: ``reader.scalars(rid, "train/loss", downsample=512)`` (None when the run lacks the key).
    """

    def __init__(self, store: Any, runs: RunsView, cache: SeriesCache, workers: int | None = None) -> None:
        self.store, self.runs, self.cache = store, runs, cache
        self.workers = workers if workers is not None else min(8, 2 * (os.cpu_count() or 1))
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def scalars_many(self, run_ids: Sequence[str], key: str, **kw: Any) -> list[Any]:
        """``scalars`` for each run (same order; None where a run lacks the key), read in parallel.

        Each worker thread has its own SQLite connection and SQLite and numpy release the GIL
        while they work, so a chart over many runs reads as fast as the disk and the cores allow
        (a cold disk answers many outstanding reads much faster than one at a time).
        """
        if len(run_ids) < 2 or self.workers < 2:
            return [self.scalars(rid, key, **kw) for rid in run_ids]
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="torchscope-read")
        return list(self._pool.map(lambda rid: self.scalars(rid, key, **kw), run_ids))

    def close(self) -> None:
        """Stop the reading threads (the server calls it when it shuts down)."""
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None

    def keys(self, run_id: str, kind: str | None = None) -> list[Any]:
        """``store.keys`` (KeyError for an unknown run); a finished run's listing is kept."""
        info = self.runs.get().get(run_id)
        final = info is not None and info.status == "finished"
        ident = ("keys", run_id, kind)
        if final:
            hit = self.cache.get(ident)
            if hit is not None:
                return list(hit)
        value = self.store.keys(run_id, kind=kind)
        if final:
            self.cache.put(ident, tuple(value))
        return value

    def scalars(self, run_id: str, key: str, *, rank: int = 0, downsample: int | None = None,
                x_range: tuple[float | None, float | None] | None = None, x: str = "step") -> Any:
        info = self.runs.get().get(run_id)
        final = info is not None and info.status == "finished"
        ident = (run_id, key, rank, downsample, x_range, x)
        if final:
            hit = self.cache.get(ident)
            if hit is not None:
                return None if hit is MISSING else hit
        try:
            value = self.store.scalars(run_id, key, rank=rank, downsample=downsample, x_range=x_range, x=x)
        except KeyError:
            value = None
        if final:
            self.cache.put(ident, MISSING if value is None else value)
        return value
