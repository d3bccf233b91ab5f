"""``torchscope doctor DIR``: check a store, and copy what is readable of a damaged one into a new store.

SQLite's own ``.recover`` lives in its command-line shell, not in Python's ``sqlite3`` module, and
the shell is not installed everywhere; so the salvage is ours. It reads every table of the damaged
file in rowid order; where a page cannot be read it skips ahead (a doubling probe, then a binary
search back to the first readable rowid), so one bad page costs the rows on it, not the table.
The copy then repairs what the lost rows break: scalar chunks without their points (or points
without their chunk) are dropped, summaries of lost chunks too (the reader summarizes a chunk that
has none), and data whose run row was lost gets a stub run (project ``salvaged``) instead of
vanishing. The damaged file is never written.

Example::

    report = check("tsruns")            # report.ok, report.problems
    counts = salvage("tsruns", "tsruns-salvaged")   # {table: (copied, lost_or_unreadable)}
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._db import DB_NAME, connect, resolve_dir

__all__ = ["Report", "check", "main", "salvage"]

_TABLES = ("meta", "runs", "procs", "series", "scalar_chunks", "scalar_points", "scalar_summaries", "images",
           "histograms", "texts", "records", "record_blobs")


@dataclasses.dataclass
class Report:
    """What ``check`` found: ``ok``, the problems SQLite reports (at most 50), the schema version and counts."""

    path: Path
    ok: bool
    problems: list[str]
    schema_version: str | None
    counts: dict[str, int | None]


def _db_file(dir: str | os.PathLike[str]) -> Path:
    path = resolve_dir(dir)
    db = path if path.is_file() else path / DB_NAME
    if not db.is_file():
        raise FileNotFoundError(f"no torchscope store at {str(path)!r}: {DB_NAME} is missing")
    return db


def _open_raw(db: Path) -> sqlite3.Connection:
    """The damaged file, read-only (URI mode=ro: nothing is ever written into it)."""
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)


def check(dir: str | os.PathLike[str]) -> Report:
    """A full ``PRAGMA integrity_check`` of the store in ``dir``: ``check("tsruns").ok``."""
    path = _db_file(dir)
    con = _open_raw(path)
    problems: list[str] = []
    version: str | None = None
    counts: dict[str, int | None] = {}
    try:
        try:
            rows = con.execute("PRAGMA integrity_check(50)").fetchall()
            problems = [line for r in rows if r[0] != "ok" for line in str(r[0]).splitlines()
                        if line.strip() and not line.startswith("***")]
        except sqlite3.DatabaseError as exc:
            problems = [f"unreadable: {exc}"]
        try:
            row = con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = None if row is None else str(row[0])
            if version is not None and not version.isdigit():
                problems.append(f"schema_version is {version[:40]!r}, not a number")
        except sqlite3.DatabaseError as exc:
            problems.append(f"meta: {exc}")
        counts = _counts(con)
    finally:
        con.close()
    return Report(path=path, ok=not problems, problems=problems, schema_version=version, counts=counts)


def _counts(con: sqlite3.Connection) -> dict[str, int | None]:
    """Rows each table claims (None where the count itself cannot be read)."""
    counts: dict[str, int | None] = {}
    for table in _TABLES:
        try:
            counts[table] = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        except sqlite3.DatabaseError:
            counts[table] = None
    return counts


def _readable(con: sqlite3.Connection, sql: str, lo: int) -> bool:
    try:
        con.execute(sql + " LIMIT 1", (lo,)).fetchall()
        return True
    except sqlite3.DatabaseError:
        return False


def _skip(con: sqlite3.Connection, table: str, lo: int) -> int | None:
    """The smallest ``x > lo`` from which ``rowid > x`` reads again (None: nothing readable after lo)."""
    sql = f"SELECT rowid FROM {table} WHERE rowid > ? ORDER BY rowid"
    bad, step = lo, 1
    while True:  # double until a probe reads
        probe = lo + step
        if probe >= 2**63 - 1:
            return None
        if _readable(con, sql, probe):
            good = probe
            break
        bad, step = probe, step * 2
    while good - bad > 1:  # then back to the first readable start
        mid = (bad + good) // 2
        if _readable(con, sql, mid):
            good = mid
        else:
            bad = mid
    return good


def _rows(con: sqlite3.Connection, table: str, cols: list[str]) -> Iterator[tuple[Any, ...]]:
    """Every readable row of ``table`` (rowid first), skipping what cannot be read."""
    sql = f"SELECT rowid, {', '.join(cols)} FROM {table} WHERE rowid > ? ORDER BY rowid"
    lo: int | None = -(2**63)
    while lo is not None:
        try:
            for row in con.execute(sql, (lo,)):
                lo = row[0]
                yield row
            return
        except sqlite3.DatabaseError:
            lo = _skip(con, table, lo)


def _columns(con: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in con.execute(f"PRAGMA table_info({table})")]


def salvage(dir: str | os.PathLike[str], out: str | os.PathLike[str]) -> dict[str, tuple[int, int | None]]:
    """Copy every readable row of the store in ``dir`` into a new store in ``out`` (which must not
    hold one); returns ``{table: (rows copied, rows the damaged file claims but could not give)}``."""
    src_path = _db_file(dir)
    out_dir = resolve_dir(out)
    if (out_dir / DB_NAME).exists():
        raise FileExistsError(f"{str(out_dir)!r} already holds a store: give a new directory to salvage into")
    src = _open_raw(src_path)
    before = _counts(src)  # what the damaged file claims (the full check is the caller's, if wanted)
    dst, _ = connect(out_dir, create=True)
    result: dict[str, tuple[int, int | None]] = {}
    try:
        dst.execute("BEGIN IMMEDIATE")
        for table in _TABLES:
            wanted = _columns(dst, table)
            try:
                have = set(_columns(src, table))
            except sqlite3.DatabaseError:
                have = set()
            cols = [c for c in wanted if c in have]
            if table == "meta" or not cols:  # the new store has its own meta (its schema version)
                continue
            insert = f"INSERT OR IGNORE INTO {table}({', '.join(cols)}) VALUES({', '.join('?' * len(cols))})"
            for row in _rows(src, table, cols):
                dst.execute(insert, row[1:])
        _repair(dst)
        for table in _TABLES[1:]:  # what the new store holds, after the repair
            copied = int(dst.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            claimed = before.get(table)
            result[table] = (copied, None if claimed is None else max(claimed - copied, 0))
        dst.execute("COMMIT")
    except BaseException:
        dst.execute("ROLLBACK")
        raise
    finally:
        src.close()
        dst.close()
    return result


def _repair(db: sqlite3.Connection) -> None:
    """Make the copy consistent where rows were lost."""
    db.execute("DELETE FROM scalar_chunks WHERE id NOT IN (SELECT chunk_id FROM scalar_points)")
    db.execute("DELETE FROM scalar_points WHERE chunk_id NOT IN (SELECT id FROM scalar_chunks)")
    db.execute("DELETE FROM scalar_summaries WHERE chunk_id NOT IN (SELECT id FROM scalar_chunks)")
    db.execute("DELETE FROM record_blobs WHERE record_id NOT IN (SELECT id FROM records)")
    for table in ("scalar_chunks", "images", "histograms", "texts", "records"):
        db.execute(f"DELETE FROM {table} WHERE series_id NOT IN (SELECT id FROM series)")
    db.execute("INSERT OR IGNORE INTO runs(id, project, name, status, created, error) "
               "SELECT DISTINCT run_id, 'salvaged', 'salvaged-' || run_id, 'crashed', ?, "
               "'salvaged by torchscope doctor: the run''s own row was lost' FROM series "
               "WHERE run_id NOT IN (SELECT id FROM runs)", (time.time(),))
    db.execute("UPDATE runs SET status='crashed', error=COALESCE(error, 'salvaged by torchscope doctor') "
               "WHERE status='running'")


def _free_dir(base: Path) -> Path:
    candidate, i = base, 1
    while candidate.exists():
        i += 1
        candidate = base.with_name(f"{base.name}-{i}")
    return candidate


def main(dir: str | None, out: str | None, *, repair: bool = True) -> int:
    """The command: 0 when the store is sound, 1 when damaged (and salvaged unless ``repair=False``)."""
    path = resolve_dir(dir)
    report = check(path)
    counts = ", ".join(f"{n:,} {t}" for t, n in report.counts.items() if t in ("runs", "series") and n is not None)
    if report.ok:
        print(f"{report.path}: ok (schema version {report.schema_version}; {counts})")
        return 0
    print(f"{report.path}: DAMAGED ({len(report.problems)} problem(s) found)")
    for line in report.problems[:10]:
        print(f"  {line}")
    if not repair:
        print(f"salvage it with: torchscope doctor {path}")
        return 1
    target = resolve_dir(out) if out else _free_dir(path.with_name(path.name + "-salvaged"))
    print(f"copying what is readable into {target} ...")
    result = salvage(path, target)
    for table, (copied, lost) in result.items():
        tail = "" if lost is None else f", {lost:,} lost" if lost else ", none lost"
        print(f"  {table:17} {copied:>10,} copied{tail}")
    print(f"done. The damaged store is unchanged. To use the salvaged one:\n"
          f"  mv {path} {path}-damaged && mv {target} {path}")
    return 1
