"""The background writer: the training loop appends to a queue, one thread writes batches.

The caller's side is a ``deque.append`` (thread-safe, no lock) plus a size check. The writer
thread commits on a fixed cadence of half a ``flush_interval`` (sooner when the queue grows): it
takes what was queued when it woke (for at most a quarter interval, so a producer that never
stops cannot keep it draining), turns it into one :class:`~torchscope.store.write.Batch` and
commits it in a single transaction. So a point is on disk at most one ``flush_interval`` after it
was logged, which is what a ``kill -9`` can cost.

Two kinds of backpressure keep that promise and bound memory. *By time*: each cycle must commit
within 0.4 of an interval of its start (and start on its cadence); a ``log*`` call made past that
moment (a tight loop starving the writer of the GIL, or a busy machine) waits until the writer
has committed, and so does one after a cycle that could not take everything queued. So a point
is committed at most about 0.9 of an interval after it was logged. *By size*: past
``max_items`` queued calls or ``max_bytes`` of queued media, ``put`` waits for the writer rather
than growing without limit or dropping data.

A write that fails for a reason outside the data (a full disk, a lock held too long) is kept and
retried; the error is reported once on stderr and raised by ``close()`` if it never succeeds. An
*item* the store refuses (a data error) is isolated: the batch is written piece by piece, only
the refused piece is dropped, said on stderr and noted in the run (``torchscope/errors`` text and
the run's error field), and everything else is written. One bad value never costs the run.
"""

from __future__ import annotations

import collections
import math
import sqlite3
import sys
import threading
import time
from array import array
from collections.abc import Callable
from typing import Any

from ..store._db import StoreDamagedError
from ..store.write import Batch, SQLiteWriter
from .checks import printable
from .hooks import WriterBatch
from .media import compute_histogram, encode_image
from .messages import (
    CallMsg,
    ConfigMsg,
    FlushMsg,
    HistogramMsg,
    ImageMsg,
    Message,
    RecordMsg,
    SummaryMsg,
    TextMsg,
    describe,
)

__all__ = ["BackgroundWriter"]

IDLE_HEARTBEAT = 5.0
CLOSE_RETRY = 3.0  # seconds close() keeps retrying a write that fails for a reason outside the data
NAN = float("nan")
ERRORS_KEY = "torchscope/errors"  # a text series in the run listing what could not be stored
_DATA_ERRORS = (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.InterfaceError, sqlite3.ProgrammingError,
                ValueError, TypeError, ArithmeticError, KeyError, IndexError)


def is_data_error(exc: BaseException) -> bool:
    """True when the store refused the data itself (retrying cannot help), not the environment
    (a lock, a full disk, a damaged file: those keep the data and retry)."""
    return isinstance(exc, _DATA_ERRORS)


class _Retry(Exception):
    """A write that met an environmental error; ``rest`` is what is still to be written."""

    def __init__(self, rest: Batch, exc: BaseException) -> None:
        super().__init__(str(exc))
        self.rest, self.exc = rest, exc


