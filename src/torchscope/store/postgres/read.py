"""The team store's read side: :class:`PostgresStore`, the Provider (and RunAdmin) over PostgreSQL.

Every query is the SQLite store's (:class:`~torchscope.store.reader.SQLReader`: the tables are the
same), run on a small pool of connections, so the dashboard's parallel reads (``scalars_many``) each
get their own. A server that stops answering makes a read raise
:class:`~torchscope.errors.StoreUnavailableError` (503 in the dashboard); a broken connection is
dropped and the next read connects again, so it recovers when the server is back.

The pool is a few lines here rather than psycopg-pool's: that one runs worker threads and joins
them from ``__del__``, which fails ("cannot join current thread") when a store that was never
closed (``ts.open(url)`` in a notebook) is collected on one of them. This one has no threads:
idle connections wait in a queue, at most ``pool_size`` exist, and they close with the store.

Example::

    store = ts.open("postgresql://me@db.lab/runs")
    loss = store.scalars(store.runs()[0].id, "train/loss", downsample=2000)
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Sequence
from typing import Any

from ...errors import StoreUnavailableError
from ..location import redact
from ..reader import SQLReader
from ._conn import CHANNEL, connect, driver, sql, unavailable
from .listen import Changes
from .media import MARKER, Media, fetch
from .schema import migrate

__all__ = ["PostgresStore"]


class PostgresStore(SQLReader):
    """Read (and manage) the runs of a PostgreSQL store: ``PostgresStore("postgresql://...")``."""

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = url
        first = connect(url)  # fails fast, with a clear message, on a bad URL or a server that is down
        try:
            migrate(first, redact(url))
        except BaseException:
            first.close()
            raise
        self._pool_size = pool_size
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._idle.put(first)
        self._made = 1
        self._lock = threading.Lock()
        self._changes: Changes | None = None

    @property
    def location(self) -> str:
        return redact(self.url)

    def __repr__(self) -> str:
        return f"PostgresStore({self.location!r})"

    def _in(self, column: str, ids: list[int]) -> tuple[str, list[Any]]:
        return f"{column} = ANY(?)", [list(ids)]

    def _data(self, column: str) -> str:
        ref = column[:-4] + "ref"  # "i.data" -> "i.ref": media kept on object storage are read by reference
        return f"COALESCE({column}, '\\x{MARKER.hex()}'::bytea || convert_to({ref}, 'UTF8'))"

    def _bytes(self, value: Any) -> bytes:
        data = bytes(value)
        if data.startswith(MARKER):
            return fetch(data[len(MARKER):].decode())
        return data

    def delete_run(self, run_id: str) -> None:
        """Delete a run, everything logged in it, and its media objects."""
        refs = [r[0] for r in self._q(
            "SELECT i.ref FROM images i JOIN series s ON s.id = i.series_id WHERE s.run_id = ? AND i.ref IS NOT NULL "
            "UNION SELECT b.ref FROM record_blobs b JOIN records r ON r.id = b.record_id JOIN series s "
            "ON s.id = r.series_id WHERE s.run_id = ? AND b.ref IS NOT NULL", (run_id, run_id))]
        super().delete_run(run_id)
        for root in {ref.rsplit("/", 3)[0] for ref in refs}:  # <root>/<run>/<xx>/<sha>
            with contextlib.suppress(OSError, ImportError):
                Media(root).remove_run(run_id)

    def changes(self) -> Changes:
        """The store's live change feed (LISTEN/NOTIFY; one listening connection, started on first use)."""
        with self._lock:
            if self._changes is None:
                self._changes = Changes(self.url)
            return self._changes

    def refresh_status(self) -> list[str]:
        """Persist ``crashed`` for runs whose processes died, and tell the listeners."""
        dead = super().refresh_status()
        for run_id in dead:
            self._execute("SELECT pg_notify(?, current_schema() || ' ' || ?)", (CHANNEL, run_id))
        return dead

    def close(self) -> None:
        """Close every idle connection and the change feed (the store stays usable: the next read connects again)."""
        with self._lock:
            changes, self._changes = self._changes, None
        if changes is not None:
            changes.close()
        with self._lock:
            idle, self._idle = self._idle, queue.LifoQueue()
            self._made -= idle.qsize()
        while not idle.empty():
            idle.get_nowait().close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _take(self, fresh: bool = False) -> Any:
        if not fresh:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                pass
        with self._lock:
            make = self._made < self._pool_size
            if make:
                self._made += 1
        if make:
            try:
                return connect(self.url, autocommit=True)
            except BaseException:
                with self._lock:
                    self._made -= 1
                raise
        try:
            return self._idle.get(timeout=30.0)
        except queue.Empty:
            raise StoreUnavailableError(f"all {self._pool_size} connections to {self.location} stayed busy "
                                        f"for 30 s") from None

    def _give(self, conn: Any) -> None:
        if conn.closed or conn.broken:
            conn.close()
            with self._lock:
                self._made -= 1
        else:
            self._idle.put(conn)

    def _run(self, fn: Any) -> Any:
        psycopg = driver()
        for attempt in (0, 1):  # an idle connection may have died with a server restart: once more, anew
            conn = self._take(fresh=attempt == 1)
            try:
                return fn(conn)
            except psycopg.OperationalError as exc:
                if attempt == 0 and conn.broken:
                    continue
                raise unavailable(self.url, exc) from None
            finally:
                self._give(conn)
        raise AssertionError("unreachable")

    def _q(self, query: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        # binary results: bytea columns (packed points) arrive as bytes, not as hex text to decode
        return self._run(lambda conn: conn.execute(sql(query), tuple(args), binary=True).fetchall())  # type: ignore[no-any-return]

    def _execute(self, query: str, args: Sequence[Any] = ()) -> None:
        self._run(lambda conn: conn.execute(sql(query), tuple(args)))

    def _tx(self, statements: list[tuple[str, Sequence[Any]]]) -> None:
        def tx(conn: Any) -> None:
            with conn.transaction():
                for query, args in statements:
                    conn.execute(sql(query), tuple(args))

        self._run(tx)
