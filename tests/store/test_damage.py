"""A damaged store is found at open, never written into, and salvaged by ``torchscope doctor``;
a lock held by another process costs a bounded, documented wait with a clear error."""

from __future__ import annotations

import os
import sqlite3
import threading
import time

import numpy as np
import pytest

import torchscope as ts
from torchscope.cli import main as cli
from torchscope.store._db import StoreBusyError, StoreDamagedError, connect, retry
from torchscope.store.doctor import check, salvage
from torchscope.store.schema import SchemaError

PAGE = 4096


def _filled(store_dir, runs: int = 3, points: int = 60_000) -> list[str]:
    ids = []
    for r in range(runs):
        with ts.init(dir=store_dir, name=f"r{r}", flush_interval=0.05) as run:
            for i in range(0, points, 1000):
                run.log({f"k{j}": float(i + s) for j in range(3) for s in range(1)}, step=i)
                for s in range(1, 1000, 50):
                    run.log({"loss": float(i + s)}, step=i + s)
            for i in range(20):
                run.log_image("img", np.full((8, 8), i, np.uint8), step=i)
                run.log_text("notes", f"note {i}", step=i)
            ids.append(run.id)
    return ids


def _damage(store_dir, first_page: int, pages: int = 3) -> None:
    """Overwrite whole pages in the middle of the file with garbage, as a failing disk would."""
    path = store_dir / "torchscope.db"
    assert not (store_dir / "torchscope.db-wal").exists() or os.path.getsize(store_dir / "torchscope.db-wal") == 0
    rng = np.random.default_rng(first_page)
    with open(path, "r+b") as f:
        f.seek(first_page * PAGE)
        f.write(rng.integers(0, 256, pages * PAGE, dtype=np.uint8).tobytes())