class BackgroundWriter:
    """Owns the store writer and the thread that feeds it."""

    def __init__(self, store: SQLiteWriter, *, flush_interval: float = 1.0, max_items: int = 200_000,
                 max_bytes: int = 256 * 2**20) -> None:
        self.store = store
        self.flush_interval = flush_interval
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.queue: collections.deque[Message] = collections.deque()
        self.pending_bytes = 0
        self._cols: dict[str, tuple[array, array, array, list[tuple[int, Any]]]] = {}
        self._cols_lock = threading.Lock()
        self._npoints = 0
        self._soft_items, self._soft_bytes = max_items // 4, max_bytes // 4
        self.error: BaseException | None = None
        self.dead: BaseException | None = None  # the store is damaged: nothing more is written
        self.unexpected: BaseException | None = None  # an error of torchscope's own, said once
        self.dropped = 0  # items the store refused (isolated and dropped, the rest written)
        self.lost = 0  # items logged while the store could not be written and the buffer was full
        self.drop_notes: list[str] = []  # the first few, said in the run's error field at the end
        self._behind = False  # the writer could not keep its cadence: the next put waits for it
        # the wall time by which the writer's current (or next) cycle must have committed: a caller
        # that logs later waits for it (backpressure by time; inf while the store cannot be written)
        self._due_wall = math.inf
        # called on the writer thread with each assembled batch (health checks read it)
        self.monitors: list[Callable[[WriterBatch], None]] = []
        self._bytes_lock = threading.Lock()
        self._wake = threading.Event()
        self._drained = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._loop, name="torchscope-writer", daemon=True)
        self._thread.start()

    # -- caller's side -----------------------------------------------------------------------
    def put_scalars(self, step: int, wall: float, data: dict[str, Any]) -> None:
        """Append scalar points to per-key columns (the hot path: no per-point objects)."""
        if self.error is not None and self._npoints >= self.max_items:  # the store is away and the buffer full
            self._lose(len(data))
            return
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
        if self._behind or wall > self._due_wall:
            self._catch_up()
        if self._npoints > self._soft_items:
            self._wake.set()
            if self._npoints > self.max_items:
                self._wait_for_room()

    def _take_scalars(self) -> dict[str, tuple[array, array, array, list[tuple[int, Any]]]]:
        with self._cols_lock:
            cols, self._cols = self._cols, {}
            self._npoints = 0
        return cols

    def put(self, msg: Message) -> None:
        """Queue one message (see :mod:`~torchscope.track.messages`); waits when the writer is behind."""
        nbytes = msg.nbytes  # first: what is not a message never reaches the queue
        queue = self.queue
        if self.error is not None and (len(queue) >= self.max_items or self.pending_bytes + nbytes > self.max_bytes):
            self._lose(1)  # the store is away and the buffer full: this one is lost, said loudly
            return
        queue.append(msg)
        if self._behind or time.time() > self._due_wall:
            self._catch_up()
        if nbytes:
            with self._bytes_lock:
                self.pending_bytes += nbytes
        if len(queue) > self._soft_items or self.pending_bytes > self._soft_bytes:
            self._wake.set()
            if len(queue) > self.max_items or self.pending_bytes > self.max_bytes:
                self._wait_for_room()

    def _lose(self, n: int) -> None:
        """Items logged while the store cannot be written and the buffer is full: counted, said once."""
        first = not self.lost
        self.lost += n
        self.dropped += n
        if first:
            note = (f"the store {self.store.path} could not be written ({self.error}) and the buffer is full "
                    f"({self.max_items:,} items or {self.max_bytes >> 20} MiB): what is logged until it is back "
                    f"is lost; everything before is kept and written when it is")
            self.drop_notes.insert(0, note)
            print(f"torchscope: {note}", file=sys.stderr)

    def _discard(self) -> None:
        """The store can never be written (it is damaged): drop what is queued rather than hold it forever."""
        n = len(self.queue) + self._npoints
        self.queue.clear()
        self._take_scalars()
        with self._bytes_lock:
            self.pending_bytes = 0
        self.dropped += n

    def _on_writer_thread(self) -> bool:
        return threading.get_ident() == self._thread.ident

    def _catch_up(self) -> None:
        """Backpressure by time: wait while the writer is behind its cadence (never on its own thread)."""
        if self.dead is not None:
            self._discard()
            return
        if self._on_writer_thread():
            return
        self._wake.set()
        with self._drained:
            while (self._behind or time.time() > self._due_wall) and self._thread.is_alive() and self.error is None \
                    and self.dead is None:
                self._drained.wait(0.05)

    def _wait_for_room(self) -> None:
        if self._on_writer_thread():
            return
        with self._drained:
            while (len(self.queue) > self.max_items // 2 or self.pending_bytes > self.max_bytes // 2
                   or self._npoints > self.max_items // 2) and self._thread.is_alive() and self.error is None:
                self._wake.set()
                self._drained.wait(0.05)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued before this call is committed; False on timeout."""
        if self.dead is not None:
            raise RuntimeError(f"torchscope could not write to {self.store.path}: {self.dead}") from self.dead
        done = threading.Event()
        self.queue.append(FlushMsg(done))
        self._wake.set()
        if not self._thread.is_alive():
            return False
        return done.wait(timeout)

    def close(self, timeout: float | None = None) -> None:
        """Write everything queued, stop the thread; raises the write error if data could not be saved."""
        self._closing = True
        self._wake.set()
        self._thread.join(timeout)
        if self.dead is not None:
            self._discard()
            raise RuntimeError(f"torchscope could not write to {self.store.path}: {self.dead}") from self.dead
        if self.error is not None:
            raise RuntimeError(f"torchscope could not write to {self.store.path}: {self.error}") from self.error

    # -- writer thread -----------------------------------------------------------------------
    def _loop(self) -> None:
        half = self.flush_interval / 2
        budget = 0.4 * self.flush_interval  # a cycle commits within this of its start, or callers wait
        due = last_beat = time.monotonic()
        pending: Batch | None = None
        waiters: list[threading.Event] = []
        failing_since = 0.0
        failures = 0  # consecutive failed cycles: retries back off (a server restarting is not hammered)
        while True:
            self._wake.wait(max(due - time.monotonic(), 0.0))
            self._wake.clear()
            start = time.monotonic()
            due = start + half
            self._due_wall = time.time() + budget
            closing = self._closing
            left = False
            try:
                if pending is None:
                    pending, waiters, left = self._drain(deadline=start + half / 2)
                if pending or start - last_beat > IDLE_HEARTBEAT:
                    self._commit(pending)
                    last_beat = time.monotonic()
                pending = None
                if self.error is not None:
                    print(f"torchscope: writing to {self.store.path} works again; what was kept is written"
                          + (f" ({self.lost:,} items logged while the buffer was full are lost)" if self.lost else ""),
                          file=sys.stderr)
                self.error, failing_since, failures = None, 0.0, 0
            except _Retry as retry:  # keep the data, say so once, try again next cycle
                if isinstance(retry.exc, StoreDamagedError):  # never: stop writing, training goes on
                    self.dead = retry.exc
                    print(f"torchscope: {retry.exc} What is logged from now on is not stored.", file=sys.stderr)
                    self._behind = True  # the callers' next put discards (see _catch_up)
                    self._discard()
                    for w in waiters:
                        w.set()
                    with self._drained:
                        self._drained.notify_all()
                    break
                pending = retry.rest or None
                if self.error is None:
                    print(f"torchscope: writing to {self.store.path} failed ({retry.exc}); "
                          f"the data is kept in memory and retried", file=sys.stderr)
                self.error = retry.exc
                self._behind = False  # a store that cannot be written must not stall training by time
                self._due_wall = math.inf
                with self._drained:
                    self._drained.notify_all()
                if closing:  # at exit: a few more tries over CLOSE_RETRY seconds, then give up loudly
                    failing_since = failing_since or start
                    if time.monotonic() - failing_since > CLOSE_RETRY:
                        break
                    due = time.monotonic() + 0.2
                else:
                    failures += 1
                    due = time.monotonic() + min(half * 2 ** min(failures - 1, 6), 5.0)
                continue
            except Exception as exc:  # a bug of ours: say it (once), never let the thread die
                if self.unexpected is None:
                    print(f"torchscope: the background writer met an unexpected error and goes on: "
                          f"{type(exc).__name__}: {exc}", file=sys.stderr)
                self.unexpected = exc
                pending = None
            for w in waiters:
                w.set()
            waiters = []
            self._behind = left or time.monotonic() - start > half
            if self._behind:
                due = time.monotonic()  # straight back
            self._due_wall = time.time() + max(due - time.monotonic(), 0.0) + budget  # the next cycle's
            with self._drained:
                self._drained.notify_all()
            if closing and not self.queue and not self._cols:
                break
            if self.queue and (len(self.queue) > self._soft_items or self.pending_bytes > self._soft_bytes):
                self._wake.set()

    def _commit(self, batch: Batch | None) -> None:
        """Write ``batch``; a data error isolates the refused pieces, anything else raises :class:`_Retry`."""
        if not batch:
            try:
                self.store.heartbeat()
            except Exception as exc:
                raise _Retry(Batch(), exc) from exc
            return
        try:
            self.store.write(batch)
            return
        except Exception as exc:
            if not is_data_error(exc):
                raise _Retry(batch, exc) from exc
        pieces = batch.pieces()
        for i, (what, piece) in enumerate(pieces):
            try:
                self.store.write(piece)
            except Exception as exc:
                if not is_data_error(exc):
                    raise _Retry(Batch.joined([p for _, p in pieces[i:]]), exc) from exc
                self._drop(what, exc)

    def _drop(self, what: str, exc: BaseException) -> None:
        """One item the store refused: counted, said on stderr, noted in the run."""
        self.dropped += 1
        note = printable(f"could not store {what}: {type(exc).__name__}: {exc}")[:500]
        if len(self.drop_notes) < 20:  # bounded: a note that could itself fail cannot loop
            self.drop_notes.append(note)
            print(f"torchscope: {note}; the rest of the data is written", file=sys.stderr)
            self.queue.append(TextMsg(ERRORS_KEY, self.store.rank, self.dropped, time.time(), note))

    def _drain(self, deadline: float = float("inf")) -> tuple[Batch, list[threading.Event], bool]:
        """One batch of what was queued when the cycle began (at most until ``deadline``).

        Returns the batch, the flush waiters it satisfies, and whether items queued before the
        cycle began were left for the next one (the writer is behind).
        """
        batch = Batch()
        waiters: list[threading.Event] = []
        popleft = self.queue.popleft
        freed = 0
        rank = self.store.rank
        view = WriterBatch(batch, rank)
        todo = len(self.queue)  # only what is there now: a producer that never stops cannot hold us here
        while todo > 0:
            try:
                item = popleft()
            except IndexError:
                break
            todo -= 1
            try:
                freed += _add(batch, view, item, waiters)
            except Exception as exc:  # a value that could not be converted: skip it, loudly
                freed += item.nbytes
                self._drop(describe(item), exc)
            if waiters:
                break  # commit what came before the flush marker now
            if freed > self.max_bytes // 4 or time.monotonic() > deadline:
                break  # keep one transaction a reasonable size and the cadence; the loop comes straight back
        with self._bytes_lock:
            self.pending_bytes -= freed
        for key, (steps, walls, vals, deferred) in self._take_scalars().items():
            for i, tensor in deferred:
                try:
                    vals[i] = _resolve(tensor)
                except Exception as exc:  # a device error reading one value: that value is NaN, said once
                    self._drop(f"a deferred value of {key!r} (stored as NaN)", exc)
            batch.add_scalars(key, rank, steps, walls, vals)
        for monitor in list(self.monitors):
            try:
                monitor(view)
            except Exception as exc:  # a monitor must never stop the data from being written
                print(f"torchscope: monitor {monitor!r} failed: {exc}", file=sys.stderr)
        left = todo > 0 and bool(self.queue) and not waiters
        if self.queue:
            self._wake.set()
        return batch, waiters, left


def _add(batch: Batch, view: WriterBatch, msg: Message, waiters: list[threading.Event]) -> int:
    """Add one queued message to the batch; returns the media bytes it held."""
    match msg:
        case ImageMsg():
            data, w, h = encode_image(msg.pixels, nrow=msg.nrow)
            batch.images.append((msg.key, msg.rank, msg.step, msg.wall, msg.caption, w, h, "image/png", data))
        case HistogramMsg():
            lo, hi, counts, stats = compute_histogram(msg.values, msg.bins)
            batch.histograms.append((msg.key, msg.rank, msg.step, msg.wall, lo, hi, counts, stats))
        case TextMsg():
            batch.texts.append((msg.key, msg.rank, msg.step, msg.wall, msg.text))
        case RecordMsg():
            body, blobs = msg.build() if msg.build is not None else (msg.data, msg.blobs)
            batch.records.append((msg.key, msg.rank, msg.step, msg.wall, msg.kind, body, blobs))
        case SummaryMsg():
            batch.summary = msg.summary
        case ConfigMsg():
            batch.config = {**(batch.config or {}), **msg.changes}
        case CallMsg():  # work handed over by the training thread (e.g. reading device statistics)
            msg.fn(view)
        case FlushMsg():
            waiters.append(msg.done)
        case _:
            raise TypeError(f"unknown queue message {type(msg).__name__}")
    return msg.nbytes


def _resolve(value: Any) -> float:
    """A deferred value (a CUDA scalar tensor, read here so the training loop never syncs)."""
    return float(value.item()) if hasattr(value, "item") else float(value)
