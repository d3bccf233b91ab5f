"""The write side of the SQLite store: runs, process liveness, and batches written in one transaction.

Only the tracker's background writer thread calls this. Scalars are appended as columnar chunks;
small chunks are merged eight at a time (a tiny log-structured merge, so a slowly logged key does
not become thousands of one-point rows) until a chunk holds ``FULL`` points.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import numpy as np

from ._db import connect, retry
from .downsample import BLOCKS, summarize

__all__ = ["Batch", "ChunkWriter", "SQLiteWriter"]

FULL = 16384  # points per chunk at which merging stops
MERGE = 8  # chunks of one level merged together


@dataclasses.dataclass
class Batch:
    """What the tracker hands the store in one transaction. Keys are (key, rank)."""

    scalars: dict[tuple[str, int], tuple[Any, Any, Any]] = dataclasses.field(
        default_factory=dict
    )
    images: list[tuple[str, int, int, float, str | None, int, int, str, bytes]] = dataclasses.field(
        default_factory=list
    )
    histograms: list[tuple[str, int, int, float, float, float, np.ndarray, dict[str, float]]] = (
        dataclasses.field(default_factory=list)
    )
    texts: list[tuple[str, int, int, float, str]] = dataclasses.field(default_factory=list)
    records: list[tuple[str, int, int, float, str, str, dict[str, bytes]]] = dataclasses.field(
        default_factory=list
    )
    summary: dict[str, Any] | None = None
    config: dict[str, Any] | None = None  # keys merged into the run's config

    def add_scalars(self, key: str, rank: int, steps: Any, walls: Any, vals: Any) -> None:
        """Append points to a key's columns (merging with what the batch already holds)."""
        have = self.scalars.get((key, rank))
        if have is None:
            self.scalars[(key, rank)] = (steps, walls, vals)
        else:
            merged = [np.concatenate([np.asarray(a, dtype), np.asarray(b, dtype)])
                      for a, b, dtype in zip(have, (steps, walls, vals), (np.int64, np.float64, np.float64))]
            self.scalars[(key, rank)] = (merged[0], merged[1], merged[2])

    def pieces(self) -> list[tuple[str, Batch]]:
        """The batch as one-item batches, each with what it holds (to isolate an item the store refuses)."""
        out: list[tuple[str, Batch]] = []
        for (key, rank), cols in self.scalars.items():
            out.append((f"the scalars of {key!r} (rank {rank}, {len(cols[0])} points)",
                        Batch(scalars={(key, rank): cols})))
        for kind, items in (("image", self.images), ("histogram", self.histograms), ("text", self.texts),
                            ("record", self.records)):
            for item in items:
                piece = Batch()
                getattr(piece, kind + "s").append(item)
                out.append((f"the {kind} {item[0]!r} at step {item[2]}", piece))
        if self.config is not None:
            out.append(("the config", Batch(config=self.config)))
        if self.summary is not None:
            out.append(("the summary", Batch(summary=self.summary)))
        return out

    @staticmethod
    def joined(batches: list[Batch]) -> Batch:
        """One batch holding everything of ``batches``, in order."""
        out = Batch()
        for b in batches:
            for (key, rank), cols in b.scalars.items():
                out.add_scalars(key, rank, *cols)
            out.images += b.images
            out.histograms += b.histograms
            out.texts += b.texts
            out.records += b.records
            if b.config is not None:
                out.config = {**(out.config or {}), **b.config}
            if b.summary is not None:
                out.summary = b.summary
        return out

    def __bool__(self) -> bool:
        return bool(self.scalars or self.images or self.histograms or self.texts or self.records
                    or self.summary is not None or self.config is not None)


