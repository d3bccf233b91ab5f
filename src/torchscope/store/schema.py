"""The SQLite schema of a torchscope store and its migrations.

``SCHEMA_VERSION`` is written in the ``meta`` table. Opening a store runs every migration from its
version up to ours in one transaction; a store from a *newer* torchscope is refused with a clear
error instead of being damaged. To change the schema: append a function to ``MIGRATIONS`` (never
edit a released one) and bump nothing else: the version is ``len(MIGRATIONS)``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from ..errors import SchemaError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SchemaError", "migrate"]


def _script(db: sqlite3.Connection, script: str) -> None:
    # not executescript(): it commits first, and migrations must run inside one transaction
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _v1(db: sqlite3.Connection) -> None:
    _script(
        db,
        """
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            project TEXT NOT NULL,
            name TEXT NOT NULL,
            config TEXT NOT NULL DEFAULT '{}',
            tags TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL DEFAULT 'running',
            created REAL NOT NULL,
            ended REAL,
            world_size INTEGER NOT NULL DEFAULT 1,
            summary TEXT NOT NULL DEFAULT '{}',
            notes TEXT NOT NULL DEFAULT '',
            archived INTEGER NOT NULL DEFAULT 0,
            error TEXT
        );
        CREATE INDEX runs_project ON runs(project, created);
        -- one row per writing process (rank) of a run: liveness for crash detection
        CREATE TABLE procs (
            run_id TEXT NOT NULL,
            rank INTEGER NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            started REAL NOT NULL,
            heartbeat REAL NOT NULL,
            ended REAL,
            PRIMARY KEY (run_id, rank)
        );
        CREATE TABLE series (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            rank INTEGER NOT NULL DEFAULT 0,
            UNIQUE (run_id, kind, key, rank)
        );
        -- scalar points in columnar chunks: metadata here, the points (little-endian int64 steps,
        -- float64 values and walls) in scalar_points, and block summaries at two resolutions in
        -- scalar_summaries, so downsampling long series reads a small fraction of the bytes
        CREATE TABLE scalar_chunks (
            id INTEGER PRIMARY KEY,
            series_id INTEGER NOT NULL,
            n INTEGER NOT NULL,
            level INTEGER NOT NULL DEFAULT 0,
            step_lo INTEGER NOT NULL,
            step_hi INTEGER NOT NULL,
            wall_lo REAL NOT NULL,
            wall_hi REAL NOT NULL
        );
        CREATE INDEX scalar_chunks_series ON scalar_chunks(series_id, id);
        CREATE TABLE scalar_points (
            chunk_id INTEGER PRIMARY KEY,
            steps BLOB NOT NULL,
            vals BLOB NOT NULL,
            walls BLOB NOT NULL
        );
        CREATE TABLE scalar_summaries (
            chunk_id INTEGER NOT NULL,
            block INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (chunk_id, block)
        );
        CREATE TABLE images (
            id INTEGER PRIMARY KEY,
            series_id INTEGER NOT NULL,
            step INTEGER NOT NULL,
            wall REAL NOT NULL,
            caption TEXT,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            mime TEXT NOT NULL,
            data BLOB NOT NULL
        );
        CREATE INDEX images_series ON images(series_id, step);
        CREATE TABLE histograms (
            id INTEGER PRIMARY KEY,
            series_id INTEGER NOT NULL,
            step INTEGER NOT NULL,
            wall REAL NOT NULL,
            lo REAL NOT NULL,
            hi REAL NOT NULL,
            counts BLOB NOT NULL,
            stats TEXT NOT NULL
        );
        CREATE INDEX histograms_series ON histograms(series_id, step);
        CREATE TABLE texts (
            id INTEGER PRIMARY KEY,
            series_id INTEGER NOT NULL,
            step INTEGER NOT NULL,
            wall REAL NOT NULL,
            text TEXT NOT NULL
        );
        CREATE INDEX texts_series ON texts(series_id, step);
        CREATE TABLE records (
            id INTEGER PRIMARY KEY,
            series_id INTEGER NOT NULL,
            record_kind TEXT NOT NULL,
            step INTEGER NOT NULL,
            wall REAL NOT NULL,
            data TEXT NOT NULL
        );
        CREATE INDEX records_series ON records(series_id, step);
        CREATE TABLE record_blobs (
            record_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (record_id, name)
        );
        """
    )


Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: Sequence[Migration] = (_v1,)
SCHEMA_VERSION = len(MIGRATIONS)


def read_version(db: sqlite3.Connection) -> int:
    """The schema version written in the store (0 for an empty file)."""
    has_meta = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
    if not has_meta:
        return 0
    row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    if not row:
        return 0
    try:
        version = int(row[0])
    except (TypeError, ValueError):
        version = -1
    if version < 0:
        raise SchemaError(f"the store's schema_version is {str(row[0])[:40]!r}, not a version number: the "
                          f"file was changed by something other than torchscope. Run `torchscope doctor DIR` "
                          f"to copy what is readable into a new store.")
    return version


def migrate(db: sqlite3.Connection, path: str, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the store at ``path`` up to ``len(migrations)``; return the version it had before."""
    target = len(migrations)
    version = read_version(db)
    if version > target:
        raise SchemaError(
            f"the store {path} was written by a newer torchscope (schema version {version}; this "
            f"torchscope reads up to {target}). Upgrade torchscope (pip install -U torchscope) to open it."
        )
    if version == target:
        return version
    db.execute("BEGIN IMMEDIATE")
    try:
        version = read_version(db)  # another process may have migrated while we waited
        for step in migrations[version:]:
            step(db)
        db.execute(
            "INSERT INTO meta(key, value) VALUES('schema_version', ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (str(target),),
        )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return version
