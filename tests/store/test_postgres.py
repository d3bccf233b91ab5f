"""The team store on a real PostgreSQL server: many writers at once, kill -9, the server restarted
mid-run, a lost COMMIT answer, concurrent migrations, credentials never shown.

Each test has a store of its own (a fresh schema on the server scripts/postgres.sh starts)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import torchscope as ts
from tests.conftest import PG_URL, child_env, popen_python, run_python
from torchscope.errors import StoreLocationError, StoreUnavailableError
from torchscope.store.location import redact
from torchscope.store.postgres import PostgresStore, PostgresWriter
from torchscope.store.postgres.schema import SCHEMA_VERSION
from torchscope.store.write import Batch

WRITER = """
import sys, torchscope as ts
url, name, n, rank, world = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
import os
os.environ.update(RANK=rank, WORLD_SIZE=world, MASTER_ADDR="x", MASTER_PORT="1", TORCHELASTIC_RUN_ID=name)
with ts.init(project="load", name=name, store=url, all_ranks=True, flush_interval=0.2) as run:
    for i in range(n):
        run.log({"a": float(i), "b": -float(i), f"r{rank}": float(i)}, step=i)
        if i % 2000 == 0:
            run.log_text("note", f"at {i}", step=i)
print("done", run.id, flush=True)
"""


def test_eight_writers_two_ranks_and_a_reader_at_once(pg_url):
    n = 20000
    procs = [popen_python(WRITER, pg_url, f"w{i}", str(n), "0", "1") for i in range(8)]
    procs += [popen_python(WRITER, pg_url, "ddp", str(n), str(r), "2") for r in range(2)]
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:  # the dashboard's side, all along
        store = PostgresStore(pg_url)
        try:
            while not stop.is_set():
                for r in store.runs():
                    for k in store.keys(r.id, kind="scalar"):
                        store.scalars(r.id, k.key, rank=k.rank, downsample=100)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            store.close()

    reader = threading.Thread(target=read)
    reader.start()
    outs = [p.communicate(timeout=240) for p in procs]
    stop.set()
    reader.join()
    assert not errors, errors
    for p, (_out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "torchscope:" not in err, err  # no retries, no drops
    store = ts.open(pg_url)
    runs = store.runs()
    assert sorted(r.name for r in runs) == ["ddp"] + [f"w{i}" for i in range(8)]
    for r in runs:
        ranks = [0, 1] if r.name == "ddp" else [0]
        assert r.status == "finished" and sorted(r.ranks) == ranks
        for rank in ranks:
            s = store.scalars(r.id, "a", rank=rank)
            assert s.total == n and np.array_equal(s.step, np.arange(n)) and np.array_equal(s.value, np.arange(n))
            assert store.scalars(r.id, f"r{rank}", rank=rank).total == n
            assert [t.text for t in store.texts(r.id, "note", rank=rank)] == [f"at {i}" for i in range(0, n, 2000)]
    store.close()


KILLED = """
import sys, time, torchscope as ts
run = ts.init(project="kill", name="victim", store=sys.argv[1], flush_interval=0.25)
print(run.id, flush=True)
i = 0
while True:
    run.log({"x": float(i), "t": time.time()}, step=i)
    i += 1
    time.sleep(0.001)
