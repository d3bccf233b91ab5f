"""Reading a run's data records (kinds ``data.*``) for the Data and Projector panels.

A record is addressed by run, key, its row ``id`` in the store and ``part``: the index of a child
view inside a ``data.profile`` record, or -1 for the record itself. Rebuilding a record costs
real time (a 70,000-point projection decodes a 50 MB sprite sheet): the dashboard's provider
(:class:`~torchscope.store.caching.CachingProvider`, the one read cache) keeps each rebuilt record
by id, within its byte budget (``TORCHSCOPE_CACHE_MB``), so nothing is kept here.

Example::

    for info, entries in data_entries(ctx.provider, run_id): ...
    rec = find_record(ctx.provider, run_id, key, rec_id, part)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...errors import NotFound
from ...records import Record
from ...store.provider import Provider
from ...store.types import KeyInfo, RecordEntry

__all__ = ["data_entries", "find_record"]


def data_entries(store: Provider, run_id: str, kinds: tuple[str, ...] = ("data.",), *,
                 key: str | None = None) -> Iterator[tuple[KeyInfo, list[RecordEntry]]]:
    """Per record key of a run (or only ``key``) whose kind starts with one of ``kinds``: (KeyInfo, [RecordEntry])."""
    try:
        infos = store.keys(run_id, kind="record")
    except NotFound:
        return
    for info in infos:
        if not (info.record_kind or "").startswith(kinds) or (key is not None and info.key != key):
            continue
        yield info, store.records(run_id, key=info.key, rank=info.rank)


def find_record(store: Provider, run_id: str, key: str, rec_id: int, part: int) -> Record:
    """The record (or the profile's child ``part``) with row id ``rec_id`` under ``key``; NotFound if none."""
    for _, entries in data_entries(store, run_id, key=key):
        for e in entries:
            if e.id != rec_id:
                continue
            rec: Any = e.record
            if part < 0:
                return rec  # type: ignore[no-any-return]
            children = getattr(rec, "records", None)
            if not isinstance(children, list) or part >= len(children):
                break
            return children[part]  # type: ignore[no-any-return]
    raise NotFound(f"run {run_id!r} has no data record {key!r} #{rec_id} part {part}")
