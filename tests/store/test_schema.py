"""Schema versions and migrations."""

from __future__ import annotations

import sqlite3

import pytest

import torchscope as ts
from torchscope.store import DB_NAME, SCHEMA_VERSION
from torchscope.store.schema import MIGRATIONS, migrate, read_version


def test_new_store_has_current_version(store_dir):
    with ts.init(dir=store_dir) as run:
        run.log({"x": 1.0})
    db = sqlite3.connect(store_dir / DB_NAME)
    assert read_version(db) == SCHEMA_VERSION == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_store_from_newer_torchscope_is_refused_and_untouched(store_dir):
    with ts.init(dir=store_dir) as run:
        run.log({"x": 1.0})
    db = sqlite3.connect(store_dir / DB_NAME)
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    db.commit()
    with pytest.raises(ts.SchemaError, match="newer torchscope"):
        ts.open(store_dir)
    with pytest.raises(ts.SchemaError, match="Upgrade torchscope"):
        ts.init(dir=store_dir)
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1


def test_migrations_run_in_order_from_the_first_version(tmp_path):
    """A store at version 1 is brought to a later version by the next migration, data intact."""
    path = str(tmp_path / "m.db")
    db = sqlite3.connect(path, isolation_level=None)
    assert migrate(db, path, MIGRATIONS[:1]) == 0
    db.execute("INSERT INTO runs(id, project, name, created) VALUES('r', 'p', 'n', 0)")

    def v_next(conn):
        conn.execute("ALTER TABLE runs ADD COLUMN extra TEXT DEFAULT 'x'")

    assert migrate(db, path, [*MIGRATIONS[:1], v_next]) == 1
    assert read_version(db) == 2
    assert db.execute("SELECT name, extra FROM runs").fetchall() == [("n", "x")]
    assert migrate(db, path, [*MIGRATIONS[:1], v_next]) == 2  # idempotent


def test_failed_migration_rolls_back(tmp_path):
    path = str(tmp_path / "m.db")
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, path, MIGRATIONS[:1])

    def broken(conn):
        conn.execute("ALTER TABLE runs ADD COLUMN extra TEXT")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        migrate(db, path, [*MIGRATIONS[:1], broken])
    assert read_version(db) == 1
    assert "extra" not in [r[1] for r in db.execute("PRAGMA table_info(runs)")]


def test_not_a_database(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    (d / DB_NAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ts.StoreLocationError, match="not a usable torchscope store"):
        ts.open(d)
