"""``torchscope sync SRC DEST``: local SQLite stores pushed into a PostgreSQL team store.

For nodes that cannot reach the database while they train (or that logged before there was one):
each run of ``SRC`` (a store directory, or every store below a directory: one per node) is copied
into ``DEST``, exactly, and only what is new:

- *Idempotent and resumable*: the copy goes in transactions of at most ``MAX_POINTS`` points (or
  ``MAX_BYTES`` of media), and each records, in the same transaction, how far every series got
  (``sync_progress``: points for scalars, the last source row for the rest). Run it twice: the
  second moves nothing. Kill it (kill -9) and run it again: it goes on from the last commit,
  nothing twice, nothing missing.
- *Incremental*: a run still training is copied as far as it got; the next sync brings the rest.
  Run metadata (status, summary, config, tags, notes, process table) is brought up to date each time.
- A run is synced by one process at a time (an advisory lock per run); many nodes may sync at once.

Scalars are read in storage order (append order), so "the first N points" never changes as a
run grows. Points go through :class:`~torchscope.store.postgres.write.PostgresWriter` (the same
chunk layout and binary COPY as live logging).

Example::

    report = sync("tsruns", "postgresql://me@db.lab/runs")
    print(report.text())          # what moved, run by run
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidArgument
from .location import is_url, redact
from .postgres.write import PostgresWriter
from .sqlite import Store
from .write import Batch

__all__ = ["SyncReport", "sync", "sync_run"]

MAX_POINTS = 1_000_000  # scalar points per transaction
MAX_BYTES = 64 << 20  # media and record bytes per transaction
RUN_COLS = ("project", "name", "config", "tags", "status", "created", "ended", "world_size", "summary", "notes",
            "archived", "error")


@dataclasses.dataclass
class RunMoved:
    """What one run's sync moved."""

    run_id: str
    name: str
    points: int = 0
    items: int = 0  # images, histograms, texts, records
    bytes: int = 0
    transactions: int = 0


@dataclasses.dataclass
class SyncReport:
    """What a sync moved: ``runs`` (one :class:`RunMoved` each), ``seconds``."""

    source: str
    dest: str
    runs: list[RunMoved] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    @property
    def points(self) -> int:
        return sum(r.points for r in self.runs)

    @property
    def items(self) -> int:
        return sum(r.items for r in self.runs)

    def text(self) -> str:
        """A few lines for people: totals, then each run that moved something."""
        moved = [r for r in self.runs if r.points or r.items]
        rate = f", {self.points / self.seconds:,.0f} points/s" if self.seconds > 0 and self.points else ""
        lines = [f"synced {len(self.runs)} run{'s' if len(self.runs) != 1 else ''} from {self.source} to {self.dest}: "
                 f"{self.points:,} points and {self.items:,} media/text/record items moved in "
                 f"{self.seconds:.1f} s{rate}" + ("" if moved else " (everything was already there)")]
        lines += [f"  {r.run_id} {r.name!r}: {r.points:,} points, {r.items:,} items, {r.bytes / 2**20:.1f} MiB"
                  for r in moved]
        return "\n".join(lines)


def _sources(src: Any) -> list[Store]:
    from .multi import MultiStore
    from .sqlite import open_store

    if is_url(src):
        raise InvalidArgument("sync copies local stores into a PostgreSQL store: SRC must be a directory")
    opened = open_store(src)
    return opened.stores() if isinstance(opened, MultiStore) else [opened]


def sync(src: Any, dest: str, *, runs: list[str] | None = None, progress: bool = True) -> SyncReport:
    """Copy every run of the store(s) at ``src`` (or only ``runs``, by id) into ``dest`` (a
    ``postgresql://`` URL); see the module doc. Returns what moved."""
    if not is_url(dest):
        raise InvalidArgument(f"sync DEST must be a postgresql:// URL (the team store), got {str(dest)[:80]!r}")
    from .postgres import PostgresStore

    PostgresStore(dest).close()  # made and migrated if new; a bad URL fails here, clearly
    start = time.monotonic()
    report = SyncReport(source=str(Path(src)), dest=redact(dest))
    stores = _sources(src)
    todo = [(st, r) for st in stores for r in st.runs() if runs is None or r.id in runs]
    bar = None
    if progress:
        from .._progress import tqdm

        bar = tqdm(total=len(todo), desc="sync", unit="run", leave=False)
    try:
        for st, r in todo:
            report.runs.append(sync_run(st, r.id, dest))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        for st in stores:
            st.close()
    report.seconds = time.monotonic() - start
    return report


