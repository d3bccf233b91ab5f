"""A :class:`~torchscope.store.provider.Provider` that remembers: what the dashboard reads through.

``CachingProvider(inner)`` answers as ``inner`` does (the same contract, the same typed errors)
and keeps what cannot change:

- the run listing, at most ``max_age`` seconds old (one ``runs()`` per burst of chart requests;
  filters are applied to the cached listing, so every filter sees the same moment);
- key listings, downsampled series and record listings of *finished* runs (a finished run never
  changes: the live stream relies on the same fact), keyed by everything the answer depends on
  (run, key, rank, buckets, range, x axis; run, kind, key, rank), with "not there" cached too;
- records by id, of any run (a record once written never changes): each entry's blobs
  (``record(run, id)``) and its typed record, rebuilt once (``entry.record`` of any entry this
  provider lists, and ``latest``): a 70,000-point projection decodes its sprite sheet once.

All of it lives in one byte-bounded LRU (:class:`SeriesCache`, ``TORCHSCOPE_CACHE_MB``; an answer
larger than the whole budget is not kept), the one read cache of the dashboard. Two requests
for the same missing answer read it once (the second waits for the first). Running runs' series
and listings are always read fresh. ``scalars_many`` reads one key of many runs in parallel
(each worker thread has its own SQLite connection; SQLite and numpy release the GIL). Changing a
run goes through :class:`~torchscope.store.admin.RunAdmin` and then :meth:`invalidate`.

Example::

    provider = CachingProvider(ts.open("tsruns"), cache=SeriesCache(max_bytes=256 << 20))
    curves = provider.scalars_many(["a1", "b2"], "train/loss", downsample=800)   # None where absent
    proj = provider.records(run_id, kind="data.projection")[-1].record           # rebuilt once, then kept
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import NotFound
from ..records import Record
from .provider import Provider
from .types import HistogramEntry, ImageEntry, KeyInfo, RecordEntry, RunInfo, Scalars, TextEntry, check_status

__all__ = ["MISSING", "CachingProvider", "SeriesCache", "cache_bytes", "deep_bytes"]

MISSING = object()  # cached answer "this finished run has no such key"


def cache_bytes(mb: int | None = None) -> int:
    """The series cache budget: ``mb``, else ``$TORCHSCOPE_CACHE_MB``, else 256 MB."""
    return int(mb if mb is not None else os.environ.get("TORCHSCOPE_CACHE_MB", "256")) << 20


def _nbytes(value: Any) -> int:
    if value is MISSING:
        return 64
    if isinstance(value, tuple):  # a key listing
        return 256 + 160 * len(value)
    return 256 + sum(a.nbytes for a in vars(value).values() if isinstance(a, np.ndarray))


def deep_bytes(obj: Any, depth: int = 8) -> int:
    """About how many bytes ``obj`` holds: arrays (anything with an int ``nbytes``), bytes and strings,
    through dicts, lists, tuples, dataclasses and plain objects: ``deep_bytes(record)``."""
    n = getattr(obj, "nbytes", None)
    if isinstance(n, int):
        return n
    if isinstance(obj, (bytes, bytearray, memoryview, str)):
        return len(obj)
    if depth <= 0 or obj is None or isinstance(obj, (bool, int, float)):
        return 8
    if isinstance(obj, dict):
        return 64 + sum(deep_bytes(k, depth - 1) + deep_bytes(v, depth - 1) for k, v in obj.items())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return 56 + sum(deep_bytes(v, depth - 1) for v in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return 64 + sum(deep_bytes(getattr(obj, f.name, None), depth - 1) for f in dataclasses.fields(obj))
    if hasattr(obj, "__dict__"):
        return 64 + deep_bytes(vars(obj), depth - 1)
    return 16


def _listing_bytes(entries: tuple[RecordEntry, ...]) -> int:
    """A record listing without blobs: the entries and their JSON parts."""
    return 256 + sum(200 + deep_bytes(e.data) for e in entries)


def _entry_bytes(entry: RecordEntry) -> int:
    """A record entry with its blobs."""
    return 200 + deep_bytes(entry.data) + sum(len(b) for b in entry.blobs.values())


class _KeptEntry(RecordEntry):
    """An entry listed by a :class:`CachingProvider`: its blobs and its typed record come through the
    provider's cache (by record id), so every listing shares one rebuilt record."""

    __slots__ = ("_owner", "_run")

    def __init__(self, owner: CachingProvider, run_id: str, e: RecordEntry) -> None:
        super().__init__(e.id, e.key, e.kind, e.step, e.wall_time, e.data, e.rank, blob_names=e.blob_names)
        self._owner, self._run = owner, run_id

    @property
    def blobs(self) -> dict[str, bytes]:
        """Every binary part (kept by the provider)."""
        return self._owner.stored(self._run, self.id).blobs if self.blob_names else {}

    @property
    def record(self) -> Any:
        """The typed record, rebuilt once and kept by the provider (shared: do not change it)."""
        return self._owner.typed(self._run, self.id)


