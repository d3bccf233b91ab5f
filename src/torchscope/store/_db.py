"""Opening a store's SQLite file: location checks, pragmas, migrations, and lock-tolerant retries.

A store is one directory holding ``torchscope.db`` (WAL mode: readers never block the writer, and
several writer processes take turns). ``busy_timeout`` makes SQLite wait for a lock itself; on top
of it, :func:`retry` repeats a transaction that still met a lock, for at most
``$TORCHSCOPE_LOCK_TIMEOUT`` seconds in all (default 60): then :class:`StoreBusyError` says which
store and what to do, instead of a thread hanging for minutes. (The tracker's writer keeps its
data and tries again later; a dashboard request answers with the error.)

Opening a store checks it is sound: ``PRAGMA quick_check`` when the file is at most
``$TORCHSCOPE_CHECK_MB`` MiB (default 1024; about 0.5 ms per MiB from the page cache), always the
header, the schema and the version. A damaged store raises :class:`StoreDamagedError` naming
``torchscope doctor DIR``, which copies what is readable into a new store; nothing is written into
a damaged file. Damage met later, by a read or a write, raises the same error.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..errors import StoreBusyError, StoreDamagedError, StoreLocationError
from .schema import migrate

__all__ = ["DB_NAME", "StoreBusyError", "StoreDamagedError", "StoreLocationError", "check_sound", "connect",
           "lock_timeout", "resolve_dir", "retry"]

DB_NAME = "torchscope.db"
T = TypeVar("T")
_DAMAGE = ("malformed", "not a database", "corrupt", "file is encrypted")


def is_damage(exc: BaseException) -> bool:
    """True for the SQLite errors that mean a damaged file (not a lock, not a full disk)."""
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError) \
        and any(word in str(exc).lower() for word in _DAMAGE)


def lock_timeout() -> float:
    """Seconds a store operation waits for another process's lock in all: ``$TORCHSCOPE_LOCK_TIMEOUT``, 60."""
    raw = os.environ.get("TORCHSCOPE_LOCK_TIMEOUT", "")
    try:
        value = float(raw) if raw.strip() else 60.0
    except ValueError:
        raise ValueError(f"TORCHSCOPE_LOCK_TIMEOUT must be a number of seconds, got {raw!r}") from None
    if not value > 0 or value != value:
        raise ValueError(f"TORCHSCOPE_LOCK_TIMEOUT must be a positive number of seconds, got {raw!r}")
    return value


def _check_limit() -> float:
    raw = os.environ.get("TORCHSCOPE_CHECK_MB", "")
    try:
        return float(raw) if raw.strip() else 1024.0
    except ValueError:
        raise ValueError(f"TORCHSCOPE_CHECK_MB must be a number of MiB, got {raw!r}") from None


def resolve_dir(dir: str | os.PathLike[str] | None) -> Path:
    """The store directory: ``dir``, else ``$TORCHSCOPE_STORE`` (when a directory), else ``$TORCHSCOPE_DIR``,
    else ``./tsruns``."""
    if dir is None:
        env = os.environ.get("TORCHSCOPE_STORE") or ""
        dir = (env if env and "://" not in env else None) or os.environ.get("TORCHSCOPE_DIR") or "tsruns"
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


def connect(dir: str | os.PathLike[str] | None, *, create: bool = True,
            check: bool = True) -> tuple[sqlite3.Connection, Path]:
    """Open (and create/migrate) the store in ``dir``; returns the connection and the db path.

    ``check=False`` skips the soundness check (for another connection to a store already checked).
    """
    path = _db_path(resolve_dir(dir), create)
    _check_header(path)
    try:
        db = sqlite3.connect(str(path), timeout=min(lock_timeout(), 5.0), isolation_level=None,
                             check_same_thread=False)
    except sqlite3.OperationalError as exc:
        raise StoreLocationError(f"cannot open the store {str(path)!r}: {exc}") from exc
    try:
        retry(lambda: db.execute("PRAGMA journal_mode=WAL").fetchone(), path=path)
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(f"PRAGMA busy_timeout={int(min(lock_timeout(), 5.0) * 1000)}")
        db.execute("PRAGMA mmap_size=17179869184")  # reads share the OS page cache across connections
        db.execute("PRAGMA foreign_keys=OFF")
        if check:
            check_sound(db, path)
        retry(lambda: migrate(db, str(path)), path=path)
    except StoreDamagedError:
        db.close()
        raise
    except sqlite3.DatabaseError as exc:
        db.close()
        if is_damage(exc):
            raise StoreDamagedError(path, str(exc)) from exc
        raise StoreLocationError(f"{str(path)!r} is not a usable torchscope store: {exc}") from exc
    except BaseException:
        db.close()
        raise
    return db, path


def _check_header(path: Path) -> None:
    """A file that is not SQLite at all is not a store (and not a damaged one ``doctor`` could salvage)."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreLocationError(f"cannot read the store {str(path)!r}: {exc.strerror}") from exc
    if head and head != b"SQLite format 3\x00":
        raise StoreLocationError(f"{str(path)!r} is not a usable torchscope store: it is not an SQLite database "
                                 f"(it starts with {head[:16]!r})")


def check_sound(db: sqlite3.Connection, path: str | os.PathLike[str]) -> None:
    """Raise :class:`StoreDamagedError` unless the store at ``path`` reads as sound (see the module doc)."""
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        size_mb = os.path.getsize(path) / 2**20 if os.path.exists(path) else 0.0
        if size_mb <= _check_limit():
            rows = db.execute("PRAGMA quick_check(5)").fetchall()
            if [r[0] for r in rows] != ["ok"]:
                raise StoreDamagedError(path, "; ".join(str(r[0]) for r in rows)[:400])
    except StoreDamagedError:
        raise
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and not is_damage(exc):
            raise
        raise StoreDamagedError(path, str(exc)) from exc


def _is_lock_error(exc: sqlite3.OperationalError) -> bool:
    msg = str(exc).lower()
    return "locked" in msg or "busy" in msg


def retry(fn: Callable[[], T], *, timeout: float | None = None, path: str | os.PathLike[str] | None = None,
          attempts: int | None = None) -> T:
    """Call ``fn`` again (with jittered backoff) while SQLite reports a lock, for at most ``timeout``
    seconds in all (``$TORCHSCOPE_LOCK_TIMEOUT``, 60 by default) or ``attempts`` tries; then
    :class:`StoreBusyError`. A damaged file raises :class:`StoreDamagedError` at once."""
    limit = lock_timeout() if timeout is None else timeout
    start = time.monotonic()
    delay = 0.005
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if not _is_lock_error(exc):
                raise
            waited = time.monotonic() - start
            if waited >= limit or (attempts is not None and attempt >= attempts):
                where = f"the store {str(path)!r}" if path is not None else "the store"
                raise StoreBusyError(
                    f"{where} stayed locked by another process for {waited:.1f} s ({exc}); gave up after "
                    f"TORCHSCOPE_LOCK_TIMEOUT={limit:g} s. Another program holds its write lock (a long "
                    f"transaction, an sqlite3 shell, a backup?): close it, or raise TORCHSCOPE_LOCK_TIMEOUT."
                ) from exc
            time.sleep(min(delay * (0.5 + random.random()), max(limit - waited, 0.001)))
            delay = min(delay * 2, 0.5)
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise StoreDamagedError(path, str(exc)) from exc
            raise
