"""The team store's write side: :class:`PostgresWriter`, what the tracker's background thread drives.

The same contract as :class:`~torchscope.store.write.SQLiteWriter` (``create_run``, ``write(batch)``
in one transaction, ``heartbeat``, ``finish``) and the same chunk layout (the merging logic of
:class:`~torchscope.store.write.ChunkWriter`). The chunks a batch makes are named from a sequence
and sent by binary ``COPY`` at the end of its transaction (a merge that reads a chunk made in the
same batch takes it from memory). Each transaction ends with a ``NOTIFY`` (what changed: the
schema and the run, never the data) so dashboards update without polling.

Faults: an error that is the server's or the network's (``OperationalError``) is raised as
:class:`~torchscope.errors.StoreUnavailableError`, which the background writer treats as
environmental: it keeps the batch and tries again, reconnecting. A batch whose ``COMMIT`` answer was
lost with the connection is not written twice: every committed batch advances ``procs.seq``, and
the retry first checks whether its number is already there. Data the server refuses (a NUL in a
text) is :class:`~torchscope.errors.InvalidArgument`: the writer isolates and drops that item.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import time
from typing import Any

import numpy as np

from ...errors import InvalidArgument, StoreUnavailableError
from ..downsample import BLOCKS, summarize
from ..location import redact
from ..write import Batch, ChunkWriter
from ._conn import CHANNEL, connect, driver, unavailable
from .media import MIN_BYTES, Media
from .schema import migrate

__all__ = ["PostgresWriter"]

IDS_AT_ONCE = 256  # chunk ids taken from the sequence per round trip


def _json(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


class PostgresWriter(ChunkWriter):
    """Writes one process's data for one run into a PostgreSQL store."""

    dir = None  # not a directory store

    def __init__(self, url: str, run_id: str, rank: int = 0, *, media: str | None = None) -> None:
        self.url, self.run_id, self.rank = url, run_id, rank
        self.media = Media(media) if media else None  # images and blobs on object storage (see media.py)
        self._refs: dict[int, str] = {}  # id(bytes) -> reference, for the batch being written
        self.path = redact(url)  # how messages name the store
        self._conn: Any = None
        self._connect()
        self._series: dict[tuple[str, str, int], int] = {}
        self._open_chunks: dict[int, list[list[int]]] = {}
        self._ids: list[int] = []
        self._pending: dict[int, tuple[int, np.ndarray, np.ndarray, np.ndarray, int]] = {}
        self._seq = 0
        self._inflight: tuple[int, Any, Any] | None = None  # (seq, state before, state after) of a lost COMMIT

    # -- connection --------------------------------------------------------------------------
    def _connect(self) -> None:
        conn = connect(self.url, autocommit=True)
        try:
            migrate(conn, self.path)
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def _ready(self) -> Any:
        """The connection, made again when the last one broke (StoreUnavailableError while the server is away)."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            self._connect()
        return self._conn

    def _tx(self, fn: Any) -> Any:
        """``fn(cursor)`` in one transaction; server and network errors become StoreUnavailableError,
        refused data InvalidArgument."""
        psycopg = driver()
        conn = self._ready()
        try:
            with conn.transaction(), conn.cursor() as cur:
                return fn(cur)
        except psycopg.OperationalError as exc:
            raise unavailable(self.url, exc) from exc
        except (psycopg.DataError, psycopg.IntegrityError) as exc:
            raise InvalidArgument(str(exc).strip()[:300]) from exc
        except psycopg.Error as exc:
            if conn.broken or conn.closed:
                raise unavailable(self.url, exc) from exc
            raise

    # -- runs --------------------------------------------------------------------------------
    def create_run(self, *, project: str, name: str, config: dict[str, Any], tags: list[str],
                   world_size: int = 1) -> None:
        now = time.time()

        def tx(cur: Any) -> int:
            cur.execute("INSERT INTO runs(id, project, name, config, tags, status, created, world_size) "
                        "VALUES(%s,%s,%s,%s,%s,'running',%s,%s) ON CONFLICT (id) DO NOTHING",
                        (self.run_id, project, name, _json(config), _json(tags), now, world_size))
            cur.execute("INSERT INTO procs(run_id, rank, host, pid, started, heartbeat) VALUES(%s,%s,%s,%s,%s,%s) "
                        "ON CONFLICT (run_id, rank) DO UPDATE SET host=excluded.host, pid=excluded.pid, "
                        "started=excluded.started, heartbeat=excluded.heartbeat, ended=NULL RETURNING seq",
                        (self.run_id, self.rank, socket.gethostname(), os.getpid(), now, now))
            seq = int(cur.fetchone()[0])
            self._notify(cur)
            return seq

        self._seq = self._tx(tx)

    def finish(self, status: str = "finished", error: str | None = None) -> None:
        """Mark this process ended; rank 0 also sets the run's final status."""
        now = time.time()

        def tx(cur: Any) -> None:
            cur.execute("UPDATE procs SET ended=%s, heartbeat=%s WHERE run_id=%s AND rank=%s",
                        (now, now, self.run_id, self.rank))
            if self.rank == 0 or status == "crashed":
                cur.execute("UPDATE runs SET status=%s, ended=%s, error=COALESCE(%s, error) WHERE id=%s",
                            (status, now, error, self.run_id))
            self._notify(cur)

        self._tx(tx)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def heartbeat(self) -> None:
        self._tx(lambda cur: cur.execute("UPDATE procs SET heartbeat=%s WHERE run_id=%s AND rank=%s",
                                         (time.time(), self.run_id, self.rank)))

    def _notify(self, cur: Any) -> None:
        cur.execute("SELECT pg_notify(%s, current_schema() || ' ' || %s)", (CHANNEL, self.run_id))

    # -- batches -----------------------------------------------------------------------------
    def _state(self) -> Any:
        return copy.deepcopy((self._open_chunks, self._series))

    def _restore(self, state: Any) -> None:
        self._open_chunks, self._series = copy.deepcopy(state)
        self._pending.clear()

    def write(self, batch: Batch) -> None:
        """Write a whole batch (and a heartbeat) in one transaction, exactly once."""
        if self._inflight is not None:  # the last try lost its connection: did it commit?
            seq, before, after = self._inflight
            got = self._tx(lambda cur: cur.execute("SELECT seq FROM procs WHERE run_id=%s AND rank=%s",
                                                   (self.run_id, self.rank)).fetchone())
            self._inflight = None
            if got is not None and int(got[0]) >= seq:
                self._restore(after)
                self._seq = seq
                return  # it did: this batch is in the store
            self._restore(before)
        before = self._state()
        seq = self._seq + 1
        self._upload(batch)  # before the transaction: a committed reference never points at nothing
        try:
            self._tx(lambda cur: self._write_tx(cur, batch, seq))
        except StoreUnavailableError:
            self._inflight = (seq, before, self._state())
            self._pending.clear()
            raise
        except BaseException:
            self._restore(before)
            raise
        self._seq = seq

    def _upload(self, batch: Batch) -> None:
        self._refs = {}
        if self.media is None:
            return
        for image in batch.images:
            if len(image[8]) >= MIN_BYTES:
                self._refs[id(image[8])] = self.media.put(self.run_id, image[8])
        for record in batch.records:
            for blob in record[6].values():
                if len(blob) >= MIN_BYTES:
                    self._refs[id(blob)] = self.media.put(self.run_id, blob)

    def _media(self, data: bytes) -> tuple[bytes | None, str | None]:
        """``(data, ref)`` as stored: the bytes, or a reference to the object holding them."""
        ref = self._refs.get(id(data))
        return (None, ref) if ref is not None else (data, None)

    def _write_tx(self, cur: Any, batch: Batch, seq: int) -> None:
        self._cur = cur
        self._pending.clear()
        for (key, rank), (steps, walls, vals) in batch.scalars.items():
            sid = self._series_id("scalar", key, rank)
            self._append_scalars(sid, np.asarray(steps, np.int64), np.asarray(walls, np.float64),
                                 np.asarray(vals, np.float64))
        self._copy_pending(cur)
        if batch.images:
            cur.executemany("INSERT INTO images(series_id, step, wall, caption, width, height, mime, data, ref) "
                            "VALUES(%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                            [(self._series_id("image", key, rank), step, wall, caption, w, h, mime, *self._media(data))
                             for key, rank, step, wall, caption, w, h, mime, data in batch.images])
        if batch.histograms:
            cur.executemany("INSERT INTO histograms(series_id, step, wall, lo, hi, counts, stats) "
                            "VALUES(%s,%s,%s,%s,%s,%s,%s)",
                            [(self._series_id("histogram", key, rank), step, wall, lo, hi,
                              np.ascontiguousarray(counts, "<f8").tobytes(), _json(stats))
                             for key, rank, step, wall, lo, hi, counts, stats in batch.histograms])
        if batch.texts:
            cur.executemany("INSERT INTO texts(series_id, step, wall, text) VALUES(%s,%s,%s,%s)",
                            [(self._series_id("text", key, rank), step, wall, text)
                             for key, rank, step, wall, text in batch.texts])
        for key, rank, step, wall, rkind, body, blobs in batch.records:
            cur.execute("INSERT INTO records(series_id, record_kind, step, wall, data) VALUES(%s,%s,%s,%s,%s) "
                        "RETURNING id", (self._series_id("record", key, rank), rkind, step, wall, body))
            rid = cur.fetchone()[0]
            if blobs:
                cur.executemany("INSERT INTO record_blobs(record_id, name, data, ref) VALUES(%s,%s,%s,%s)",
                                [(rid, name, *self._media(blob)) for name, blob in blobs.items()])
        if batch.config is not None:
            row = cur.execute("SELECT config FROM runs WHERE id=%s FOR UPDATE", (self.run_id,)).fetchone()
            merged = {**(json.loads(row[0]) if row else {}), **batch.config}
            cur.execute("UPDATE runs SET config=%s WHERE id=%s", (_json(merged), self.run_id))
        if batch.summary is not None:
            cur.execute("UPDATE runs SET summary=%s WHERE id=%s", (_json(batch.summary), self.run_id))
        cur.execute("UPDATE procs SET heartbeat=%s, seq=%s WHERE run_id=%s AND rank=%s",
                    (time.time(), seq, self.run_id, self.rank))
        self._notify(cur)

    def _series_id(self, kind: str, key: str, rank: int) -> int:
        ident = (kind, key, rank)
        sid = self._series.get(ident)
        if sid is None:
            cur = self._cur
            cur.execute("INSERT INTO series(run_id, kind, key, rank) VALUES(%s,%s,%s,%s) ON CONFLICT DO NOTHING",
                        (self.run_id, kind, key, rank))
            sid = cur.execute("SELECT id FROM series WHERE run_id=%s AND kind=%s AND key=%s AND rank=%s",
                              (self.run_id, kind, key, rank)).fetchone()[0]
            self._series[ident] = sid
        return sid

    # -- chunks (ChunkWriter) ----------------------------------------------------------------
    def _insert_chunk(self, sid: int, steps: np.ndarray, walls: np.ndarray, vals: np.ndarray, level: int) -> int:
        if not self._ids:
            got = self._cur.execute("SELECT nextval('scalar_chunk_ids') FROM generate_series(1, %s)",
                                    (IDS_AT_ONCE,)).fetchall()
            self._ids = sorted((int(r[0]) for r in got), reverse=True)
        cid = self._ids.pop()
        self._pending[cid] = (sid, steps, walls, vals, level)
        return cid

    def _read_chunks(self, ids: list[int], delete: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        stored = [i for i in ids if i not in self._pending]
        parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        if stored:
            rows = self._cur.execute("SELECT chunk_id, steps, walls, vals FROM scalar_points "
                                     "WHERE chunk_id = ANY(%s)", (stored,)).fetchall()
            parts += [(r[0], np.frombuffer(r[1], "<i8"), np.frombuffer(r[2], "<f8"), np.frombuffer(r[3], "<f8"))
                      for r in rows]
            if delete:
                for table, col in (("scalar_chunks", "id"), ("scalar_points", "chunk_id"),
                                   ("scalar_summaries", "chunk_id")):
                    self._cur.execute(f"DELETE FROM {table} WHERE {col} = ANY(%s)", (stored,))
        for i in ids:
            if i in self._pending:
                _, s, w, v, _ = self._pending.pop(i) if delete else self._pending[i]
                parts.append((i, s, w, v))
        parts.sort(key=lambda p: p[0])
        return (np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts]),
                np.concatenate([p[3] for p in parts]))

    def _copy_pending(self, cur: Any) -> None:
        """The batch's new chunks, their points and summaries, by binary COPY."""
        if not self._pending:
            return
        items = sorted(self._pending.items())
        with cur.copy("COPY scalar_chunks (id, series_id, n, level, step_lo, step_hi, wall_lo, wall_hi) "
                      "FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types(["int8", "int8", "int4", "int4", "int8", "int8", "float8", "float8"])
            for cid, (sid, s, w, _, level) in items:
                cp.write_row((cid, sid, len(s), level, int(s.min()), int(s.max()), float(w.min()), float(w.max())))
        with cur.copy("COPY scalar_points (chunk_id, steps, vals, walls) FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types(["int8", "bytea", "bytea", "bytea"])
            for cid, (_, s, w, v, _) in items:
                cp.write_row((cid, s.astype("<i8").tobytes(), v.astype("<f8").tobytes(), w.astype("<f8").tobytes()))
        with cur.copy("COPY scalar_summaries (chunk_id, block, data) FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types(["int8", "int4", "bytea"])
            for cid, (_, s, w, v, _) in items:
                for b in BLOCKS:
                    cp.write_row((cid, b, summarize(s, w, v, b).tobytes()))
        self._pending.clear()
