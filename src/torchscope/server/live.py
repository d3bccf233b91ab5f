"""Live updates over server-sent events: ``GET /api/events``.

Each connection remembers, for every running run, how many points each key had and the last
step of each scalar key; every ``interval`` seconds it asks the store what changed and sends only
that: ``runs`` (the run list changed: new run, status, rename), ``scalars`` (the new points of
one key of one run, columnar) and ``keys`` (an image/histogram/text/record key got new entries,
or too many scalar points to send: the panel re-reads), and ``store`` (``{"ok": false, "error"}``
when the store cannot be read, a database server away; ``{"ok": true}`` when it is back).
Over a store that pushes its changes (the PostgreSQL team store: LISTEN/NOTIFY, see
``store/postgres/listen.py``) a connection reads the store only when told something changed
(and every ``SAFETY_POLL`` seconds), not every interval. The browser's ``EventSource``
reconnects by itself after a server restart; the client then re-reads everything once.

Example::

    event: scalars
    data: {"run": "a1b2", "key": "train/loss", "step": [120], "wall_time": [...], "value": [0.31]}
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from ..errors import NotFound, StoreBusyError
from ..store.postgres.listen import Changes, feed_of
from ..store.provider import Provider
from .context import context
from .encode import jsonable

__all__ = ["Watch", "routes"]

MAX_POINTS = 5000  # more new points than this in one poll: tell the client to re-read instead
SAFETY_POLL = 15.0  # with a change feed: read anyway this often (a process killed says nothing)
SETTLE = 2.0  # with a change feed: keep reading each interval this long after the last change


class Watch:
    """What one connection has seen; ``poll()`` returns the events since the previous poll."""

    def __init__(self, store: Provider) -> None:
        self.store = store
        self.runs_sig: Any = None
        self.counts: dict[tuple[str, str, str], int] = {}
        self.last_step: dict[tuple[str, str], int] = {}
        self.poll(initial=True)

    def _run_sig(self, runs: list[Any]) -> Any:
        return [(r.id, r.name, r.tags, r.status, r.archived, r.notes, json.dumps(r.summary, sort_keys=True,
                                                                               default=str)) for r in runs]

    def poll(self, initial: bool = False) -> list[tuple[str, dict[str, Any]]]:
        events: list[tuple[str, dict[str, Any]]] = []
        runs = self.store.runs()
        sig = self._run_sig(runs)
        if sig != self.runs_sig and not initial:
            events.append(("runs", {"count": len(runs)}))
        was_running = {rid for (rid, _, _) in self.counts}
        self.runs_sig = sig
        for run in runs:
            if run.status != "running" and run.id not in was_running:
                continue  # finished runs do not change: never re-read them
            try:
                infos = self.store.keys(run.id)
            except NotFound:  # deleted meanwhile
                continue
            for k in infos:
                if k.rank != 0:
                    continue
                ident = (run.id, k.kind, k.key)
                before = self.counts.get(ident, 0)
                if k.count == before:
                    continue
                self.counts[ident] = k.count
                if k.kind == "scalar":
                    events += self._scalars(run.id, k.key, k.count - before, initial)
                elif not initial:
                    events.append(("keys", {"run": run.id, "kind": k.kind, "key": k.key, "count": k.count}))
        if not initial:  # forget runs that stopped: one last poll has collected their final points
            alive = {r.id for r in runs if r.status == "running"}
            self.counts = {i: c for i, c in self.counts.items() if i[0] in alive}
        return events

    def _scalars(self, run_id: str, key: str, new: int, initial: bool) -> list[tuple[str, dict[str, Any]]]:
        last = self.last_step.get((run_id, key))
        if initial or (last is None and new > MAX_POINTS):
            tail = self.store.scalars(run_id, key, downsample=1)
            if len(tail):
                self.last_step[(run_id, key)] = int(tail.step[-1])
            return [] if initial else [("keys", {"run": run_id, "kind": "scalar", "key": key})]
        if new > MAX_POINTS:
            self.last_step.pop((run_id, key), None)
            return self._scalars(run_id, key, new, initial=False)
        pts = self.store.scalars(run_id, key, x_range=(None if last is None else last + 1, None))
        if not len(pts):
            return []
        self.last_step[(run_id, key)] = int(pts.step[-1])
        return [("scalars", {"run": run_id, "key": key, **pts.to_columns()})]


def _frame(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(jsonable(data), allow_nan=False)}\n\n"


async def _changed(feed: Changes, seen: int, interval: float, request: Request) -> None:
    """Until the store says something changed (or SAFETY_POLL seconds): an in-memory check, no query."""
    waited = 0.0
    while feed.generation == seen and waited < SAFETY_POLL and not await request.is_disconnected():
        await asyncio.sleep(min(interval, 0.1))
        waited += min(interval, 0.1)


async def events(request: Request) -> StreamingResponse:
    store = context(request).provider
    interval = context(request).settings.poll_interval
    feed = feed_of(store)  # a store that pushes its changes (PostgreSQL): read only when told

    async def stream() -> Any:
        watch: Watch | None = None
        down: str | None = None  # why the store cannot be read now (a database server away), said once
        try:  # the baseline: what exists when the page connects
            watch = await run_in_threadpool(Watch, store)
        except StoreBusyError as exc:
            down = str(exc)
        seen = feed.generation if feed is not None else 0
        heard = 0.0  # when the feed last moved: polls go on for SETTLE s after (cached listings catch up)
        yield "retry: 1000\n" + _frame("hello", {"time": time.time()})
        if down is not None:
            yield _frame("store", {"ok": False, "error": down})
        quiet = 0.0
        while not await request.is_disconnected():
            await asyncio.sleep(interval)  # at most one read per interval, however busy the writers
            if feed is not None and down is None:  # (while the store is away: try each interval)
                if time.monotonic() - heard > SETTLE:  # quiet for a while: wait until told
                    await _changed(feed, seen, interval, request)
                if feed.generation != seen:
                    seen, heard = feed.generation, time.monotonic()
            try:
                if watch is None:
                    watch = await run_in_threadpool(Watch, store)
                    out = []
                else:
                    out = await run_in_threadpool(watch.poll)
            except StoreBusyError as exc:  # unreachable or locked: tell the page, keep trying
                if down is None:
                    yield _frame("store", {"ok": False, "error": str(exc)})
                down = str(exc)
                continue
            if down is not None:  # back: the page re-reads what it shows
                down = None
                yield _frame("store", {"ok": True})
            for event, data in out:
                yield _frame(event, data)
            quiet = 0.0 if out else quiet + interval
            if quiet >= 15:  # a comment keeps proxies from closing an idle stream
                yield ": keep-alive\n\n"
                quiet = 0.0

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


routes = [Route("/events", events)]