def sync_run(src: Store, run_id: str, dest: str, *, on_commit: Callable[[RunMoved], None] | None = None) -> RunMoved:
    """Copy what ``dest`` lacks of one run of ``src`` (see the module doc)."""
    row = src._q(f"SELECT {', '.join(RUN_COLS)} FROM runs WHERE id=?", (run_id,))
    if not row:
        raise InvalidArgument(f"no run {run_id!r} in {src.location}")
    run = dict(zip(RUN_COLS, row[0]))
    procs = src._q("SELECT rank, host, pid, started, heartbeat, ended FROM procs WHERE run_id=?", (run_id,))
    moved = RunMoved(run_id=run_id, name=run["name"])
    w = _SyncWriter(dest, run_id, run, procs)
    try:
        w.lock()
        done = w.progress()
        for batch, marks, npoints, items, nbytes in _batches(src, run_id, done):
            w.marks = marks
            w.write(batch)
            moved.points += npoints
            moved.items += items
            moved.bytes += nbytes
            moved.transactions += 1
            if on_commit is not None:
                on_commit(moved)
        w.marks = {}
        w.write(Batch())  # the run's metadata and process table, brought up to date
    finally:
        w.close()
    return moved


class _SyncWriter(PostgresWriter):
    """A PostgresWriter whose transactions also carry the run's row, its process table and the progress marks."""

    def __init__(self, dest: str, run_id: str, run: dict[str, Any], procs: list[tuple[Any, ...]]) -> None:
        super().__init__(dest, run_id, 0)
        self.run, self.procs = run, procs
        self.marks: dict[tuple[str, str, int], int] = {}

    def lock(self) -> None:
        """One sync of this run at a time (an advisory lock held by this connection)."""
        self._ready().execute("SELECT pg_advisory_lock(hashtext(%s))", ("torchscope-sync:" + self.run_id,))

    def progress(self) -> dict[tuple[str, str, int], int]:
        """How far each series of the run got in earlier syncs."""
        rows = self._ready().execute(
            "SELECT s.kind, s.key, s.rank, p.done FROM sync_progress p JOIN series s ON s.id = p.series_id "
            "WHERE s.run_id = %s", (self.run_id,)).fetchall()
        return {(k, key, rank): int(d) for k, key, rank, d in rows}

    def _write_tx(self, cur: Any, batch: Batch, seq: int) -> None:
        cols = ", ".join(RUN_COLS)
        cur.execute(f"INSERT INTO runs(id, {cols}) VALUES(%s{', %s' * len(RUN_COLS)}) "
                    f"ON CONFLICT (id) DO UPDATE SET {_MERGE}", (self.run_id, *[self.run[c] for c in RUN_COLS]))
        super()._write_tx(cur, batch, seq)
        for p in self.procs:  # as on the node: the status derivation (crashed) reads them
            cur.execute("INSERT INTO procs(run_id, rank, host, pid, started, heartbeat, ended) "
                        "VALUES(%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (run_id, rank) DO UPDATE SET "
                        "host=excluded.host, pid=excluded.pid, started=excluded.started, "
                        "heartbeat=excluded.heartbeat, ended=excluded.ended", (self.run_id, *p))
        for ident, done in self.marks.items():
            cur.execute("INSERT INTO sync_progress(series_id, done) VALUES(%s, %s) ON CONFLICT (series_id) "
                        "DO UPDATE SET done=excluded.done", (self._series_id(*ident), done))


