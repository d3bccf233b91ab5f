"""Shared fixtures: a fresh store directory per test, and a helper to run Python in a real child process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "tsruns"


@pytest.fixture(scope="session")
def quick_tour(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The tour (``torchscope demo --quick``: seven runs), written once per session: ``{"dir", "tour"}``.
    Tests that share it must not change it; one that logs into a tour makes a copy (:func:`copy_tour`)."""
    from torchscope.demo import run_demo

    dir = tmp_path_factory.mktemp("quick-tour") / "tsruns"
    return {"dir": dir, "tour": run_demo(dir=dir, quick=True, progress=False)}


def copy_tour(quick_tour: dict[str, Any], dest: Path) -> Path:
    """A private copy of the shared tour's store (same runs and ids), for a test that writes into it."""
    shutil.copytree(quick_tour["dir"], dest)
    return dest


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("TORCHSCOPE_DIR", None)
    return env


def run_python(code: str, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (argv[1:] = args); returns the completed process."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                          timeout=timeout, env=child_env())
    if check and proc.returncode != 0:
        raise AssertionError(f"child failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def popen_python(code: str, *args: str, stdin: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-u", "-c", textwrap.dedent(code), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.PIPE if stdin else None, text=True,
                            env=child_env())


# -- the team store: a real PostgreSQL server (scripts/postgres.sh starts one; CI runs it) ----------
PG_URL = os.environ.get("TORCHSCOPE_TEST_PG", "postgresql://torchscope:torchscope@127.0.0.1:5432/torchscope")


def postgres_available() -> str | None:
    """Why the test PostgreSQL server cannot be used, or None. With ``TORCHSCOPE_NEED_PG=1`` (CI) a
    missing server fails the tests instead of skipping them."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install 'torchscope[postgres]')"
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"no PostgreSQL server at {PG_URL} (run scripts/postgres.sh): {str(exc).strip()[:120]}"
    return None


def new_pg_schema(label: str = "t") -> str:
    """A store URL on a new, empty schema of the test server (a store of its own, cheap to make)."""
    import uuid

    import psycopg

    why = postgres_available()
    if why is not None:
        if os.environ.get("TORCHSCOPE_NEED_PG") == "1":
            pytest.fail(why)
        pytest.skip(why)
    schema = f"ts_{label}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def drop_pg_schema(url: str) -> None:
    import psycopg

    schema = url.rsplit("%3D", 1)[1]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def pg_url() -> object:
    """A PostgreSQL store URL of its own (a fresh schema), dropped after the test."""
    url = new_pg_schema()
    yield url
    drop_pg_schema(url)
