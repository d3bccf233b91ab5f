"""The team store's read side: :class:`PostgresStore`, the Provider (and RunAdmin) over PostgreSQL.

Every query is the SQLite store's (:class:`~torchscope.store.reader.SQLReader`: the tables are the
same), run on a small pool of connections (psycopg-pool), so the dashboard's parallel reads
(``scalars_many``) each get their own. A server that stops answering makes a read raise
:class:`~torchscope.errors.StoreUnavailableError` (503 in the dashboard); the pool reconnects
by itself when the server is back.

Example::

    store = ts.open("postgresql://me@db.lab/runs")
    loss = store.scalars(store.runs()[0].id, "train/loss", downsample=2000)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from ..location import redact
from ..reader import SQLReader
from ._conn import connect, driver, sql, unavailable
from .schema import migrate

__all__ = ["PostgresStore"]


class PostgresStore(SQLReader):
    """Read (and manage) the runs of a PostgreSQL store: ``PostgresStore("postgresql://...")``."""

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = url
        first = connect(url)  # fails fast, with a clear message, on a bad URL or a server that is down
        try:
            migrate(first, redact(url))
        finally:
            first.close()
        self._pool_size = pool_size
        self._pool: Any = None
        self._lock = threading.Lock()

    @property
    def location(self) -> str:
        return redact(self.url)

    def __repr__(self) -> str:
        return f"PostgresStore({self.location!r})"

    def _connections(self) -> Any:
        with self._lock:
            if self._pool is None:
                from psycopg_pool import ConnectionPool

                self._pool = ConnectionPool(self.url, min_size=1, max_size=self._pool_size, open=True,
                                            kwargs={"autocommit": True}, timeout=10.0,
                                            check=ConnectionPool.check_connection, name="torchscope-read")
            return self._pool

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, fn: Any) -> Any:
        psycopg = driver()
        from psycopg_pool import PoolTimeout

        try:
            with self._connections().connection() as conn:
                return fn(conn)
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise unavailable(self.url, exc) from None

    def _q(self, query: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._run(lambda conn: conn.execute(sql(query), tuple(args)).fetchall())  # type: ignore[no-any-return]

    def _execute(self, query: str, args: Sequence[Any] = ()) -> None:
        self._run(lambda conn: conn.execute(sql(query), tuple(args)))

    def _tx(self, statements: list[tuple[str, Sequence[Any]]]) -> None:
        def tx(conn: Any) -> None:
            with conn.transaction():
                for query, args in statements:
                    conn.execute(sql(query), tuple(args))

        self._run(tx)
