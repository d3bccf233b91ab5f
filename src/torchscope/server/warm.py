"""Warm-up when the server starts: read what the first screen of the Scalars panel will ask for.

The first read of a key in a process costs two to three times a later one (the pages come off the
disk or into the process, code paths run for the first time), and ten times that on a cold disk.
Before the server takes its first request (``Warmer.start``, called by the app's lifespan), the
first scalar key (in the panel's order) of the newest runs is read at ``buckets`` buckets, the count
the panel's charts ask for at 1280 to 1920 CSS pixels (one bucket per device pixel rounded up to a
multiple of 256: 512; chart.js ``bucketCount``), in parallel (the provider's ``scalars_many``), at
most ``ready_s`` seconds; the finished runs' answers stay in the series cache, so the panel's first
query is answered from memory. Then a background thread reads the next ``keys`` keys the same way,
a few runs at a time; it steps aside while any request is being served (``Activity`` counts them, not
the event stream or the liveness check), and stops after ``budget_s`` seconds, when the cache is half
full, or when the server shuts down.

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

WARM_BUCKETS = 512  # what the Scalars panel asks at 1280-1920 CSS pixels (chart.js: bucketCount, multiples of 256)
GROUP = 20  # runs read at once in the background (in parallel), between two looks at the requests
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
                 buckets: int = WARM_BUCKETS, budget_s: float = 60.0, ready_s: float = 5.0) -> None:
        self.reader, self.keys, self.runs, self.buckets, self.budget_s = reader, keys, runs, buckets, budget_s
        self.ready_s = ready_s
        self.activity = activity or Activity()
        self.state, self.seconds, self.reads = "idle", 0.0, 0
        self.ready_seconds = 0.0  # spent before the server took requests
        self._stop = threading.Event()
        self._t0 = 0.0
        self._thread: threading.Thread | None = None
        self._plan: tuple[list[str], list[str]] = ([], [])  # (keys, run ids) to read

    def start(self) -> None:
        """Read the first key of the newest runs now (at most ``ready_s`` seconds), then the rest in the background."""
        self.state = "running"
        t0 = self._t0 = time.monotonic()
        try:
            self._plan = self._first_screen()
            keys, ids = self._plan
            if keys:
                self._read(keys[0], ids, t0 + self.ready_s, step_aside=False)
        except Exception:  # a warm-up failure only costs speed: log it, never stop the server
            log.exception("warm-up failed")
            self._plan = ([], [])
        self.ready_seconds = time.monotonic() - t0
        self._thread = threading.Thread(target=self._run, name="torchscope-warm", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        try:
            keys, ids = self._plan
            for key in keys[1:]:
                if not self._read(key, ids, self._t0 + self.budget_s, step_aside=True):
                    return
        except Exception:  # a warm-up failure only costs speed: log it, never stop the server
            log.exception("warm-up failed")
        finally:
            self.seconds = time.monotonic() - self._t0
            self.state = "done"

    def _first_screen(self) -> tuple[list[str], list[str]]:
        """The first ``keys`` scalar keys (rank 0, the panel's order) of the newest runs, and those runs' ids."""
        runs = [r for r in self.reader.by_id().values() if not r.archived]
        runs.sort(key=lambda r: -r.created)
        runs = runs[:self.runs]
        names: set[str] = set()
        for r in runs:
            try:
                names.update(k.key for k in self.reader.keys(r.id, kind="scalar") if k.rank == 0)
            except NotFound:
                continue
        return sorted(names)[:self.keys], [r.id for r in runs]

    def _read(self, key: str, ids: list[str], deadline: float, *, step_aside: bool) -> bool:
        """``key`` of the runs ``ids`` at ``buckets`` buckets, GROUP runs at a time in parallel, into the cache;
        False when the warm-up should stop (shut down, out of time, the cache half full)."""
        cache = self.reader.cache
        group = GROUP if step_aside else 50  # before the server is up: larger parts (no one waits but the start)
        for i in range(0, len(ids), max(group, 1)):
            if step_aside:
                self._yield()
            if self._stop.is_set() or time.monotonic() > deadline or cache.bytes > cache.max_bytes // 2:
                return False
            part = ids[i:i + group]
            with contextlib.suppress(NotFound):  # runs without the key answer None
                self.reader.scalars_many(part, key, downsample=self.buckets)
            self.reads += len(part)
        return True

    def _yield(self) -> None:
        while self.activity.busy() and not self._stop.is_set() and time.monotonic() - self._t0 < self.budget_s:
            time.sleep(0.02)  # requests go first