"""


def test_kill_9_keeps_everything_older_than_a_flush_interval(pg_url):
    proc = popen_python(KILLED, pg_url)
    rid = proc.stdout.readline().strip()
    time.sleep(2.5)
    proc.kill()
    killed_at = time.time()
    proc.wait()
    store = ts.open(pg_url)
    run = store.run(rid)
    assert run.status == "crashed"  # derived from the process table: nothing wrote it
    s = store.scalars(rid, "t")
    assert s.total > 500
    assert np.array_equal(s.step, np.arange(s.total))  # no holes, no duplicates
    assert killed_at - s.value.max() < 0.25 + 0.3  # at most one interval (plus the kill's own latency) lost
    store.close()


def _restart_server() -> None:
    cluster = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True).stdout.split()
    subprocess.run(["pg_ctlcluster", cluster[0], cluster[1], "restart", "-m", "fast"], check=True,
                   capture_output=True)


RESTARTED = """
import sys, time, numpy as np, torchscope as ts
with ts.init(project="restart", name="survivor", store=sys.argv[1], flush_interval=0.2) as run:
    print(run.id, flush=True)
    for i in range(3000):
        run.log({"x": float(i)}, step=i)
        if i % 500 == 0:
            run.log_image("img", np.full((2, 2), i % 256, np.uint8), step=i)
        time.sleep(0.002)
print("finished", flush=True)
"""


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("pg_ctlcluster") is None,
                    reason="restarts the test server: needs root and Debian's pg_ctlcluster")
def test_the_server_restarted_mid_run_loses_nothing(pg_url):
    proc = popen_python(RESTARTED, pg_url)
    rid = proc.stdout.readline().strip()
    reader = ts.open(pg_url)  # a dashboard's store, open across the restart
    assert reader.run(rid).status == "running"
    time.sleep(1.5)
    _restart_server()
    assert reader.run(rid).status == "running"  # its dead connection is replaced, no error
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "finished" in out, err
    assert "cannot be reached" in err and "retried" in err  # said once, then recovered
    store = ts.open(pg_url)
    s = store.scalars(rid, "x")
    assert np.array_equal(s.step, np.arange(3000)) and np.array_equal(s.value, np.arange(3000.0))
    assert [e.step for e in store.images(rid, "img")] == list(range(0, 3000, 500))
    assert store.run(rid).status == "finished"
    store.close()


def test_a_lost_commit_answer_is_not_written_twice(pg_url):
    w = PostgresWriter(pg_url, "lost", 0)
    w.create_run(project="p", name="lost", config={}, tags=[])
    real = w._tx
    calls = {"n": 0}

    def lose_the_answer(fn):
        result = real(fn)  # committed...
        calls["n"] += 1
        if calls["n"] == 1:
            raise StoreUnavailableError("the connection dropped before COMMIT's answer came")  # ...but unknown
        return result

    w._tx = lose_the_answer  # type: ignore[method-assign]
    batch = Batch()
    batch.add_scalars("x", 0, np.arange(10), np.zeros(10), np.arange(10.0))
    with pytest.raises(StoreUnavailableError):
        w.write(batch)
    w.write(batch)  # the background writer's retry, with the same batch
    more = Batch()
    more.add_scalars("x", 0, np.arange(10, 15), np.zeros(5), np.arange(10.0, 15.0))
    w.write(more)
    w.close()
    store = PostgresStore(pg_url)
    s = store.scalars("lost", "x")
    assert s.total == 15 and np.array_equal(s.step, np.arange(15))
    store.close()


def test_many_processes_create_the_schema_at_once(pg_url):
    code = "import sys, torchscope as ts; ts.open(sys.argv[1]).close(); print('ok')"
    procs = [popen_python(code, pg_url) for _ in range(6)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 and "ok" in o for p, (o, _) in zip(procs, outs)), outs
    import psycopg

    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)


def test_a_bad_password_or_a_dead_server_says_so_without_the_password(pg_url):
    bad = PG_URL.replace(":torchscope@", ":wrong-s3cret@")
    with pytest.raises(StoreLocationError) as e:
        ts.open(bad)
    assert "s3cret" not in str(e.value) and "***" in str(e.value)
    down = "postgresql://me:s3cret@127.0.0.1:1/none"
    with pytest.raises(StoreUnavailableError) as e2:
        ts.open(down)
    assert "s3cret" not in str(e2.value) and "cannot be reached" in str(e2.value)
    out = run_python("import sys, torchscope as ts\ntry:\n    ts.init(store=sys.argv[1])\nexcept Exception as e:\n"
                     "    print(type(e).__name__, e)", down, check=False)
    assert "StoreUnavailableError" in out.stdout and "s3cret" not in out.stdout + out.stderr


def test_redact_hides_every_password_form():
    assert redact("postgresql://u:p%40ss@h:5/db?sslmode=require") == "postgresql://u:***@h:5/db?sslmode=require"
    assert "pw" not in redact("postgresql://u@h/db?password=pw&application_name=x")
    assert redact("postgresql://h/db") == "postgresql://h/db"


def test_the_environment_chooses_the_store(pg_url):
    env = {**child_env(), "TORCHSCOPE_STORE": pg_url}
    out = subprocess.run([sys.executable, "-c",
                          "import torchscope as ts\nwith ts.init(name='from-env') as r: r.log({'x': 1.0})\n"
                          "print(ts.open().runs()[0].name)"], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "from-env", out.stderr


def test_text_the_server_refuses_is_isolated_not_the_run(pg_url):
    with ts.init(name="nul", store=pg_url) as run:
        run.log_text("t", "a\x00b", step=0)  # PostgreSQL text cannot hold NUL
        run.log_text("t", "fine", step=1)
        run.log({"x": 1.0}, step=0)
    store = ts.open(pg_url)
    r = store.runs()[0]
    assert [t.text for t in store.texts(r.id, "t")] == ["fine"]
    assert store.scalars(r.id, "x").total == 1 and "could not store" in (r.error or "")
    store.close()


def _cluster(action: str) -> None:
    cluster = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True).stdout.split()
    subprocess.run(["pg_ctlcluster", cluster[0], cluster[1], action, *(["-m", "fast"] if action == "stop" else [])],
                   check=True, capture_output=True)


OUTAGE = """
import sys, time, torchscope as ts
run = ts.init(project="outage", name="long", store=sys.argv[1], flush_interval=0.2)
run._writer.max_items = 2000  # a small buffer, to pass its bound within the test
for i in range(500):
    run.log({"x": float(i)}, step=i)
