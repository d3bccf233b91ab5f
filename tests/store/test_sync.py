"""torchscope sync: local SQLite stores into the PostgreSQL team store, exact, idempotent, resumable
after kill -9, incremental, and many nodes of one DDP run merged into one run."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

import torchscope as ts
from tests.conftest import child_env, popen_python, run_python
from torchscope.records import GenericRecord
from torchscope.store.sync import sync


def _log(dir, name, n=30000, tags=("x",)):
    with ts.init(project="node", name=name, dir=dir, tags=list(tags), config={"lr": 0.1, "name": name}) as run:
        for i in range(n):
            run.log({"loss": 1.0 / (i + 1), "acc": i / n}, step=i)
        for i in range(3):
            run.log_image("img/ü", np.full((5, 7), 40 * i, np.uint8), step=i, caption=f"c{i}")
            run.log_histogram("w", np.arange(10.0) * i, step=i)
            run.log_text("notes", f"note {i} 损失", step=i)
        run.log_record(GenericRecord(kind="test.blob", data={"a": 1}, blobs={"raw": bytes(range(256)) * 10}), step=1)
        run.summary["best"] = 0.5
    return run.id


def _same(a, b, rid):
    """Every read of the contract answers the same on both stores."""
    ra, rb = a.run(rid), b.run(rid)
    for f in ("project", "name", "config", "tags", "status", "created", "ended", "summary", "ranks", "error"):
        assert getattr(ra, f) == getattr(rb, f), f
    ka = [(k.key, k.kind, k.rank, k.count) for k in a.keys(rid)]
    assert sorted(ka) == sorted((k.key, k.kind, k.rank, k.count) for k in b.keys(rid))
    for key, kind, rank, _ in ka:
        if kind == "scalar":
            sa, sb = a.scalars(rid, key, rank=rank), b.scalars(rid, key, rank=rank)
            assert np.array_equal(sa.step, sb.step) and np.array_equal(sa.value, sb.value)
            assert np.array_equal(sa.wall_time, sb.wall_time)
            # downsampled: the same points summarized (bucket edges follow each store's chunk layout)
            da, db = a.scalars(rid, key, rank=rank, downsample=50), b.scalars(rid, key, rank=rank, downsample=50)
            assert da.total == db.total and np.nanmin(da.min) == np.nanmin(db.min)
            assert np.nanmax(da.max) == np.nanmax(db.max)
        elif kind == "image":
            assert [(e.step, e.caption, e.data) for e in a.images(rid, key, rank=rank)] == \
                   [(e.step, e.caption, e.data) for e in b.images(rid, key, rank=rank)]
        elif kind == "histogram":
            assert [(e.step, e.counts.tolist()) for e in a.histograms(rid, key, rank=rank)] == \
                   [(e.step, e.counts.tolist()) for e in b.histograms(rid, key, rank=rank)]
        elif kind == "text":
            assert [(e.step, e.text) for e in a.texts(rid, key, rank=rank)] == \
                   [(e.step, e.text) for e in b.texts(rid, key, rank=rank)]
        else:
            assert [(e.kind, e.step, e.data, e.blobs) for e in a.records(rid, key=key, with_blobs=True)] == \
                   [(e.kind, e.step, e.data, e.blobs) for e in b.records(rid, key=key, with_blobs=True)]


def test_sync_is_exact_and_a_second_sync_moves_nothing(tmp_path, pg_url):
    ids = [_log(tmp_path / "node", f"r{i}") for i in range(2)]
    first = sync(tmp_path / "node", pg_url, progress=False)
    assert first.points == 2 * 2 * 30000 and first.items == 2 * (9 + 1)
    assert "synced 2 runs" in first.text() and "torchscope:***@" in first.text()
    src, dst = ts.open(tmp_path / "node"), ts.open(pg_url)
    for rid in ids:
        _same(src, dst, rid)
    again = sync(tmp_path / "node", pg_url, progress=False)
    assert again.points == 0 and again.items == 0 and "already there" in again.text()
    for rid in ids:
        _same(src, dst, rid)


KILLABLE = """
import sys, time
import torchscope.store.sync as s
s.MAX_POINTS = 4000
def slow(moved):
    print("commit", moved.points, flush=True)
    time.sleep(0.15)
st = s.Store(sys.argv[1])
for r in st.runs():
    s.sync_run(st, r.id, sys.argv[2], on_commit=slow)
