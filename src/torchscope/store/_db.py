"""Opening a store's SQLite file: location checks, pragmas, migrations, and lock-tolerant retries.

A store is one directory holding ``torchscope.db`` (WAL mode: readers never block the writer, and
several writer processes take turns). ``busy_timeout`` makes SQLite wait for a lock itself; on top
of it, :func:`retry` repeats a transaction that still met a lock, so "database is locked" never
reaches a user.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .schema import migrate

__all__ = ["DB_NAME", "StoreLocationError", "connect", "resolve_dir", "retry"]

DB_NAME = "torchscope.db"
T = TypeVar("T")


class StoreLocationError(ValueError):
    """The store directory cannot be used (it is a file, or cannot be created or written)."""


def resolve_dir(dir: str | os.PathLike[str] | None) -> Path:
    """The store directory: ``dir``, else ``$TORCHSCOPE_DIR``, else ``./tsruns``."""
    if dir is None:
        dir = os.environ.get("TORCHSCOPE_DIR") or "tsruns"
    if not isinstance(dir, (str, os.PathLike)):
        raise TypeError(f"dir must be a path (str or os.PathLike), got {type(dir).__name__}")
    path = Path(dir).expanduser()
    if str(path) == "":
        raise StoreLocationError("dir is empty: give a directory such as 'tsruns'")
    return path


def _db_path(dir: Path, create: bool) -> Path:
    if dir.is_file():
        if dir.name.endswith(".db"):  # the store's file itself was given
            return dir
        raise StoreLocationError(
            f"dir={str(dir)!r} is a file, not a directory: torchscope keeps its store in a directory "
            f"(it creates {DB_NAME} inside). Pass a directory path, e.g. dir='tsruns'."
        )
    if not dir.exists():
        if not create:
            raise FileNotFoundError(f"no torchscope store at {str(dir)!r}: the directory does not exist")
        try:
            dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreLocationError(f"cannot create the store directory {str(dir)!r}: {exc.strerror}") from exc
    db = dir / DB_NAME
    if not create and not db.exists():
        raise FileNotFoundError(f"no torchscope store in {str(dir)!r}: {DB_NAME} is missing")
    return db


def connect(dir: str | os.PathLike[str] | None, *, create: bool = True) -> tuple[sqlite3.Connection, Path]:
    """Open (and create/migrate) the store in ``dir``; returns the connection and the db path."""
    path = _db_path(resolve_dir(dir), create)
    try:
        db = sqlite3.connect(str(path), timeout=60.0, isolation_level=None, check_same_thread=False)
    except sqlite3.OperationalError as exc:
        raise StoreLocationError(f"cannot open the store {str(path)!r}: {exc}") from exc
    try:
        retry(lambda: db.execute("PRAGMA journal_mode=WAL").fetchone())
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=60000")
        db.execute("PRAGMA mmap_size=17179869184")  # reads share the OS page cache across connections
        db.execute("PRAGMA foreign_keys=OFF")
        retry(lambda: migrate(db, str(path)))
    except sqlite3.DatabaseError as exc:
        db.close()
        raise StoreLocationError(f"{str(path)!r} is not a usable torchscope store: {exc}") from exc
    except BaseException:
        db.close()
        raise
    return db, path


def _is_lock_error(exc: sqlite3.OperationalError) -> bool:
    msg = str(exc).lower()
    return "locked" in msg or "busy" in msg


def retry(fn: Callable[[], T], *, attempts: int = 1000) -> T:
    """Call ``fn`` again (with jittered backoff, up to minutes) while SQLite reports a lock."""
    delay = 0.005
    for attempt in range(attempts):
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if not _is_lock_error(exc) or attempt == attempts - 1:
                raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.5)
    raise AssertionError("unreachable")