def _json(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


class ChunkWriter:
    """The chunk layout's write logic, shared by the SQLite and PostgreSQL writers: points appended as
    chunks, small chunks merged ``MERGE`` at a time until one holds ``FULL`` points. A backend gives
    :meth:`_insert_chunk` (a new chunk's id) and :meth:`_read_chunks` (chunks' points, in id order)."""

    _open_chunks: dict[int, list[list[int]]]  # per scalar series: the chunks not yet full, [chunk_id, n, level]

    def _insert_chunk(self, sid: int, steps: np.ndarray, walls: np.ndarray, vals: np.ndarray, level: int) -> int:
        raise NotImplementedError

    def _read_chunks(self, ids: list[int], delete: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _append_scalars(self, sid: int, steps: np.ndarray, walls: np.ndarray, vals: np.ndarray) -> None:
        opened = self._open_chunks.setdefault(sid, [])
        if opened and len(steps) + sum(c[1] for c in opened) >= FULL:
            # fold the open chunks into this batch, so chunk ids stay in the order points came
            old = self._read_chunks([c[0] for c in opened], delete=True)
            steps, walls, vals = (np.concatenate([o, n]) for o, n in zip(old, (steps, walls, vals)))
            opened.clear()
        for start in range(0, len(steps), FULL):  # a large batch becomes full chunks directly
            s, w, v = steps[start:start + FULL], walls[start:start + FULL], vals[start:start + FULL]
            cid = self._insert_chunk(sid, s, w, v, 0)
            if len(s) < FULL:
                opened.append([cid, len(s), 0])
                self._merge_tail(sid)

    def _merge_tail(self, sid: int) -> None:
        chunks = self._open_chunks[sid]
        while len(chunks) >= MERGE and len({c[2] for c in chunks[-MERGE:]}) == 1:
            tail = chunks[-MERGE:]
            steps, walls, vals = self._read_chunks([c[0] for c in tail], delete=True)
            level = tail[0][2] + 1
            cid = self._insert_chunk(sid, steps, walls, vals, level)
            del chunks[-MERGE:]
            if len(steps) < FULL:
                chunks.append([cid, len(steps), level])


class SQLiteWriter(ChunkWriter):
    """Writes one process's data for one run (all of its ranks' keys go through the same run id)."""

    def __init__(self, dir: str | os.PathLike[str] | None, run_id: str, rank: int = 0) -> None:
        self.db, self.path = connect(dir)
        self.run_id = run_id
        self.rank = rank
        self._series: dict[tuple[str, str, int], int] = {}
        # per scalar series: the chunks not yet full, as [chunk_id, n, level]
        self._open_chunks: dict[int, list[list[int]]] = {}

    @property
    def dir(self) -> Path:
        return self.path.parent

    # -- runs ------------------------------------------------------------------------------
    def create_run(self, *, project: str, name: str, config: dict[str, Any], tags: list[str],
                   world_size: int = 1) -> None:
        now = time.time()

        def tx() -> None:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute(
                    "INSERT OR IGNORE INTO runs(id, project, name, config, tags, status, created, world_size) "
                    "VALUES(?,?,?,?,?, 'running', ?, ?)",
                    (self.run_id, project, name, _json(config), _json(tags), now, world_size),
                )
                self.db.execute(
                    "INSERT OR REPLACE INTO procs(run_id, rank, host, pid, started, heartbeat) VALUES(?,?,?,?,?,?)",
                    (self.run_id, self.rank, socket.gethostname(), os.getpid(), now, now),
                )
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

        retry(tx, path=self.path)

    def finish(self, status: str = "finished", error: str | None = None) -> None:
        """Mark this process ended; rank 0 also sets the run's final status."""
        now = time.time()

        def tx() -> None:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute("UPDATE procs SET ended=?, heartbeat=? WHERE run_id=? AND rank=?",
                                (now, now, self.run_id, self.rank))
                if self.rank == 0 or status == "crashed":
                    self.db.execute("UPDATE runs SET status=?, ended=?, error=COALESCE(?, error) WHERE id=?",
                                    (status, now, error, self.run_id))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

        retry(tx, path=self.path)

    def close(self) -> None:
        self.db.close()

    # -- batches ---------------------------------------------------------------------------
    def write(self, batch: Batch) -> None:
        """Write a whole batch (and a heartbeat) in one transaction, retrying on locks."""
        retry(lambda: self._write_tx(batch), path=self.path)

    def _write_tx(self, batch: Batch) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        opened = {k: [list(c) for c in v] for k, v in self._open_chunks.items()}
        try:
            for (key, rank), (steps, walls, vals) in batch.scalars.items():
                sid = self._series_id("scalar", key, rank)
                self._append_scalars(sid, np.asarray(steps, np.int64), np.asarray(walls, np.float64),
                                     np.asarray(vals, np.float64))  # lists or array.array columns
            for key, rank, step, wall, caption, w, h, mime, data in batch.images:
                db.execute(
                    "INSERT INTO images(series_id, step, wall, caption, width, height, mime, data) "
                    "VALUES(?,?,?,?,?,?,?,?)",
                    (self._series_id("image", key, rank), step, wall, caption, w, h, mime, data),
                )
            for key, rank, step, wall, lo, hi, counts, stats in batch.histograms:
                db.execute(
                    "INSERT INTO histograms(series_id, step, wall, lo, hi, counts, stats) VALUES(?,?,?,?,?,?,?)",
                    (self._series_id("histogram", key, rank), step, wall, lo, hi,
                     np.ascontiguousarray(counts, "<f8").tobytes(), _json(stats)),
                )
            for key, rank, step, wall, text in batch.texts:
                db.execute("INSERT INTO texts(series_id, step, wall, text) VALUES(?,?,?,?)",
                           (self._series_id("text", key, rank), step, wall, text))
            for key, rank, step, wall, rkind, body, blobs in batch.records:
                cur = db.execute(
                    "INSERT INTO records(series_id, record_kind, step, wall, data) VALUES(?,?,?,?,?)",
                    (self._series_id("record", key, rank), rkind, step, wall, body),
                )
                db.executemany("INSERT INTO record_blobs(record_id, name, data) VALUES(?,?,?)",
                               [(cur.lastrowid, name, blob) for name, blob in blobs.items()])
            if batch.config is not None:
                row = db.execute("SELECT config FROM runs WHERE id=?", (self.run_id,)).fetchone()
                merged = {**(json.loads(row[0]) if row else {}), **batch.config}
                db.execute("UPDATE runs SET config=? WHERE id=?", (_json(merged), self.run_id))
            if batch.summary is not None:
                db.execute("UPDATE runs SET summary=? WHERE id=?", (_json(batch.summary), self.run_id))
            db.execute("UPDATE procs SET heartbeat=? WHERE run_id=? AND rank=?",
                       (time.time(), self.run_id, self.rank))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            self._open_chunks = opened  # the merge bookkeeping must match what is on disk
            self._series = {k: v for k, v in self._series.items() if self._series_exists(v)}
            raise

    def heartbeat(self) -> None:
        retry(lambda: self.db.execute("UPDATE procs SET heartbeat=? WHERE run_id=? AND rank=?",
                                      (time.time(), self.run_id, self.rank)), path=self.path)

    def _series_exists(self, sid: int) -> bool:
        return self.db.execute("SELECT 1 FROM series WHERE id=?", (sid,)).fetchone() is not None

    def _series_id(self, kind: str, key: str, rank: int) -> int:
        ident = (kind, key, rank)
        sid = self._series.get(ident)
        if sid is None:
            self.db.execute("INSERT OR IGNORE INTO series(run_id, kind, key, rank) VALUES(?,?,?,?)",
                            (self.run_id, kind, key, rank))
            sid = self.db.execute("SELECT id FROM series WHERE run_id=? AND kind=? AND key=? AND rank=?",
                                  (self.run_id, kind, key, rank)).fetchone()[0]
            self._series[ident] = sid
        return sid

    def _insert_chunk(self, sid: int, steps: np.ndarray, walls: np.ndarray, vals: np.ndarray, level: int) -> int:
        cur = self.db.execute(
            "INSERT INTO scalar_chunks(series_id, n, level, step_lo, step_hi, wall_lo, wall_hi) VALUES(?,?,?,?,?,?,?)",
            (sid, len(steps), level, int(steps.min()), int(steps.max()), float(walls.min()), float(walls.max())),
        )
        cid = cur.lastrowid
        assert cid is not None
        self.db.execute("INSERT INTO scalar_points(chunk_id, steps, vals, walls) VALUES(?,?,?,?)",
                        (cid, steps.astype("<i8").tobytes(), vals.astype("<f8").tobytes(),
                         walls.astype("<f8").tobytes()))
        self.db.executemany("INSERT INTO scalar_summaries(chunk_id, block, data) VALUES(?,?,?)",
                            [(cid, b, summarize(steps, walls, vals, b).tobytes()) for b in BLOCKS])
        return cid

    def _read_chunks(self, ids: list[int], delete: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(f"SELECT steps, walls, vals FROM scalar_points WHERE chunk_id IN ({marks}) "
                               f"ORDER BY chunk_id", ids).fetchall()
        if delete:
            for table, col in (("scalar_chunks", "id"), ("scalar_points", "chunk_id"),
                               ("scalar_summaries", "chunk_id")):
                self.db.execute(f"DELETE FROM {table} WHERE {col} IN ({marks})", ids)
        return (np.concatenate([np.frombuffer(r[0], "<i8") for r in rows]),
                np.concatenate([np.frombuffer(r[1], "<f8") for r in rows]),
                np.concatenate([np.frombuffer(r[2], "<f8") for r in rows]))