print("done", flush=True)
"""


def test_a_sync_killed_midway_resumes_exactly(tmp_path, pg_url):
    rid = _log(tmp_path / "node", "big", n=60000)
    proc = popen_python(KILLABLE, str(tmp_path / "node"), pg_url)
    seen = 0
    for line in proc.stdout:
        seen += line.startswith("commit")
        if seen == 6:
            proc.kill()  # kill -9, mid-sync
            break
    proc.wait()
    dst = ts.open(pg_url)
    there = {k.key: k.count for k in dst.keys(rid, kind="scalar")}
    assert 0 < sum(there.values()) < 2 * 60000  # stopped midway
    for key, n in there.items():  # what is there is a prefix of each series, nothing twice
        assert np.array_equal(dst.scalars(rid, key).step, np.arange(n))
    rest = sync(tmp_path / "node", pg_url, progress=False)
    assert rest.points + sum(there.values()) == 2 * 60000
    _same(ts.open(tmp_path / "node"), dst, rid)


TRAINING = """
import sys, time, torchscope as ts
with ts.init(project="live", name="growing", dir=sys.argv[1], flush_interval=0.1) as run:
    print(run.id, flush=True)
    for i in range(40000):
        run.log({"x": float(i)}, step=i)
        if i == 20000:
            run.flush(); print("half", flush=True); sys.stdin.readline()
"""


def test_sync_is_incremental_on_a_run_still_training(tmp_path, pg_url):
    proc = popen_python(TRAINING, str(tmp_path / "node"), stdin=True)
    rid = proc.stdout.readline().strip()
    assert proc.stdout.readline().strip() == "half"
    first = sync(tmp_path / "node", pg_url, progress=False)
    dst = ts.open(pg_url)
    assert dst.run(rid).status == "running" and 20000 <= first.points < 40000
    proc.stdin.write("\n")
    proc.stdin.flush()
    proc.wait(timeout=120)
    second = sync(tmp_path / "node", pg_url, progress=False)
    assert first.points + second.points == 40000
    assert dst.run(rid).status == "finished"
    _same(ts.open(tmp_path / "node"), dst, rid)


NODE = """
import os, sys, torchscope as ts
os.environ.update(RANK=sys.argv[2], WORLD_SIZE="2", MASTER_ADDR="n0", MASTER_PORT="29500", TORCHELASTIC_RUN_ID="job")
with ts.init(project="ddp", name="two-nodes", dir=sys.argv[1], all_ranks=True) as run:
    for i in range(1000):
        run.log({"loss": float(i) + int(sys.argv[2])}, step=i)
    if sys.argv[2] == "0":
        run.summary["final"] = 1.0
print(run.id)
"""


def test_two_nodes_of_one_ddp_run_become_one_run(tmp_path, pg_url):
    ids = {run_python(NODE, str(tmp_path / f"node{r}"), str(r)).stdout.split()[-1] for r in (0, 1)}
    assert len(ids) == 1
    rid = ids.pop()
    for order in ((0, 1), (1, 0)):  # whichever node syncs last, the run is whole
        for r in order:
            sync(tmp_path / f"node{r}", pg_url, progress=False)
        run = ts.open(pg_url).run(rid)
        assert run.status == "finished" and run.summary == {"final": 1.0} and sorted(run.ranks) == [0, 1]
    dst = ts.open(pg_url)
    assert dst.scalars(rid, "loss", rank=1).value[0] == 1.0 and dst.scalars(rid, "loss", rank=0).total == 1000


def test_the_cli_prints_what_moved(tmp_path, pg_url):
    _log(tmp_path / "node", "cli", n=100)
    out = subprocess.run([sys.executable, "-m", "torchscope", "sync", str(tmp_path / "node"), pg_url],
                         env=child_env(), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "200 points" in out.stdout and "torchscope:torchscope@" not in out.stdout + out.stderr
    bad = subprocess.run([sys.executable, "-m", "torchscope", "sync", str(tmp_path / "node"), str(tmp_path)],
                         env=child_env(), capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "postgresql://" in bad.stderr and "Traceback" not in bad.stderr
    assert os.path.exists(tmp_path / "node")


def test_offline_runs_write_locally_and_sync_at_finish(tmp_path, pg_url):
    with ts.init(name="offline", store=pg_url, offline=True, dir=tmp_path / "local") as run:
        run.log({"x": 1.0}, step=0)
        first = run.sync()  # on demand, as far as it got
        assert first.points == 1 and ts.open(pg_url).run(run.id).status == "running"
        run.log({"x": 2.0}, step=1)
    assert (tmp_path / "local" / "torchscope.db").exists()
    dst = ts.open(pg_url)
    assert dst.run(run.id).status == "finished" and dst.scalars(run.id, "x").value.tolist() == [1.0, 2.0]
    _same(ts.open(tmp_path / "local"), dst, run.id)


def test_offline_with_the_server_away_says_how_to_sync_later(tmp_path):
    away = "postgresql://me:s3cret@127.0.0.1:1/none"
    out = run_python("import sys, torchscope as ts\nwith ts.init(name='n', store=sys.argv[1], offline=True, "
                     "dir=sys.argv[2]) as r:\n    r.log({'x': 1.0})\nprint('trained')", away, str(tmp_path / "l"))
    assert "trained" in out.stdout and "torchscope sync" in out.stderr and "s3cret" not in out.stderr
    assert ts.open(tmp_path / "l").runs()[0].status == "finished"