run.flush()
print("down?", flush=True); sys.stdin.readline()   # the test stops the server here
slowest = 0.0
for i in range(500, 10500):
    t = time.perf_counter()
    run.log({"x": float(i)}, step=i)
    slowest = max(slowest, time.perf_counter() - t)
    time.sleep(0.0003)  # a training step
print("slowest", slowest, flush=True); sys.stdin.readline()   # the test starts it again
run.flush()  # the writer finds the server back (it retries with backoff) and writes what it kept
for i in range(10500, 11000):
    run.log({"x": float(i)}, step=i)
run.finish()
print("finished", run.id, flush=True)
"""


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("pg_ctlcluster") is None,
                    reason="stops the test server: needs root and Debian's pg_ctlcluster")
def test_a_long_outage_keeps_a_bounded_buffer_and_training_never_waits(pg_url):
    proc = popen_python(OUTAGE, pg_url, stdin=True)
    assert proc.stdout.readline().strip() == "down?"
    _cluster("stop")
    try:
        time.sleep(0.5)
        proc.stdin.write("\n")
        proc.stdin.flush()
        line = proc.stdout.readline().split()
        assert line[0] == "slowest" and float(line[1]) < 0.5, line  # no log call waited for the store
    finally:
        _cluster("start")
    proc.stdin.write("\n")
    proc.stdin.flush()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    rid = out.split()[-1]
    assert "buffer is full" in err and "works again" in err
    store = ts.open(pg_url)
    steps = store.scalars(rid, "x").step
    assert np.array_equal(steps[:2500], np.arange(2500))  # before the outage and the buffer: all kept
    assert np.array_equal(steps[-500:], np.arange(10500, 11000))  # after it: all there
    assert 2500 <= len(steps) < 11000 and len(np.unique(steps)) == len(steps)
    run = store.run(rid)
    assert run.status == "finished" and "lost" in run.error
    store.close()
