"""Warm-up when the server starts: read what the first screen of the Scalars panel will ask for.

The first read of a key in a process costs two to three times a later one (the pages come off the
disk or into the process, code paths run for the first time). While the user's browser is still
opening, a background thread reads, through the store, the first ``keys`` scalar keys (in the
panel's order) of the newest runs at ``buckets`` buckets, the count a chart of up to 512 device
pixels asks for, and leaves the finished runs' answers in the series cache. It steps aside while
any request is being served (``Activity`` counts them, not the event stream or the liveness check), and stops
after ``budget_s`` seconds, when the cache is half full, or when the server shuts down.

Example::

    warmer = Warmer(provider); warmer.start(); ...; warmer.stop()
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from ..errors import NotFound
from ..store.caching import CachingProvider

__all__ = ["WARM_BUCKETS", "Activity", "TrackActivity", "Warmer"]

WARM_BUCKETS = 512  # the Scalars panel asks for a multiple of 256 buckets (chart.js: bucketCount)
log = logging.getLogger("torchscope.server")


class Activity:
    """How many requests are in flight right now (``active``), shared by the middleware and the warm-up."""

    def __init__(self) -> None:
        self.active = 0
        self.last = 0.0  # when the last request ended (time.monotonic)
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.active += n
            if n < 0:
                self.last = time.monotonic()

    def busy(self, quiet: float = 0.15) -> bool:
        """A request is in flight, or one ended less than ``quiet`` seconds ago (they come in bursts)."""
        return self.active > 0 or time.monotonic() - self.last < quiet


class TrackActivity:
    """ASGI middleware counting HTTP requests in flight into an ``Activity`` (not the event stream)."""

    def __init__(self, app: Any, activity: Activity) -> None:
        self.app, self.activity = app, activity

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path", "") in ("/api/events", "/api/health"):  # long-lived, or tiny
            await self.app(scope, receive, send)
            return
        self.activity.add(1)
        try:
            await self.app(scope, receive, send)
        finally:
            self.activity.add(-1)


class Warmer:
    """A background read of the first keys of the newest runs; ``state`` is idle, running or done."""

    def __init__(self, reader: CachingProvider, activity: Activity | None = None, *, keys: int = 12, runs: int = 200,
                 buckets: int = WARM_BUCKETS, budget_s: float = 60.0) -> None:
        self.reader, self.keys, self.runs, self.buckets, self.budget_s = reader, keys, runs, buckets, budget_s
        self.activity = activity or Activity()
        self.state, self.seconds, self.reads = "idle", 0.0, 0
        self._stop = threading.Event()
        self._t0 = 0.0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.state = "running"
        self._thread = threading.Thread(target=self._run, name="torchscope-warm", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        t0 = self._t0 = time.monotonic()
        try:
            self._warm(t0)
        except Exception:  # a warm-up failure only costs speed: log it, never stop the server
            log.exception("warm-up failed")
        finally:
            self.seconds = time.monotonic() - t0
            self.state = "done"

    def _warm(self, t0: float) -> None:
        cache = self.reader.cache
        self._yield()
        runs = [r for r in self.reader.by_id().values() if not r.archived]
        runs.sort(key=lambda r: -r.created)
        runs = runs[:self.runs]
        names: set[str] = set()
        for r in runs:
            self._yield()
            try:
                names.update(k.key for k in self.reader.keys(r.id, kind="scalar") if k.rank == 0)
            except NotFound:
                continue
        for key in sorted(names)[:self.keys]:
            for r in runs:
                self._yield()
                if self._stop.is_set() or time.monotonic() - t0 > self.budget_s or cache.bytes > cache.max_bytes // 2:
                    return
                with contextlib.suppress(NotFound):  # a run without that key
                    self.reader.scalars(r.id, key, downsample=self.buckets)
                self.reads += 1

    def _yield(self) -> None:
        while self.activity.busy() and not self._stop.is_set() and time.monotonic() - self._t0 < self.budget_s:
            time.sleep(0.02)  # requests go first