class SeriesCache:
    """A thread-safe LRU of finished runs' answers, bounded in bytes: ``SeriesCache(max_bytes=64 << 20)``."""

    def __init__(self, max_bytes: int = 256 << 20) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[Any, ...], tuple[Any, int]] = OrderedDict()
        self._loading: dict[tuple[Any, ...], threading.Event] = {}
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

    def peek(self, key: tuple[Any, ...]) -> Any:
        """As :meth:`get`, but a miss is not counted (the caller asks :meth:`get` for it next)."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def get_or_load(self, key: tuple[Any, ...], load: Callable[[], Any], size: Callable[[Any], int]) -> Any:
        """The cached value of ``key``, or ``load()`` kept with ``size(value)`` bytes. While one thread
        loads a key, the others asking for it wait for its answer instead of loading it again."""
        while True:
            with self._lock:
                item = self._items.get(key)
                if item is not None:
                    self._items.move_to_end(key)
                    self.hits += 1
                    return item[0]
                loading = self._loading.get(key)
                if loading is None:
                    loading = self._loading[key] = threading.Event()
                    self.misses += 1
                    break
            loading.wait()  # then look again: kept, or (failed, too large) this thread loads it
        try:
            value = load()
            self.put(key, value, size(value))
            return value
        finally:
            with self._lock:
                del self._loading[key]
            loading.set()

    def put(self, key: tuple[Any, ...], value: Any, size: int | None = None) -> None:
        """Keep ``value`` (``size`` bytes; measured when not given); one larger than the budget is not kept."""
        size = _nbytes(value) if size is None else size
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


class CachingProvider:
    """``inner``'s answers, with finished runs' series and a short-lived run listing kept (see the module doc)."""

    def __init__(self, inner: Provider, *, cache: SeriesCache | None = None, max_age: float = 1.0,
                 workers: int | None = None) -> None:
        self.inner = inner
        self.cache = cache if cache is not None else SeriesCache()
        self.max_age = max_age
        self.workers = workers if workers is not None else min(8, 2 * (os.cpu_count() or 1))
        self._runs_lock = threading.Lock()
        self._runs_at = -1e18
        self._runs: list[RunInfo] = []
        self._by_id: dict[str, RunInfo] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    @property
    def dir(self) -> Path:
        return self.inner.dir  # type: ignore[attr-defined,no-any-return]  # a directory store's

    @property
    def location(self) -> str:
        return self.inner.location

    # -- runs ------------------------------------------------------------------------------
    def _listing(self) -> list[RunInfo]:
        return self._fresh()[0]

    def _fresh(self) -> tuple[list[RunInfo], dict[str, RunInfo]]:
        if time.monotonic() - self._runs_at <= self.max_age:  # the common case: no lock, no copy
            return self._runs, self._by_id
        with self._runs_lock:
            if time.monotonic() - self._runs_at > self.max_age:
                runs = self.inner.runs()
                self._runs, self._by_id = runs, {r.id: r for r in runs}
                self._runs_at = time.monotonic()
            return self._runs, self._by_id

    def runs(self, *, project: str | None = None, tags: list[str] | None = None, status: str | None = None,
             archived: bool | None = None) -> list[RunInfo]:
        check_status(status)
        return [r for r in self._listing()
                if (project is None or r.project == project) and (status is None or r.status == status)
                and (archived is None or r.archived == archived) and (not tags or set(tags) <= set(r.tags))]

    def by_id(self) -> dict[str, RunInfo]:
        """The cached listing as ``{run_id: RunInfo}`` (at most ``max_age`` seconds old; do not change it)."""
        return self._fresh()[1]

    def run(self, run_id: str) -> RunInfo:
        for info in self._listing():
            if info.id == run_id:
                return info
        self.invalidate()  # created in the last moment?
        return self.inner.run(run_id)

    def projects(self) -> list[str]:
        return sorted({r.project for r in self._listing()})

    def invalidate(self, run_id: str | None = None) -> None:
        """Forget the listing (and a changed or deleted run's cached series)."""
        with self._runs_lock:
            self._runs_at = -1e18
        if run_id is not None:
            self.cache.drop_run(run_id)

    def changes(self) -> Any:
        """The inner store's live change feed (a PostgreSQL store's), or None."""
        changes = getattr(self.inner, "changes", None)
        return changes() if callable(changes) else None

    def refresh_status(self) -> list[str]:
        dead = self.inner.refresh_status()
        if dead:
            self.invalidate()
        return dead

    def _finished(self, run_id: str) -> bool:
        info = self.by_id().get(run_id)
        return info is not None and info.status == "finished"

    # -- series ----------------------------------------------------------------------------
    def keys(self, run_id: str, *, kind: str | None = None) -> list[KeyInfo]:
        final = self._finished(run_id)
        ident = ("keys", run_id, kind)
        if final:
            hit = self.cache.get(ident)
            if hit is not None:
                return list(hit)
        value = self.inner.keys(run_id, kind=kind)
        if final:
            self.cache.put(ident, tuple(value))
        return value

    def scalars(self, run_id: str, key: str, *, rank: int = 0, downsample: int | None = None,
                x_range: tuple[float | None, float | None] | None = None, x: str = "step") -> Scalars:
        final = self._finished(run_id)
        ident = (run_id, key, rank, downsample, x_range, x)
        if final:
            hit = self.cache.get(ident)
            if hit is MISSING:
                raise NotFound(f"run {run_id!r} has no scalar key {key[:200]!r} (rank {rank})")
            if hit is not None:
                return hit  # type: ignore[no-any-return]
        try:
            value = self.inner.scalars(run_id, key, rank=rank, downsample=downsample, x_range=x_range, x=x)
        except NotFound:
            if final:
                self.cache.put(ident, MISSING)
            raise
        if final:
            self.cache.put(ident, value)
        return value

    def scalars_many(self, run_ids: Sequence[str], key: str, *, rank: int = 0, downsample: int | None = None,
                     x_range: tuple[float | None, float | None] | None = None,
                     x: str = "step") -> list[Scalars | None]:
        """``scalars`` of one key for each run (same order; None where a run lacks it): the kept answers at
        once, the others read in parallel."""

        def one(rid: str) -> Scalars | None:
            try:
                return self.scalars(rid, key, rank=rank, downsample=downsample, x_range=x_range, x=x)
            except NotFound:
                return None

        # finished runs' kept answers first, in this thread: handing them to the pool costs more than they do
        out: list[Scalars | None] = [None] * len(run_ids)
        todo = []
        for i, rid in enumerate(run_ids):
            hit = self.cache.peek((rid, key, rank, downsample, x_range, x)) if self._finished(rid) else None
            if hit is None:
                todo.append(i)
            elif hit is not MISSING:
                out[i] = hit
        if len(todo) < 2 or self.workers < 2:
            for i in todo:
                out[i] = one(run_ids[i])
            return out
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="torchscope-read")
        for i, got in zip(todo, self._pool.map(one, [run_ids[i] for i in todo])):
            out[i] = got
        return out

    # -- everything else: the inner provider's answers -------------------------------------
    def images(self, run_id: str, key: str, *, rank: int = 0, step: int | None = None,
               with_data: bool = False) -> list[ImageEntry]:
        return self.inner.images(run_id, key, rank=rank, step=step, with_data=with_data)

    def image(self, run_id: str, image_id: int) -> ImageEntry:
        return self.inner.image(run_id, image_id)

    def histograms(self, run_id: str, key: str, *, rank: int = 0) -> list[HistogramEntry]:
        return self.inner.histograms(run_id, key, rank=rank)

    def texts(self, run_id: str, key: str, *, rank: int = 0) -> list[TextEntry]:
        return self.inner.texts(run_id, key, rank=rank)

    # -- records: listings of finished runs, and each record by id (never changes once written) -------
    def records(self, run_id: str, *, kind: str | None = None, key: str | None = None, rank: int | None = None,
                with_blobs: bool = False) -> list[RecordEntry]:
        """A run's records (a finished run's listing is kept); blobs and typed records come from the cache by id
        (``with_blobs`` changes nothing: an entry's blobs are read, once, when first used)."""
        if self._finished(run_id):
            listing = self.cache.get_or_load(
                ("records", run_id, kind, key, rank),
                lambda: tuple(self.inner.records(run_id, kind=kind, key=key, rank=rank)), _listing_bytes)
        else:
            listing = self.inner.records(run_id, kind=kind, key=key, rank=rank)
        return [_KeptEntry(self, run_id, e) for e in listing]

    def record(self, run_id: str, record_id: int) -> RecordEntry:
        """One record entry with its blobs (kept by id, for any run); its typed record is kept too."""
        if not isinstance(record_id, int):  # not an id: the inner store says why
            return self.inner.record(run_id, record_id)
        return _KeptEntry(self, run_id, self.stored(run_id, record_id))

    def stored(self, run_id: str, record_id: int) -> RecordEntry:
        """The inner store's entry with its blobs, kept by id."""
        return self.cache.get_or_load(  # type: ignore[no-any-return]
            ("record", run_id, record_id), lambda: self.inner.record(run_id, record_id), _entry_bytes)

    def typed(self, run_id: str, record_id: int) -> Record:
        """The typed record with id ``record_id``, rebuilt once (kept by id, for any run): ``entry.record``
        of an entry this provider lists."""
        return self.cache.get_or_load(  # type: ignore[no-any-return]
            ("typed", run_id, record_id), lambda: self.inner.record(run_id, record_id).record, deep_bytes)

    def latest(self, run_id: str, kind: str, *, key: str | None = None) -> Record:
        entries = self.records(run_id, kind=kind, key=key)  # step order, as the store's latest() picks
        if not entries:
            return self.inner.latest(run_id, kind, key=key)  # NotFound, saying why (or logged just now)
        return entries[-1].record  # type: ignore[no-any-return]

    def blob(self, run_id: str, record_id: int, name: str) -> bytes:
        return self.inner.blob(run_id, record_id, name)

    def close(self) -> None:
        """Stop the reading threads and close the inner provider (it reconnects if used again)."""
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
        self.inner.close()
