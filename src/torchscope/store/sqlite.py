"""The read side of a torchscope store: ``ts.open(dir)`` returns a :class:`Store`.

Readers see every run of every project in the directory, their keys, and columnar series read
straight from the chunk blobs (numpy, no per-point Python objects). ``scalars(...,
downsample=N)`` reduces any range to at most N buckets of last/min/max, so a spike or a NaN is
never hidden. It implements the read contract, :class:`~torchscope.store.provider.Provider`:
reads never change the store (a run whose process died reads as ``crashed`` from its process
table; :meth:`Store.refresh_status` persists that), errors are typed. Changing runs (rename, tag,
archive, delete) is the separate ``update_run``/``delete_run``. Safe to share between threads:
each thread gets its own SQLite connection.

Example::

    store = ts.open("tsruns")
    run = store.runs(project="mnist")[0]
    loss = store.scalars(run.id, "train/loss", downsample=2000)
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._db import connect, retry
from .reader import CRASHED_WHY, KINDS, STALE_AFTER, SQLReader
from .types import RecordEntry

__all__ = ["CRASHED_WHY", "KINDS", "STALE_AFTER", "RecordEntry", "Store", "open_store"]  # RecordEntry: from .types


class Store(SQLReader):
    """Read (and manage) the runs in a store directory. Create with ``ts.open(dir)``."""

    _busy = (sqlite3.OperationalError, TimeoutError)

    def __init__(self, dir: str | os.PathLike[str] | None = None) -> None:
        db, self.path = connect(dir, create=False)
        self._local = threading.local()
        self._local.db = db

    @property
    def dir(self) -> Path:
        return self.path.parent

    @property
    def location(self) -> str:
        return str(self.dir)

    @property
    def db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db, _ = connect(self.path, create=False, check=False)  # checked once, in __init__
            self._local.db = db
        return db

    @property
    def _small_db(self) -> sqlite3.Connection:
        """This thread's connection that reads without the memory map (see :meth:`_q_small`)."""
        db = getattr(self._local, "small", None)
        if db is None:
            db, _ = connect(self.path, create=False, check=False)
            db.execute("PRAGMA mmap_size=0")
            self._local.small = db
        return db

    def close(self) -> None:
        for name in ("db", "small"):
            db = getattr(self._local, name, None)
            if db is not None:
                db.close()
                setattr(self._local, name, None)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _q(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return retry(lambda: self.db.execute(sql, args).fetchall(), path=self.path)

    def _q_small(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A query of small scattered pages (the scalar index, block summaries), read with ``pread``, not the
        memory map: a page fault in the map of a file off the disk reads the OS's whole read-ahead window
        around it (8 MiB here), so 100 runs' summaries read 1.3 GB from a cold disk (1.1-1.8 s), and 110 MB
        (0.14-0.3 s) this way. From the page cache it costs a copy per page (a few ms per 100 runs)."""
        return retry(lambda: self._small_db.execute(sql, args).fetchall(), path=self.path)

    def _execute(self, sql: str, args: Sequence[Any] = ()) -> None:
        retry(lambda: self.db.execute(sql, args), attempts=20, path=self.path)

    def _tx(self, statements: list[tuple[str, Sequence[Any]]]) -> None:
        def tx() -> None:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    db.execute(sql, args)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

        retry(tx, path=self.path)


def open_store(dir: str | os.PathLike[str] | None = None, *, create: bool = False) -> Any:
    """Open the store in ``dir`` for reading: ``ts.open("tsruns")``, ``ts.open("postgresql://me@db/runs")``.

    ``dir`` is a directory or a ``postgresql://`` URL (the team store); by default
    ``$TORCHSCOPE_STORE``, else ``$TORCHSCOPE_DIR``, else ``./tsruns``.

    A directory with no store of its own but stores below it (``SummaryWriter``'s ``runs/<name>``
    layout) opens as a :class:`~torchscope.store.multi.MultiStore` over all of them.
    ``create=True`` makes an empty store there when there is none (e.g. to serve before training).
    """
    from ._db import DB_NAME, resolve_dir
    from .location import is_url, resolve

    if dir is None:
        dir = resolve()
    if is_url(dir):
        from .postgres import PostgresStore

        return PostgresStore(str(dir))  # made (and migrated) if new: create= changes nothing there
    path = resolve_dir(dir)
    if create and not (path / DB_NAME).exists() and not (path.is_dir() and any(path.rglob(DB_NAME))):
        db, _ = connect(path, create=True)
        db.close()
    if path.is_dir() and not (path / DB_NAME).exists():
        from .multi import MultiStore, find_stores

        if find_stores(path):
            return MultiStore(path)
    return Store(dir)
