"""Team-store benchmark: PostgreSQL behind torchscope, against MLflow on the same server and against
torchscope's own SQLite store. Prints each figure and its ratio; asserts nothing.

1. **Aggregate writes**: 8 processes log at once (10 keys per step, as fast as they can) through
   ``ts.init(store=URL)``; points/s from the first start to the last finish. The same work through
   MLflow's tracking store (``SqlAlchemyStore.log_batch`` of 1,000 metrics, MLflow's fastest
   path, no REST server in between) into another database of the same server. Goal: >= 1M points/s
   and >= 20x MLflow.
2. **Reading one 1M-point series** (every point, and 2,000 buckets): PostgreSQL vs SQLite. Goal:
   within 2x of SQLite.
3. **The dashboard's scalars API** over RUNS x KEYS x POINTS (default 100 x 10 x 100,000): one key
   of every run, 2,000 buckets, binary, through the real app (``create_app`` + TestClient): the
   first call, then warm (finished runs' series cached) and uncached (new bucket counts). Goal:
   within 2x of SQLite and under 200 ms warm.
4. **Listing 10,000 runs** (``store.runs()``), PostgreSQL vs SQLite.
5. **torchscope sync** of 1M points from a SQLite store into PostgreSQL.

Needs a PostgreSQL server (``scripts/postgres.sh``; ``--url`` or ``$TORCHSCOPE_BENCH_PG``, a role that
may create schemas and databases), and for (1)'s anchor ``pip install mlflow-skinny sqlalchemy alembic
psycopg2-binary`` (skipped, said, when missing). Each part uses a fresh schema, dropped after.

    python benchmarks/bench_team_store.py [--quick] [--url postgresql://...] [--only writes,read,api,list,sync]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import torchscope as ts  # noqa: E402
from torchscope.store.postgres import PostgresStore, PostgresWriter  # noqa: E402
from torchscope.store.write import Batch, SQLiteWriter  # noqa: E402

DEFAULT_URL = "postgresql://torchscope:torchscope@127.0.0.1:5432/torchscope"


def _schema(url: str, label: str) -> str:
    import psycopg

    name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{name}"


def _drop(url: str, scoped: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{scoped.rsplit("%3D", 1)[1]}" CASCADE')


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


# -- 1. aggregate writes ---------------------------------------------------------------------------
TS_WRITER = """
import sys, time, torchscope as ts
url, steps, t0 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
run = ts.init(project="bench", name="w", store=url)  # imports and the run's creation before the clock
time.sleep(max(t0 - time.time(), 0))
row = {f"k{j}": 0.0 for j in range(10)}
for i in range(steps):
    for j in range(10):
        row[f"k{j}"] = i * 0.001 + j
    run.log(row, step=i)
run.finish()
print(time.time(), flush=True)
"""

MLFLOW_WRITER = """
import sys, time
from mlflow.entities import Metric
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
url, steps, t0, exp = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
store = SqlAlchemyStore(url, "/tmp/torchscope-bench-mlartifacts")
run = store.create_run(exp, user_id="bench", start_time=int(time.time() * 1000), tags=[], run_name="w")
time.sleep(max(t0 - time.time(), 0))
batch = []
now = int(time.time() * 1000)
for i in range(steps):
    for j in range(10):
        batch.append(Metric(f"k{j}", i * 0.001 + j, now, i))
    if len(batch) >= 1000:
        store.log_batch(run.info.run_id, metrics=batch, params=[], tags=[])
        batch = []
if batch:
    store.log_batch(run.info.run_id, metrics=batch, params=[], tags=[])
