"""TensorBoard's one-directory-one-run rule for the SummaryWriter: resume the run, purge after a step.

TensorBoard shows everything written into a ``log_dir`` as one run, across restarts, and
``SummaryWriter(log_dir, purge_step=T)`` hides every event of that run at a step >= T written
before the restart (the reader purges them when it meets the writer's ``SessionLog.START`` at T).
Here the store does the same once, at the start: :func:`reopen` finds the run that
``SummaryWriter`` wrote in ``log_dir``'s store, deletes what it holds at steps >= T (scalar points,
images, histograms, texts, records; a chunk cut in two keeps its earlier points) in one
transaction, and marks it running again, so the new process continues it.

Example: ``run_id = reopen(Path("runs/exp1"), "exp1", purge_step=1000)``.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from ..store._db import DB_NAME, connect, retry
from ..store.downsample import BLOCKS, summarize

__all__ = ["TAG", "purge", "reopen"]

TAG = "tensorboard"  # the tag SummaryWriter gives its runs
_TABLES = ("images", "histograms", "texts", "records")


def _find(db: sqlite3.Connection, name: str) -> str | None:
    rows = db.execute("SELECT id, tags FROM runs WHERE name = ? ORDER BY created DESC", (name,)).fetchall()
    for run_id, tags in rows:
        if TAG in json.loads(tags):
            return str(run_id)
    return None


def _purge_tx(db: sqlite3.Connection, run_id: str, step: int) -> None:
    sids = "SELECT id FROM series WHERE run_id = ?"
    db.execute(f"DELETE FROM record_blobs WHERE record_id IN (SELECT id FROM records WHERE series_id IN ({sids}) "
               f"AND step >= ?)", (run_id, step))
    for table in _TABLES:
        db.execute(f"DELETE FROM {table} WHERE series_id IN ({sids}) AND step >= ?", (run_id, step))
    cut = db.execute(f"SELECT c.id, c.series_id, p.steps, p.walls, p.vals FROM scalar_chunks c JOIN scalar_points p "
                     f"ON p.chunk_id = c.id WHERE c.series_id IN ({sids}) AND c.step_hi >= ? ORDER BY c.id",
                     (run_id, step)).fetchall()
    for chunk_id, series_id, raw_s, raw_w, raw_v in cut:
        for table, col in (("scalar_chunks", "id"), ("scalar_points", "chunk_id"), ("scalar_summaries", "chunk_id")):
            db.execute(f"DELETE FROM {table} WHERE {col} = ?", (chunk_id,))
        s, w, v = np.frombuffer(raw_s, "<i8"), np.frombuffer(raw_w, "<f8"), np.frombuffer(raw_v, "<f8")
        keep = s < step
        if keep.any():
            s, w, v = s[keep], w[keep], v[keep]
            cur = db.execute("INSERT INTO scalar_chunks(series_id, n, level, step_lo, step_hi, wall_lo, wall_hi) "
                             "VALUES(?,?,0,?,?,?,?)", (series_id, len(s), int(s.min()), int(s.max()),
                                                       float(w.min()), float(w.max())))
            db.execute("INSERT INTO scalar_points(chunk_id, steps, vals, walls) VALUES(?,?,?,?)",
                       (cur.lastrowid, s.tobytes(), v.tobytes(), w.tobytes()))
            db.executemany("INSERT INTO scalar_summaries(chunk_id, block, data) VALUES(?,?,?)",
                           [(cur.lastrowid, b, summarize(s, w, v, b).tobytes()) for b in BLOCKS])
    used = " UNION ".join(f"SELECT series_id FROM {t}" for t in ("scalar_chunks", *_TABLES))
    db.execute(f"DELETE FROM series WHERE run_id = ? AND id NOT IN ({used})", (run_id,))


def _transaction(db: sqlite3.Connection, run_id: str, purge_step: int | None, running: bool) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        if purge_step is not None:
            _purge_tx(db, run_id, purge_step)
        if running:
            db.execute("UPDATE runs SET status = 'running', ended = NULL, error = NULL WHERE id = ?", (run_id,))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def reopen(log_dir: Path, name: str, purge_step: int | None) -> str | None:
    """The id of the run ``SummaryWriter`` wrote as ``name`` in ``log_dir``, purged from ``purge_step`` on
    and marked running; None when there is none (a new run is started then)."""
    if not (log_dir / DB_NAME).exists():
        return None
    db, path = connect(log_dir)
    try:
        run_id = retry(lambda: _find(db, name), path=path)
        if run_id is not None:
            retry(lambda: _transaction(db, run_id, purge_step, running=True), path=path)
        return run_id
    finally:
        db.close()


def purge(log_dir: Path, run_id: str, step: int) -> None:
    """Delete what run ``run_id`` holds at steps >= ``step`` (its writer must be closed)."""
    db, path = connect(log_dir)
    try:
        retry(lambda: _transaction(db, run_id, step, running=False), path=path)
    finally:
        db.close()