@pytest.fixture
def damaged(store_dir):
    ids = _filled(store_dir)
    npages = os.path.getsize(store_dir / "torchscope.db") // PAGE
    _damage(store_dir, npages // 2)
    return store_dir, ids


def test_a_damaged_store_is_refused_at_open_with_the_way_out(damaged):
    store_dir, _ids = damaged
    for opener in (lambda: ts.init(dir=store_dir), lambda: ts.open(store_dir)):
        with pytest.raises(StoreDamagedError) as err:
            opener()
        assert "is damaged" in str(err.value) and f"torchscope doctor {store_dir}" in str(err.value)
    before = (store_dir / "torchscope.db").read_bytes()
    with pytest.raises(StoreDamagedError):
        ts.init(dir=store_dir)
    assert (store_dir / "torchscope.db").read_bytes() == before, "nothing was written into the damaged file"


def test_doctor_salvages_what_is_readable(damaged, capsys, tmp_path):
    store_dir, ids = damaged
    assert len(ids) == 3
    assert not check(store_dir).ok
    out = tmp_path / "salvaged"
    assert cli(["doctor", str(store_dir), "--to", str(out)]) == 1
    said = capsys.readouterr().out
    assert "DAMAGED" in said and "copied" in said and f"mv {store_dir}" in said
    assert check(out).ok
    store = ts.open(out)  # opens, reads, and is consistent
    runs = store.runs()
    assert len(runs) >= 2
    points = 0
    for info in runs:
        for key in store.keys(info.id, "scalar"):
            got = store.scalars(info.id, key.key)
            assert np.all(np.diff(got.step) > 0)
            points += len(got)
            store.scalars(info.id, key.key, downsample=100)  # summaries of lost chunks are not needed
    assert points > 0.5 * 3 * (60 * 3 + 60 * 20)  # most of it survives three bad pages
    # the salvaged store takes new runs
    with ts.init(dir=out) as run:
        run.log({"x": 1.0})
    assert ts.open(out).scalars(run.id, "x").value.tolist() == [1.0]


def test_doctor_on_a_sound_store_says_ok_and_copies_nothing(store_dir, capsys, tmp_path):
    _filled(store_dir, runs=1, points=2000)
    assert cli(["doctor", str(store_dir)]) == 0
    assert ": ok" in capsys.readouterr().out
    assert not (store_dir.parent / "tsruns-salvaged").exists()
    counts = salvage(store_dir, tmp_path / "copy")  # salvage of a sound store copies everything
    assert all(lost in (0, None) for _, lost in counts.values()) and counts["runs"][0] == 1


def test_doctor_refuses_to_salvage_over_an_existing_store(damaged, tmp_path, capsys):
    store_dir, _ = damaged
    other = tmp_path / "other"
    with ts.init(dir=other):
        pass
    assert cli(["doctor", str(store_dir), "--to", str(other)]) == 2
    assert "already holds a store" in capsys.readouterr().err


def test_a_schema_version_that_is_not_a_number_is_a_clear_error(store_dir):
    with ts.init(dir=store_dir):
        pass
    db = sqlite3.connect(store_dir / "torchscope.db")
    db.execute("UPDATE meta SET value='abc' WHERE key='schema_version'")
    db.commit()
    db.close()
    with pytest.raises(SchemaError, match=r"'abc', not a version number.*torchscope doctor"):
        ts.open(store_dir)


def test_damage_met_while_training_stops_the_writes_not_the_training(store_dir, capsys):
    """A store damaged under a running tracker: said once, training goes on, finish() raises."""
    run = ts.init(dir=store_dir, flush_interval=0.02)
    writer = run._writer

    def damaged(batch):
        raise StoreDamagedError(store_dir, "database disk image is malformed")

    writer.store.write = damaged
    writer.max_items, writer._soft_items = 1000, 250
    t0 = time.monotonic()
    for i in range(20_000):  # well past the memory bound: nothing blocks, nothing grows
        run.log({"x": float(i)})
    assert time.monotonic() - t0 < 30
    assert len(writer.queue) + writer._npoints <= 2_000
    with pytest.raises(RuntimeError, match="is damaged"):
        run.finish()
    assert capsys.readouterr().err.count("is damaged") == 1


def test_a_held_lock_fails_after_the_documented_time(store_dir, monkeypatch):
    monkeypatch.setenv("TORCHSCOPE_LOCK_TIMEOUT", "1.5")
    with ts.init(dir=store_dir):
        pass
    holder = sqlite3.connect(store_dir / "torchscope.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        db, path = connect(store_dir, check=False)
        t0 = time.monotonic()
        with pytest.raises(StoreBusyError) as err:
            retry(lambda: db.execute("INSERT INTO meta(key, value) VALUES('x', 'y')"), path=path)
        waited = time.monotonic() - t0
        assert 1.4 < waited < 1.5 + 5.5  # the total bound plus at most one busy_timeout
        assert "TORCHSCOPE_LOCK_TIMEOUT=1.5" in str(err.value) and str(path) in str(err.value)
        db.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_lock_released_in_time_is_waited_for(store_dir, monkeypatch):
    monkeypatch.setenv("TORCHSCOPE_LOCK_TIMEOUT", "20")
    with ts.init(dir=store_dir):
        pass
    holder = sqlite3.connect(store_dir / "torchscope.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    threading.Timer(1.0, lambda: holder.execute("ROLLBACK")).start()
    db, path = connect(store_dir, check=False)
    retry(lambda: db.execute("INSERT INTO meta(key, value) VALUES('x', 'y')"), path=path)
    assert db.execute("SELECT value FROM meta WHERE key='x'").fetchone() == ("y",)
    db.close()
    holder.close()


@pytest.mark.parametrize("raw", ["abc", "-1", "0", "nan"])
def test_a_bad_lock_timeout_setting_is_named(store_dir, monkeypatch, raw):
    monkeypatch.setenv("TORCHSCOPE_LOCK_TIMEOUT", raw)
    with pytest.raises(ValueError, match="TORCHSCOPE_LOCK_TIMEOUT"):
        ts.init(dir=store_dir)