print(time.time(), flush=True)
"""


def _parallel(code: str, args: list[list[str]]) -> float:
    """Start every process, let them begin together, return points' wall time (first start to last end)."""
    t0 = time.time() + 15.0  # imports (torch, in 8 processes on few cores) done before the clock starts
    procs = [subprocess.Popen([sys.executable, "-c", code, *a[:2], str(t0), *a[2:]], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
             for a in args]
    ends = []
    for p in procs:
        out, err = p.communicate(timeout=3600)
        if p.returncode != 0:
            raise RuntimeError(err[-2000:])
        ends.append(float(out.split()[-1]))
    return max(ends) - t0


def bench_writes(url: str, quick: bool) -> None:
    procs, steps = 8, (20_000 if quick else 200_000)
    scoped = _schema(url, "writes")
    try:
        secs = _parallel(TS_WRITER, [[scoped, str(steps)] for _ in range(procs)])
        ours = procs * steps * 10 / secs
        store = PostgresStore(scoped)
        got = sum(store.scalars(r.id, "k0").total for r in store.runs())
        store.close()
        assert got == procs * steps, f"lost points: {got} of {procs * steps}"
    finally:
        _drop(url, scoped)
    print(f"writes, {procs} processes x {steps:,} steps x 10 keys: torchscope {ours:,.0f} points/s ({secs:.1f} s)")
    try:
        import mlflow  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError:
        print("  MLflow: not installed (pip install mlflow-skinny sqlalchemy alembic psycopg2-binary): no ratio")
        return
    import psycopg

    db = f"bench_mlflow_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    ml_url = url.rsplit("/", 1)[0] + "/" + db
    try:
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        exp = SqlAlchemyStore(ml_url, "/tmp/torchscope-bench-mlartifacts").create_experiment("bench")
        ml_steps = max(steps // 20, 500)  # MLflow is much slower: less work, the same rate measured
        ml_secs = _parallel(MLFLOW_WRITER, [[ml_url, str(ml_steps), exp] for _ in range(procs)])
        theirs = procs * ml_steps * 10 / ml_secs
        print(f"  MLflow log_batch, {procs} processes x {ml_steps:,} steps x 10 keys: {theirs:,.0f} points/s "
              f"({ml_secs:.1f} s); torchscope/MLflow = {_ratio(ours, theirs)} (goal >= 20x; >= 1M points/s: "
              f"{'yes' if ours >= 1e6 else 'no'})")
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


# -- stores with the same data on both backends -----------------------------------------------------
def _fill(writer: object, keys: int, points: int, rng: np.random.Generator) -> None:
    writer.create_run(project="bench", name="r", config={"lr": float(rng.random())}, tags=[])  # type: ignore[attr-defined]
    steps = np.arange(points, dtype=np.int64)
    walls = 1.7e9 + steps * 0.01
    for start in range(0, points, 1_000_000):
        b = Batch()
        for k in range(keys):
            vals = np.cumsum(rng.standard_normal(min(1_000_000, points - start)))
            b.add_scalars(f"k{k}", 0, steps[start:start + len(vals)], walls[start:start + len(vals)], vals)
        writer.write(b)  # type: ignore[attr-defined]
    writer.finish()  # type: ignore[attr-defined]
    writer.close()  # type: ignore[attr-defined]


def _both(url: str, label: str, runs: int, keys: int, points: int) -> tuple[str, Path]:
    scoped, tmp = _schema(url, label), Path(tempfile.mkdtemp(prefix=f"ts-bench-{label}-"))
    rng = np.random.default_rng(0)
    for _ in range(runs):
        rid = uuid.uuid4().hex[:12]
        seed = int(rng.integers(1 << 30))
        _fill(PostgresWriter(scoped, rid), keys, points, np.random.default_rng(seed))
        _fill(SQLiteWriter(tmp, rid), keys, points, np.random.default_rng(seed))
    return scoped, tmp


def _time(fn: object, repeat: int = 5) -> float:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def bench_read(url: str, quick: bool) -> None:
    points = 100_000 if quick else 1_000_000
    scoped, tmp = _both(url, "read", 1, 1, points)
    try:
        pg, lite = PostgresStore(scoped), ts.open(tmp)
        rid = lite.runs()[0].id
        for what, kw in (("every point", {}), ("2,000 buckets", {"downsample": 2000})):
            a = _time(lambda kw=kw: pg.scalars(rid, "k0", **kw))
            b = _time(lambda kw=kw: lite.scalars(rid, "k0", **kw))
            print(f"read one {points:,}-point series, {what}: PostgreSQL {a * 1e3:.1f} ms, SQLite {b * 1e3:.1f} ms, "
                  f"ratio {_ratio(a, b)} (goal <= 2x)")
        pg.close()
    finally:
        _drop(url, scoped)
        shutil.rmtree(tmp)


def bench_api(url: str, quick: bool) -> None:
    from starlette.testclient import TestClient

    from torchscope.server import create_app

    runs, keys, points = (10, 10, 10_000) if quick else (100, 10, 100_000)
    t = time.perf_counter()
    scoped, tmp = _both(url, "api", runs, keys, points)
    print(f"scalars API over {runs} runs x {keys} keys x {points:,} points (built both stores in "
          f"{time.perf_counter() - t:.0f} s):")
    try:
        figures = {}
        for name, where in (("PostgreSQL", scoped), ("SQLite", tmp)):
            app = create_app(where, warm=False)
            with TestClient(app, base_url="http://127.0.0.1") as client:
                ids = [r["id"] for r in client.get("/api/runs").json()["runs"]]

                def call(buckets: int, ids: list[str] = ids, client: TestClient = client) -> None:
                    r = client.get("/api/scalars/series", params={"key": "k3", "run": ids, "buckets": buckets,
                                                                  "format": "bin"})
                    assert r.status_code == 200, r.text[:200]

                t = time.perf_counter()
                call(2000)
                first = time.perf_counter() - t
                warm = _time(lambda: call(2000))
                cold = statistics.median([_time(lambda b=b: call(b), repeat=1) for b in (1999, 1998, 1997, 1996, 1995)])
                figures[name] = (first, warm, cold)
        for i, what in enumerate(("first call", "warm (cached)", "uncached")):
            a, b = figures["PostgreSQL"][i], figures["SQLite"][i]
            goal = " (goal <= 2x, < 200 ms)" if i == 1 else ""
            print(f"  {what}: PostgreSQL {a * 1e3:.1f} ms, SQLite {b * 1e3:.1f} ms, ratio {_ratio(a, b)}{goal}")
    finally:
        _drop(url, scoped)
        shutil.rmtree(tmp)


def bench_list(url: str, quick: bool) -> None:
    n = 2_000 if quick else 10_000
    scoped, tmp = _schema(url, "list"), Path(tempfile.mkdtemp(prefix="ts-bench-list-"))
    try:
        pg = PostgresStore(scoped)
        lite_w = SQLiteWriter(tmp, "seed")
        rows = [(uuid.uuid4().hex[:12], "bench", f"run-{i}", '{"lr": 0.1}', '["t"]', "finished", 1.7e9 + i, 1.7e9 + i)
                for i in range(n)]
        sql = "INSERT INTO runs(id, project, name, config, tags, status, created, ended) VALUES({})"
        with lite_w.db:
            lite_w.db.executemany(sql.format(",".join("?" * 8)), rows)
        pg._run(lambda conn: conn.cursor().executemany(sql.format(",".join(["%s"] * 8)), rows))
        lite_w.close()
        lite = ts.open(tmp)
        a, b = _time(pg.runs), _time(lite.runs)
        print(f"list {n:,} runs: PostgreSQL {a * 1e3:.1f} ms, SQLite {b * 1e3:.1f} ms, ratio {_ratio(a, b)}")
        pg.close()
    finally:
        _drop(url, scoped)
        shutil.rmtree(tmp)


def bench_sync(url: str, quick: bool) -> None:
    from torchscope.store.sync import sync

    points = 100_000 if quick else 1_000_000
    scoped, tmp = _schema(url, "sync"), Path(tempfile.mkdtemp(prefix="ts-bench-sync-"))
    try:
        _fill(SQLiteWriter(tmp, uuid.uuid4().hex[:12]), 1, points, np.random.default_rng(1))
        report = sync(tmp, scoped, progress=False)
        again = sync(tmp, scoped, progress=False)
        print(f"sync {points:,} points from SQLite: {report.seconds:.2f} s ({report.points / report.seconds:,.0f} "
              f"points/s); again (nothing new): {again.seconds:.2f} s")
    finally:
        _drop(url, scoped)
        shutil.rmtree(tmp)


PARTS = {"writes": bench_writes, "read": bench_read, "api": bench_api, "list": bench_list, "sync": bench_sync}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default=os.environ.get("TORCHSCOPE_BENCH_PG", DEFAULT_URL))
    ap.add_argument("--quick", action="store_true", help="a tenth of the sizes (a smoke run)")
    ap.add_argument("--only", default=",".join(PARTS), help="comma-separated parts: " + ", ".join(PARTS))
    args = ap.parse_args()
    for name in args.only.split(","):
        PARTS[name.strip()](args.url, args.quick)


if __name__ == "__main__":
    main()
