"""The background writer: the training loop appends to a queue, one thread writes batches.

The caller's side is a ``deque.append`` (thread-safe, no lock) plus a size check. The writer
thread wakes every ``flush_interval`` seconds (or sooner when the queue grows), turns the queued
items into one :class:`~torchscope.store.write.Batch` and commits it in a single transaction.
Memory is bounded: past ``max_items`` queued calls or ``max_bytes`` of queued media, ``put``
waits for the writer (backpressure) rather than growing without limit or dropping data.
A write that fails (a full disk, say) is kept and retried; the error is reported once on stderr
and raised by ``close()`` if it never succeeds.
"""

from __future__ import annotations

import collections
import sys
import threading
import time
from array import array
from collections.abc import Callable
from typing import Any

from ..store.write import Batch, SQLiteWriter
from .media import compute_histogram, encode_image

__all__ = ["BackgroundWriter"]

IDLE_HEARTBEAT = 5.0
NAN = float("nan")


class BackgroundWriter:
    """Owns the store writer and the thread that feeds it."""

    def __init__(self, store: SQLiteWriter, *, flush_interval: float = 1.0, max_items: int = 200_000,
                 max_bytes: int = 256 * 2**20) -> None:
        self.store = store
        self.flush_interval = flush_interval
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.queue: collections.deque[tuple[Any, ...]] = collections.deque()
        self.pending_bytes = 0
        self._cols: dict[str, tuple[array, array, array, list[tuple[int, Any]]]] = {}
        self._cols_lock = threading.Lock()
        self._npoints = 0
        self._soft_items, self._soft_bytes = max_items // 4, max_bytes // 4
        self.error: BaseException | None = None
        # called on the writer thread with each assembled batch (health checks read it)
        self.monitors: list[Callable[[Batch], None]] = []
        self._bytes_lock = threading.Lock()
        self._wake = threading.Event()
        self._drained = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._loop, name="torchscope-writer", daemon=True)
        self._thread.start()

    # -- caller's side -----------------------------------------------------------------------
    def put_scalars(self, step: int, wall: float, data: dict[str, Any]) -> None:
        """Append scalar points to per-key columns (the hot path: no per-point objects)."""
        with self._cols_lock:
            cols = self._cols
            for key, value in data.items():
                col = cols.get(key)
                if col is None:
                    col = cols[key] = (array("q"), array("d"), array("d"), [])
                col[0].append(step)
                col[1].append(wall)
                if type(value) is float:
                    col[2].append(value)
                else:  # a deferred CUDA scalar, read on the writer thread
                    col[3].append((len(col[2]), value))
                    col[2].append(NAN)
            self._npoints += len(data)
        if self._npoints > self._soft_items:
            self._wake.set()
            if self._npoints > self.max_items:
                self._wait_for_room()

    def _take_scalars(self) -> dict[str, tuple[array, array, array, list[tuple[int, Any]]]]:
        with self._cols_lock:
            cols, self._cols = self._cols, {}
            self._npoints = 0
        return cols

    def put(self, item: tuple[Any, ...], nbytes: int = 0) -> None:
        queue = self.queue
        queue.append(item)
        if nbytes:
            with self._bytes_lock:
                self.pending_bytes += nbytes
        if len(queue) > self._soft_items or self.pending_bytes > self._soft_bytes:
            self._wake.set()
            if len(queue) > self.max_items or self.pending_bytes > self.max_bytes:
                self._wait_for_room()

    def _wait_for_room(self) -> None:
        with self._drained:
            while (len(self.queue) > self.max_items // 2 or self.pending_bytes > self.max_bytes // 2
                   or self._npoints > self.max_items // 2) and self._thread.is_alive():
                self._wake.set()
                self._drained.wait(0.05)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued before this call is committed; False on timeout."""
        done = threading.Event()
        self.queue.append(("flush", done))
        self._wake.set()
        if not self._thread.is_alive():
            return False
        return done.wait(timeout)

    def close(self, timeout: float | None = None) -> None:
        """Write everything queued, stop the thread; raises the write error if data could not be saved."""
        self._closing = True
        self._wake.set()
        self._thread.join(timeout)
        if self.error is not None:
            raise RuntimeError(f"torchscope could not write to {self.store.path}: {self.error}") from self.error

    # -- writer thread -----------------------------------------------------------------------
    def _loop(self) -> None:
        last_beat = time.monotonic()
        pending: Batch | None = None
        waiters: list[threading.Event] = []
        while True:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            closing = self._closing
            if pending is None:
                pending, waiters = self._drain()
            if pending or (time.monotonic() - last_beat > IDLE_HEARTBEAT):
                try:
                    if pending:
                        self.store.write(pending)
                    else:
                        self.store.heartbeat()
                    pending = None
                    last_beat = time.monotonic()
                    self.error = None
                except Exception as exc:  # keep the data, say so once, try again next interval
                    if self.error is None:
                        print(f"torchscope: writing to {self.store.path} failed ({exc}); "
                              f"the data is kept in memory and retried", file=sys.stderr)
                    self.error = exc
                    if closing:
                        break
                    continue
            else:
                pending = None
            for w in waiters:
                w.set()
            with self._drained:
                self._drained.notify_all()
            if closing and not self.queue and not self._cols:
                break
            if self.queue and (len(self.queue) > self._soft_items or self.pending_bytes > self._soft_bytes):
                self._wake.set()

    def _drain(self) -> tuple[Batch, list[threading.Event]]:
        batch = Batch()
        waiters: list[threading.Event] = []
        popleft = self.queue.popleft
        freed = 0
        while True:
            try:
                item = popleft()
            except IndexError:
                break
            try:
                freed += _add(batch, item, waiters)
            except Exception as exc:  # a value that could not be converted: skip it, loudly
                print(f"torchscope: could not store a {item[0]!r} item for key {item[1]!r}: {exc}", file=sys.stderr)
            if waiters:
                break  # commit what came before the flush marker now
            if freed > self.max_bytes // 4:
                break  # keep one transaction a reasonable size; the loop comes straight back
        with self._bytes_lock:
            self.pending_bytes -= freed
        rank = self.store.rank
        for key, (steps, walls, vals, deferred) in self._take_scalars().items():
            for i, tensor in deferred:
                vals[i] = _resolve(tensor)
            batch.add_scalars(key, rank, steps, walls, vals)
        for monitor in list(self.monitors):
            try:
                monitor(batch)
            except Exception as exc:  # a monitor must never stop the data from being written
                print(f"torchscope: monitor {monitor!r} failed: {exc}", file=sys.stderr)
        if self.queue:
            self._wake.set()
        return batch, waiters


def _add(batch: Batch, item: tuple[Any, ...], waiters: list[threading.Event]) -> int:
    """Add one queued item to the batch; returns the media bytes it held."""
    tag = item[0]
    if tag == "flush":
        waiters.append(item[1])
        return 0
    if tag == "i":
        _, key, rank, step, wall, caption, arr, nrow, nbytes = item
        data, w, h = encode_image(arr, nrow=nrow)
        batch.images.append((key, rank, step, wall, caption, w, h, "image/png", data))
        return int(nbytes)
    if tag == "h":
        _, key, rank, step, wall, prepared, bins, nbytes = item
        lo, hi, counts, stats = compute_histogram(prepared, bins)
        batch.histograms.append((key, rank, step, wall, lo, hi, counts, stats))
        return int(nbytes)
    if tag == "t":
        batch.texts.append(item[1:])
        return 0
    if tag == "r":
        batch.records.append(item[1:-1])
        return int(item[-1])
    if tag == "u":
        batch.summary = item[1]
        return 0
    if tag == "cfg":
        batch.config = {**(batch.config or {}), **item[1]}
        return 0
    if tag == "call":  # work handed over by the training thread (e.g. reading CUDA statistics)
        item[1](batch)
        return 0
    raise ValueError(f"unknown queue item {tag!r}")


def _resolve(value: Any) -> float:
    """A deferred value (a CUDA scalar tensor, read here so the training loop never syncs)."""
    return float(value.item()) if hasattr(value, "item") else float(value)
