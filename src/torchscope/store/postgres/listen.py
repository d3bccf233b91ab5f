"""What changed in a PostgreSQL store, pushed by the server: ``LISTEN``/``NOTIFY`` instead of polling.

Every transaction of a writer ends with ``NOTIFY torchscope, '<schema> <run id>'`` (what changed,
never the data). A :class:`Changes` feed holds one listening connection on a background thread
and counts what it hears for its own schema in :attr:`Changes.generation`; the dashboard's live
stream reads the store only when that number moves (an in-memory comparison, no query), plus a
slow safety-net poll. A lost connection is made again with backoff, and the generation moves
then too (notifications sent meanwhile were missed, so everyone re-reads once).

Example::

    feed = store.changes()
    seen = feed.generation
    ...                               # later
    if feed.generation != seen: ...   # something was written: read it
"""

from __future__ import annotations

import threading
import time
from typing import Any

from ._conn import CHANNEL, connect, driver

__all__ = ["Changes"]


class Changes:
    """A live feed of a PostgreSQL store's changes; see the module doc. ``close()`` stops it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.generation = 0
        self.runs: set[str] = set()  # run ids heard since the feed started (bounded: cleared past 10,000)
        self.connected = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="torchscope-listen", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        psycopg = driver()
        delay = 0.2
        while not self._stop.is_set():
            try:
                conn = connect(self.url, autocommit=True)
            except Exception:  # the server is away: try again, a little later each time
                self.connected = False
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)
                continue
            try:
                schema = conn.execute("SELECT current_schema()").fetchone()[0]
                conn.execute(f"LISTEN {CHANNEL}")
                self.connected, delay = True, 0.2
                self.generation += 1  # (re)connected: whatever happened meanwhile was not heard
                while not self._stop.is_set():
                    for note in conn.notifies(timeout=0.5, stop_after=256):
                        where, _, run_id = note.payload.partition(" ")
                        if where == schema:
                            if len(self.runs) > 10000:
                                self.runs.clear()
                            self.runs.add(run_id)
                            self.generation += 1
            except psycopg.Error:
                self.connected = False
                self.generation += 1  # lost: readers look now (and find the server away, or back)
                time.sleep(0.05)
            finally:
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def __repr__(self) -> str:
        return f"Changes(generation={self.generation}, connected={self.connected})"


def feed_of(provider: Any) -> Changes | None:
    """The change feed of a provider that has one (a PostgreSQL store, or a cache over one), else None."""
    changes = getattr(provider, "changes", None)
    got = changes() if callable(changes) else None
    return got if isinstance(got, Changes) else None
