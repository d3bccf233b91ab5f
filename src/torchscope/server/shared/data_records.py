"""Reading a run's data records (kinds ``data.*``) for the Data and Projector panels.

A record is addressed by run, key, its row ``id`` in the store and ``part``: the index of a child
view inside a ``data.profile`` record, or -1 for the record itself. Rebuilding a record costs
real time (a 70,000-point projection decodes a 50 MB sprite sheet), so the rebuilt entries of a
key are kept in a small LRU in the app's context state keyed by (run, key, rank, count): a record once
written never changes, and a new one changes the count.

Example::

    for info, entries in data_entries(ctx, run_id): ...
    rec = find_record(ctx, run_id, key, rec_id, part)
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np

from ...errors import NotFound
from ...records import Record
from ..context import PanelContext

__all__ = ["RecordCache", "data_entries", "find_record", "record_bytes"]

_CREATE = threading.Lock()  # guards the one-time creation of the cache in an app's state


def record_bytes(rec: Any) -> int:
    """About how many bytes a record's arrays hold (nested profiles included)."""
    if isinstance(rec, np.ndarray):
        return int(rec.nbytes)
    if isinstance(rec, (list, tuple)):
        return sum(record_bytes(r) for r in rec)
    if dataclasses.is_dataclass(rec) and not isinstance(rec, type):
        return 256 + sum(record_bytes(getattr(rec, f.name)) for f in dataclasses.fields(rec))
    if isinstance(rec, bytes):
        return len(rec)
    return 0


class RecordCache:
    """A thread-safe LRU of rebuilt record entries, bounded in bytes (the newest item always stays)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[Any, ...], tuple[Any, int]] = OrderedDict()
        self.bytes = 0

    def get_or_load(self, key: tuple[Any, ...], load: Any) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
                return item[0]
        value = load()  # outside the lock: a slow read must not stall other keys
        size = sum(record_bytes(e.record) for e in value)
        with self._lock:
            if key not in self._items:
                self._items[key] = (value, size)
                self.bytes += size
            while self.bytes > self.max_bytes and len(self._items) > 1:
                _, (_, n) = self._items.popitem(last=False)
                self.bytes -= n
        return value


def _cache(ctx: PanelContext) -> RecordCache:
    state = ctx.state  # the app's, never the module's
    cache = state.get("data_records")
    if cache is None:
        with _CREATE:
            cache = state.get("data_records")
            if cache is None:
                mb = int(os.environ.get("TORCHSCOPE_RECORD_CACHE_MB", "512"))
                cache = state["data_records"] = RecordCache(mb << 20)
    return cache  # type: ignore[no-any-return]


def data_entries(ctx: PanelContext, run_id: str, kinds: tuple[str, ...] = ("data.",), *,
                 key: str | None = None) -> Iterator[tuple[Any, list]]:
    """Per record key of a run (or only ``key``) whose kind starts with one of ``kinds``: (KeyInfo, [RecordEntry])."""
    store = ctx.provider
    try:
        infos = store.keys(run_id, kind="record")
    except NotFound:
        return
    for info in infos:
        if not (info.record_kind or "").startswith(kinds) or (key is not None and info.key != key):
            continue
        entries = _cache(ctx).get_or_load(
            (run_id, info.key, info.rank, info.count),
            lambda info=info: store.records(run_id, key=info.key, rank=info.rank))
        yield info, entries


def find_record(ctx: PanelContext, run_id: str, key: str, rec_id: int, part: int) -> Record:
    """The record (or the profile's child ``part``) with row id ``rec_id`` under ``key``; NotFound if none."""
    for _, entries in data_entries(ctx, run_id, key=key):
        for e in entries:
            if e.id != rec_id:
                continue
            rec = e.record
            if part < 0:
                return rec
            children = getattr(rec, "records", None)
            if not isinstance(children, list) or part >= len(children):
                break
            return children[part]
    raise NotFound(f"run {run_id!r} has no data record {key!r} #{rec_id} part {part}")