# a run synced from several nodes (a DDP job's ranks, each node's store holding its ranks): a node
# whose copy of the run still says "running", or has no summary, never undoes what another brought
_MERGE = ", ".join(
    {"status": "status=CASE WHEN excluded.status = 'running' THEN runs.status ELSE excluded.status END",
     "ended": "ended=COALESCE(excluded.ended, runs.ended)",
     "summary": "summary=CASE WHEN excluded.summary = '{}' THEN runs.summary ELSE excluded.summary END",
     "error": "error=COALESCE(excluded.error, runs.error)"}.get(c, f"{c}=excluded.{c}") for c in RUN_COLS)


def _batches(src: Store, run_id: str, done: dict[tuple[str, str, int], int]) -> Any:
    """``(batch, progress marks, points, items, bytes)`` for what is not yet in the destination."""
    batch, marks = Batch(), {}
    npoints = items = nbytes = 0

    def full() -> bool:
        return npoints >= MAX_POINTS or nbytes >= MAX_BYTES

    series = src._q("SELECT id, kind, key, rank FROM series WHERE run_id=? ORDER BY id", (run_id,))
    for sid, kind, key, rank in series:
        ident = (kind, key, rank)
        have = done.get(ident, 0)
        if kind == "scalar":  # chunk by chunk, skipping what is there: memory stays at one transaction's
            pos = 0
            for cid, n in src._q("SELECT id, n FROM scalar_chunks WHERE series_id=? ORDER BY id", (sid,)):
                if pos + n <= have:
                    pos += n
                    continue
                step, wall, val = src._read_points([cid])
                if len(step) != n:  # merged away while we read (the run is training): the next sync brings it
                    break
                cut = max(have - pos, 0)
                while cut < n:
                    take = min(n - cut, MAX_POINTS - npoints)
                    batch.add_scalars(key, rank, step[cut:cut + take], wall[cut:cut + take], val[cut:cut + take])
                    cut += take
                    npoints += take
                    marks[ident] = pos + cut
                    if full():
                        yield batch, marks, npoints, items, nbytes
                        batch, marks, npoints, items, nbytes = Batch(), {}, 0, 0, 0
                pos += n
            continue
        for item_id, item, size in _items(src, kind, key, rank, sid, have):
            getattr(batch, kind + "s").append(item)
            marks[ident] = item_id
            items += 1
            nbytes += size
            if full():
                yield batch, marks, npoints, items, nbytes
                batch, marks, npoints, items, nbytes = Batch(), {}, 0, 0, 0
    if batch or marks:
        yield batch, marks, npoints, items, nbytes


def _items(src: Store, kind: str, key: str, rank: int, sid: int, after: int) -> Any:
    """``(source row id, batch item, bytes)`` of a series' rows after ``after``, in id order, a page at a time."""
    sql = {
        "image": "SELECT id, step, wall, caption, width, height, mime, data FROM images",
        "histogram": "SELECT id, step, wall, lo, hi, counts, stats FROM histograms",
        "text": "SELECT id, step, wall, text FROM texts",
        "record": "SELECT id, step, wall, record_kind, data FROM records",
    }[kind] + " WHERE series_id=? AND id>? ORDER BY id LIMIT 200"
    import json

    while True:
        rows = src._q(sql, (sid, after))
        if not rows:
            return
        for r in rows:
            after = r[0]
            if kind == "image":
                yield r[0], (key, rank, r[1], r[2], r[3], r[4], r[5], r[6], bytes(r[7])), len(r[7])
            elif kind == "histogram":
                yield r[0], (key, rank, r[1], r[2], r[3], r[4], np.frombuffer(r[5], "<f8"), json.loads(r[6])), len(r[5])
            elif kind == "text":
                yield r[0], (key, rank, r[1], r[2], r[3]), len(r[3])
            else:
                blobs = {n: bytes(b) for n, b in src._q("SELECT name, data FROM record_blobs WHERE record_id=?",
                                                        (r[0],))}
                yield r[0], (key, rank, r[1], r[2], r[3], r[4], blobs), len(r[4]) + sum(map(len, blobs.values()))
