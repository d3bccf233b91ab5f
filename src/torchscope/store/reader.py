"""The read side shared by the SQL stores (SQLite, PostgreSQL): every query of the Provider contract.

The two backends keep the same tables (runs, procs, series, columnar scalar chunks with their
block summaries, images, histograms, texts, records and their blobs), so the queries are written
once, here, with ``?`` placeholders. A backend gives four things: :meth:`SQLReader._q` (run a
query, return its rows), :meth:`SQLReader._execute` (one statement that changes runs: the admin
routes and the explicit status refresh), :meth:`SQLReader._tx` (statements in one transaction)
and :attr:`SQLReader.location` (where the store lives, for messages: a directory, or a URL
without its password).

Reads never change the store: a run whose process died reads as ``crashed`` from its process
table; :meth:`SQLReader.refresh_status` persists that.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import socket
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InvalidArgument, NotFound
from ..records import Record
from .downsample import (
    FIELDS,
    STEP_LAST,
    WALL_LAST,
    N,
    bucket_points,
    bucket_summaries,
    from_bytes,
    pick_block,
    summarize,
)
from .types import HistogramEntry, ImageEntry, KeyInfo, RecordEntry, RunInfo, Scalars, TextEntry, check_status

__all__ = ["CRASHED_WHY", "KINDS", "STALE_AFTER", "SQLReader"]

STALE_AFTER = 120.0  # seconds without a heartbeat after which a process on another host is presumed dead
CRASHED_WHY = "the process stopped without finishing the run (killed or crashed)"
KINDS = ("scalar", "image", "histogram", "text", "record")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SQLReader:
    """The Provider's queries over the shared tables; a backend subclasses it (see the module doc)."""

    _host = socket.gethostname()
    _busy: tuple[type[BaseException], ...] = (TimeoutError,)  # errors refresh_status lets pass (a lock)

    @property
    def location(self) -> str:
        """Where the store lives, for people: a directory, or a URL without its password."""
        raise NotImplementedError

    def _q(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of one query (``?`` placeholders)."""
        raise NotImplementedError

    def _q_small(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a query that reads small, scattered pages (series and chunk index, block summaries):
        :meth:`_q` unless a backend reads those another way (the SQLite store: without its memory map)."""
        return self._q(sql, args)

    def _execute(self, sql: str, args: Sequence[Any] = ()) -> None:
        """One statement that changes runs, committed."""
        raise NotImplementedError

    def _tx(self, statements: list[tuple[str, Sequence[Any]]]) -> None:
        """Statements run in one transaction, all or none."""
        raise NotImplementedError

    def _in(self, column: str, ids: list[int]) -> tuple[str, list[Any]]:
        """``column IN (ids)`` as SQL and its parameters (a backend with arrays passes one parameter,
        so the statement text does not change with the number of ids and is prepared once)."""
        return f"{column} IN ({','.join('?' * len(ids))})", list(ids)

    def _data(self, column: str) -> str:
        """The SQL that reads a bytes column of media (images, record blobs): the column itself here;
        a backend that keeps media elsewhere (the team store's object storage) reads a reference."""
        return column

    def _bytes(self, value: Any) -> bytes:
        """The bytes of what :meth:`_data` read."""
        return bytes(value)

    # -- runs ------------------------------------------------------------------------------
    def _dead_procs(self) -> dict[str, float]:
        """Running runs whose writing processes are gone: run id -> last heartbeat (no writes)."""
        now = time.time()
        rows = self._q(
            "SELECT p.run_id, p.host, p.pid, p.heartbeat FROM procs p JOIN runs r ON r.id = p.run_id "
            "WHERE r.status = 'running' AND p.ended IS NULL"
        )
        dead: dict[str, float] = {}
        for run_id, host, pid, beat in rows:
            gone = (host == self._host and not _pid_alive(pid)) or now - beat > STALE_AFTER
            if gone:
                dead[run_id] = max(dead.get(run_id, 0.0), beat)
        return dead

    def refresh_status(self) -> list[str]:
        """Persist ``crashed`` for the runs whose processes died (reads already show it); their ids.

        The one write of the read side, explicit: ``torchscope serve`` calls it every few seconds.
        A read-only store is left as it is (its readers still see the derived status).
        """
        dead = self._dead_procs()
        for run_id, beat in dead.items():
            with contextlib.suppress(*self._busy):
                self._mark_crashed(run_id, beat, CRASHED_WHY)
        return sorted(dead)

    def _mark_crashed(self, run_id: str, beat: float, why: str) -> None:
        sql = "UPDATE runs SET status='crashed', ended=?, error=COALESCE(error, ?) WHERE id=? AND status='running'"
        self._execute(sql, (beat, why, run_id))

    def runs(self, project: str | None = None, *, tags: list[str] | None = None, status: str | None = None,
             archived: bool | None = None) -> list[RunInfo]:
        """Runs, newest first, optionally filtered: ``store.runs(project="mnist", tags=["cnn"])``.

        A run whose process died without finishing reads as ``crashed`` (derived, nothing written).
        """
        check_status(status)
        dead = self._dead_procs()
        sql = ("SELECT id, project, name, config, tags, status, created, ended, summary, world_size, notes, "
               "archived, error FROM runs")
        where: list[str] = []
        args: list[Any] = []
        if project is not None:
            where.append("project = ?")
            args.append(project)
        if archived is not None:
            where.append("archived = ?")
            args.append(int(archived))
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._q(sql + " ORDER BY created DESC", args)
        procs: dict[str, list[tuple[int, str | None]]] = {}
        for run_id, rank, host in self._q("SELECT run_id, rank, host FROM procs ORDER BY rank"):
            procs.setdefault(run_id, []).append((rank, host))
        out = []
        for r in rows:
            state, ended, error = r[5], r[7], r[12]
            if r[0] in dead:
                state, ended, error = "crashed", dead[r[0]], error or CRASHED_WHY
            info = RunInfo(
                id=r[0], project=r[1], name=r[2], config=json.loads(r[3]), tags=json.loads(r[4]), status=state,
                created=r[6], ended=ended, summary=json.loads(r[8]), world_size=r[9],
                ranks=[p[0] for p in procs.get(r[0], [])], host=(procs.get(r[0]) or [(0, None)])[0][1],
                notes=r[10], archived=bool(r[11]), error=error,
            )
            if tags and not set(tags) <= set(info.tags):
                continue
            if status is not None and info.status != status:
                continue
            out.append(info)
        return out

    def run(self, run_id: str) -> RunInfo:
        """One run by id (``NotFound`` if absent)."""
        for info in self.runs():
            if info.id == run_id:
                return info
        raise NotFound(f"no run with id {str(run_id)[:80]!r} in {self.location}")

    def _check_run(self, run_id: str) -> None:
        if not self._q("SELECT 1 FROM runs WHERE id=?", (run_id,)):
            raise NotFound(f"no run with id {str(run_id)[:80]!r} in {self.location}")

    def projects(self) -> list[str]:
        return [r[0] for r in self._q("SELECT DISTINCT project FROM runs ORDER BY project")]

    def update_run(self, run_id: str, *, name: str | None = None, tags: list[str] | None = None,
                   notes: str | None = None, archived: bool | None = None) -> RunInfo:
        """Rename, retag, annotate or archive a run: ``store.update_run(rid, name="best")``."""
        self.run(run_id)
        sets: dict[str, Any] = {}
        if name is not None:
            if not isinstance(name, str) or not name.strip():
                raise InvalidArgument("name must be a non-empty string")
            sets["name"] = name
        if tags is not None:
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise InvalidArgument("tags must be a list of strings")
            sets["tags"] = json.dumps(tags)
        if notes is not None:
            sets["notes"] = str(notes)
        if archived is not None:
            sets["archived"] = int(bool(archived))
        if sets:
            cols = ", ".join(f"{c} = ?" for c in sets)  # column names are ours, never the caller's
            self._execute(f"UPDATE runs SET {cols} WHERE id = ?", [*sets.values(), run_id])
        return self.run(run_id)

    def delete_run(self, run_id: str) -> None:
        """Delete a run and everything logged in it."""
        self.run(run_id)

        sids = "SELECT id FROM series WHERE run_id = ?"
        chunks = f"SELECT id FROM scalar_chunks WHERE series_id IN ({sids})"
        self._tx([(f"DELETE FROM record_blobs WHERE record_id IN (SELECT id FROM records WHERE series_id IN ({sids}))",
                   (run_id,)),
                  *[(f"DELETE FROM {table} WHERE chunk_id IN ({chunks})", (run_id,))
                    for table in ("scalar_points", "scalar_summaries")],
                  *[(f"DELETE FROM {table} WHERE series_id IN ({sids})", (run_id,))
                    for table in ("scalar_chunks", "images", "histograms", "texts", "records")],
                  *[(f"DELETE FROM {table} WHERE {col} = ?", (run_id,))
                    for table, col in (("series", "run_id"), ("procs", "run_id"), ("runs", "id"))]])

    # -- keys ------------------------------------------------------------------------------
    def keys(self, run_id: str, kind: str | None = None) -> list[KeyInfo]:
        """What was logged in a run, by kind: ``store.keys(rid, kind="scalar")`` (``NotFound``: no such run)."""
        if kind is not None and kind not in KINDS:
            raise InvalidArgument(f"kind must be one of {', '.join(KINDS)}; got {kind!r:.40}")
        counts = {
            "scalar": "SELECT COALESCE(SUM(n), 0) FROM scalar_chunks WHERE series_id = s.id",
            "image": "SELECT COUNT(*) FROM images WHERE series_id = s.id",
            "histogram": "SELECT COUNT(*) FROM histograms WHERE series_id = s.id",
            "text": "SELECT COUNT(*) FROM texts WHERE series_id = s.id",
            "record": "SELECT COUNT(*) FROM records WHERE series_id = s.id",
        }
        out = []
        for k in [kind] if kind else list(KINDS):
            extra = (", (SELECT record_kind FROM records WHERE series_id = s.id ORDER BY id DESC LIMIT 1)"
                     if k == "record" else ", NULL")
            rows = self._q_small(f"SELECT s.key, s.rank, ({counts[k]}){extra}, s.id FROM series s "
                                 f"WHERE s.run_id = ? AND s.kind = ? ORDER BY s.key, s.rank", (run_id, k))
            out += [KeyInfo(key=r[0], kind=k, rank=r[1], count=r[2], record_kind=r[3], order=r[4]) for r in rows]
        if not out:
            self._check_run(run_id)
        return out

    def _series(self, run_id: str, kind: str, key: str, rank: int) -> int:
        row = self._q_small("SELECT id FROM series WHERE run_id=? AND kind=? AND key=? AND rank=?",
                            (run_id, kind, key, rank))
        if not row:  # the message lists a few known keys; one cheap query, no counts
            known = [r[0] for r in self._q("SELECT key FROM series WHERE run_id=? AND kind=? AND rank=? ORDER BY key "
                                           "LIMIT 20", (run_id, kind, rank))]
            self._check_run(run_id)
            raise NotFound(f"run {run_id!r} has no {kind} key {key[:200]!r} (rank {rank}); known: {known}")
        return int(row[0][0])

    # -- scalars ---------------------------------------------------------------------------
    def scalars(self, run_id: str, key: str, *, rank: int = 0, downsample: int | None = None,
                x_range: tuple[float | None, float | None] | None = None, x: str = "step") -> Scalars:
        """Every point of a scalar key, or ``downsample`` buckets of last/min/max over ``x_range``.

        Example: ``store.scalars(rid, "train/loss", downsample=2000, x_range=(0, 5000))``.
        """
        if x not in ("step", "wall_time"):
            raise InvalidArgument(f"x must be 'step' or 'wall_time', got {x!r:.40}")
        if downsample is not None and (not isinstance(downsample, int) or downsample < 1):
            raise InvalidArgument(f"downsample must be a positive int (buckets), got {downsample!r:.40}")
        sid = self._series(run_id, "scalar", key, rank)
        lo_col, hi_col = ("step_lo", "step_hi") if x == "step" else ("wall_lo", "wall_hi")
        lo, hi = x_range if x_range is not None else (None, None)
        meta = self._q_small(f"SELECT id, n, {lo_col}, {hi_col} FROM scalar_chunks WHERE series_id=? "
                             f"AND {hi_col} >= ? AND {lo_col} <= ? ORDER BY id",
                             (sid, -math.inf if lo is None else float(lo), math.inf if hi is None else float(hi)))
        total = sum(m[1] for m in meta)
        block = pick_block(total, downsample) if downsample else None
        if block is not None and downsample is not None:
            return self._scalars_from_summaries(key, meta, x, lo, hi, downsample, block)
        ids = [m[0] for m in meta]
        step, wall, val = self._read_points(ids)
        xs = step if x == "step" else wall
        order = np.argsort(xs, kind="stable") if len(xs) and np.any(np.diff(xs) < 0) else None
        if order is not None:
            step, wall, val, xs = step[order], wall[order], val[order], xs[order]
        if lo is not None or hi is not None:
            keep = np.ones(len(xs), bool)
            if lo is not None:
                keep &= xs >= lo
            if hi is not None:
                keep &= xs <= hi
            step, wall, val, xs = step[keep], wall[keep], val[keep], xs[keep]
        if not downsample or len(step) <= downsample:
            return Scalars(key=key, step=step, wall_time=wall, value=val, total=len(step))
        b_lo = float(xs[0]) if lo is None else lo
        b_hi = float(xs[-1]) if hi is None else hi
        cols = bucket_points(xs, step, wall, val, b_lo, b_hi, downsample)
        return Scalars(key=key, downsampled=True, total=len(step), **cols)

    def _read_points(self, ids: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not ids:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        rows = []
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            where, args = self._in("chunk_id", part)
            rows += self._q(f"SELECT steps, walls, vals FROM scalar_points WHERE {where} ORDER BY chunk_id", args)
        return (np.concatenate([np.frombuffer(r[0], "<i8") for r in rows]),
                np.concatenate([np.frombuffer(r[1], "<f8") for r in rows]),
                np.concatenate([np.frombuffer(r[2], "<f8") for r in rows]))

    def _read_chunks(self, ids: list[int]) -> list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        out = []
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            where, args = self._in("chunk_id", part)
            rows = self._q(f"SELECT chunk_id, steps, walls, vals FROM scalar_points WHERE {where} ORDER BY chunk_id",
                           args)
            out += [(r[0], np.frombuffer(r[1], "<i8"), np.frombuffer(r[2], "<f8"), np.frombuffer(r[3], "<f8"))
                    for r in rows]
        return out

    def _scalars_from_summaries(self, key: str, meta: list[tuple[Any, ...]], x: str, lo: float | None,
                                hi: float | None, buckets: int, block: int) -> Scalars:
        inside = [m[0] for m in meta if (lo is None or m[2] >= lo) and (hi is None or m[3] <= hi)]
        inside_set = set(inside)
        cut = [m[0] for m in meta if m[0] not in inside_set]
        parts = []
        found: set[int] = set()
        for i in range(0, len(inside), 500):
            part = inside[i:i + 500]
            where, args = self._in("chunk_id", part)
            rows = self._q_small(f"SELECT chunk_id, data FROM scalar_summaries WHERE block = ? AND {where} "
                                 f"ORDER BY chunk_id", [block, *args])
            parts += [from_bytes(r[1]) for r in rows]
            found.update(r[0] for r in rows)
        missing = [c for c in inside if c not in found]  # a store written before this block size existed
        # chunk by chunk, in storage order, as the writer summarizes: the same blocks, the same buckets
        for cid, step, wall, val in self._read_chunks(sorted(cut + missing)):
            if cid in inside_set:
                parts.append(summarize(step, wall, val, block))
                continue
            xs = step if x == "step" else wall  # a chunk the range cuts through: only its points inside
            keep = np.ones(len(xs), bool) if lo is None else xs >= lo
            if hi is not None:
                keep &= xs <= hi
            if keep.any():
                parts.append(summarize(step[keep], wall[keep], val[keep], block))
        summ = np.concatenate(parts) if parts else np.zeros((0, len(FIELDS)))
        summ = summ[summ[:, N] > 0]
        if len(summ) == 0:
            return Scalars(key=key, step=np.zeros(0, np.int64), wall_time=np.zeros(0), value=np.zeros(0))
        pos = summ[:, STEP_LAST] if x == "step" else summ[:, WALL_LAST]
        b_lo = float(pos.min()) if lo is None else lo
        b_hi = float(pos.max()) if hi is None else hi
        cols = bucket_summaries(summ, x, b_lo, b_hi, buckets)
        return Scalars(key=key, downsampled=True, total=int(summ[:, N].sum()), **cols)

    # -- media, text, records ----------------------------------------------------------------
    def images(self, run_id: str, key: str, *, rank: int = 0, step: int | None = None,
               with_data: bool = False) -> list[ImageEntry]:
        """Images of a key in step order (only ``step``'s when given). Their bytes stay in the store
        until used (``entry.data``, ``entry.to_numpy()``) unless ``with_data=True``."""
        sid = self._series(run_id, "image", key, rank)
        sql = ("SELECT id, step, wall, width, height, mime, " + (self._data("data") if with_data else "NULL")
               + ", caption FROM images WHERE series_id=?")
        args: tuple[Any, ...] = (sid,)
        if step is not None:
            sql, args = sql + " AND step=?", (sid, int(step))
        rows = self._q(sql + " ORDER BY step, id", args)
        return [ImageEntry(key=key, id=r[0], step=r[1], wall_time=r[2], width=r[3], height=r[4], mime=r[5],
                           data=self._bytes(r[6]) if with_data else None, caption=r[7],
                           load=None if with_data else self._image_loader(r[0])) for r in rows]

    def _image_loader(self, image_id: int) -> Any:
        return lambda: self._image_bytes(image_id)

    def _image_bytes(self, image_id: int) -> bytes:
        rows = self._q(f"SELECT {self._data('data')} FROM images WHERE id=?", (image_id,))
        if not rows:
            raise NotFound(f"image {image_id} is no longer in {self.location} (its run was deleted?)")
        return self._bytes(rows[0][0])

    def image(self, run_id: str, image_id: int) -> ImageEntry:
        """One image with its bytes, by the ``id`` of a listing: ``store.image(rid, entries[0].id)``."""
        rows = self._q(f"SELECT i.id, s.key, i.step, i.wall, i.width, i.height, i.mime, {self._data('i.data')}, "
                       "i.caption FROM images i JOIN series s ON s.id = i.series_id WHERE i.id=? AND s.run_id=?",
                       (_int_id(image_id, "image_id"), run_id))
        if not rows:
            self._check_run(run_id)
            raise NotFound(f"run {run_id!r} has no image with id {image_id!r:.40}")
        r = rows[0]
        return ImageEntry(key=r[1], id=r[0], step=r[2], wall_time=r[3], width=r[4], height=r[5], mime=r[6],
                          data=self._bytes(r[7]), caption=r[8])

    def histograms(self, run_id: str, key: str, *, rank: int = 0) -> list[HistogramEntry]:
        """Histograms of a key in step order."""
        sid = self._series(run_id, "histogram", key, rank)
        rows = self._q("SELECT step, wall, lo, hi, counts, stats FROM histograms WHERE series_id=? ORDER BY step, id",
                       (sid,))
        return [HistogramEntry(key=key, step=r[0], wall_time=r[1], lo=r[2], hi=r[3],
                               counts=np.frombuffer(r[4], "<f8").copy(), stats=json.loads(r[5])) for r in rows]

    def texts(self, run_id: str, key: str, *, rank: int = 0) -> list[TextEntry]:
        """Texts of a key in step order."""
        sid = self._series(run_id, "text", key, rank)
        rows = self._q("SELECT step, wall, text FROM texts WHERE series_id=? ORDER BY step, id", (sid,))
        return [TextEntry(key=key, step=r[0], wall_time=r[1], text=r[2]) for r in rows]

    def records(self, run_id: str, *, kind: str | None = None, key: str | None = None,
                rank: int | None = None, with_blobs: bool = False) -> list[RecordEntry]:
        """Records of a run in step order: ``store.records(rid, kind="model.summary")``. ``entry.record``
        is typed; the blobs (checkpoints, arrays) load on first use unless ``with_blobs=True``."""
        sql = ("SELECT r.id, s.key, r.record_kind, r.step, r.wall, r.data, s.rank FROM records r JOIN series s "
               "ON s.id = r.series_id WHERE s.run_id = ?")
        args: list[Any] = [run_id]
        for col, val in (("r.record_kind", kind), ("s.key", key), ("s.rank", rank)):
            if val is not None:
                sql += f" AND {col} = ?"
                args.append(val)
        rows = self._q(sql + " ORDER BY r.step, r.id", args)
        if not rows:
            self._check_run(run_id)
        names: dict[int, list[str]] = {}
        blobs: dict[int, dict[str, bytes]] = {}
        ids = [r[0] for r in rows]
        for i in range(0, len(ids), 500):
            where, args = self._in("record_id", ids[i:i + 500])
            if with_blobs:
                for rid, name, data in self._q(f"SELECT record_id, name, {self._data('data')} FROM record_blobs "
                                               f"WHERE {where}", args):
                    blobs.setdefault(rid, {})[name] = self._bytes(data)
            else:
                for rid, name in self._q(f"SELECT record_id, name FROM record_blobs WHERE {where}", args):
                    names.setdefault(rid, []).append(name)
        return [RecordEntry(rid, k, rkind, step, wall, json.loads(data), r_rank,
                            blobs=blobs.get(rid, {}) if with_blobs else None,
                            blob_names=tuple(names.get(rid, ())), load=None if with_blobs else self._blobs_loader(rid))
                for rid, k, rkind, step, wall, data, r_rank in rows]

    def _blobs_loader(self, record_id: int) -> Any:
        return lambda: {n: self._bytes(b) for n, b in self._q(f"SELECT name, {self._data('data')} FROM record_blobs "
                                                              "WHERE record_id=?",
                                                        (record_id,))}

    def record(self, run_id: str, record_id: Any, key: str | None = None) -> Any:
        """One record entry with its blobs, by the ``id`` of a listing: ``store.record(rid, entry.id)``.

        (Given a kind string instead, it returns ``latest(run_id, kind, key=key)``, as before 0.2.)
        """
        if isinstance(record_id, str):
            warnings.warn("store.record(run_id, kind) is store.latest(run_id, kind) now; record() takes a "
                          "record id", DeprecationWarning, stacklevel=2)
            return self.latest(run_id, record_id, key=key)
        rows = self._q("SELECT r.id, s.key, r.record_kind, r.step, r.wall, r.data, s.rank FROM records r "
                       "JOIN series s ON s.id = r.series_id WHERE r.id=? AND s.run_id=?",
                       (_int_id(record_id, "record_id"), run_id))
        if not rows:
            self._check_run(run_id)
            raise NotFound(f"run {run_id!r} has no record with id {record_id!r:.40}")
        rid, k, rkind, step, wall, data, rank = rows[0]
        return RecordEntry(rid, k, rkind, step, wall, json.loads(data), rank, blobs=self._blobs_loader(rid)())

    def latest(self, run_id: str, kind: str, *, key: str | None = None) -> Record:
        """The typed record last logged with ``kind`` (and ``key``): ``store.latest(rid, "model.graph")``."""
        sql = ("SELECT r.id FROM records r JOIN series s ON s.id = r.series_id WHERE s.run_id = ? "
               "AND r.record_kind = ?")
        args: list[Any] = [run_id, kind]
        if key is not None:
            sql, args = sql + " AND s.key = ?", [*args, key]
        rows = self._q(sql + " ORDER BY r.step DESC, r.id DESC LIMIT 1", args)
        if not rows:
            self._check_run(run_id)
            raise NotFound(f"run {run_id!r} has no record of kind {kind[:100]!r}"
                           + (f" and key {key[:200]!r}" if key else ""))
        entry: RecordEntry = self.record(run_id, int(rows[0][0]))
        return entry.record  # type: ignore[no-any-return]

    def blob(self, run_id: str, record_id: int, name: str) -> bytes:
        """One binary part of a record: ``store.blob(rid, entry.id, "weights")``."""
        rows = self._q(f"SELECT {self._data('b.data')} FROM record_blobs b JOIN records r ON r.id = b.record_id "
                       "JOIN series s ON s.id = r.series_id WHERE b.record_id=? AND b.name=? AND s.run_id=?",
                       (_int_id(record_id, "record_id"), name, run_id))
        if not rows:
            self._check_run(run_id)
            raise NotFound(f"run {run_id!r} has no blob {name[:100]!r} in record {record_id!r:.40}")
        return self._bytes(rows[0][0])


def _int_id(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not -(2**63) <= int(value) < 2**63:
        raise InvalidArgument(f"{name} must be an integer id from a listing, got {value!r:.40}")
    return int(value)
