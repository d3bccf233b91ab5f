"""Real processes: concurrent writers with a reader, a 2-rank gloo job, and kill -9 mid-logging."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

import torchscope as ts
from tests.conftest import ROOT, child_env, popen_python

WRITER = """
import sys, numpy, torch, torchscope as ts
dir, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with ts.init(project="concurrent", name=name, dir=dir, flush_interval=0.1) as run:
    for i in range(n):
        run.log({"x": float(i), "y": -float(i)}, step=i)
        if i % 2000 == 0:
            run.log_image("img", numpy.eye(8), step=i)
            run.log_histogram("h", torch.randn(1000), step=i)
print("done")
"""


def test_several_runs_write_at_once_while_a_reader_reads(store_dir):
    n = 20_000
    procs = [popen_python(WRITER, str(store_dir), f"w{k}", str(n)) for k in range(3)]
    reads = 0
    errors = []
    while any(p.poll() is None for p in procs):
        try:
            store = ts.open(store_dir)
            for info in store.runs(project="concurrent"):
                for key in store.keys(info.id, "scalar"):
                    got = store.scalars(info.id, key.key)
                    assert np.all(np.diff(got.step) == 1) and got.step[0] == 0  # a prefix, never torn
                reads += 1
            store.close()
        except FileNotFoundError:
            pass  # the writers have not created the store yet
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.05)
    for p in procs:
        _, err = p.communicate()
        assert p.returncode == 0, err
        assert "locked" not in err
    assert not errors, errors[:3]
    assert reads > 0
    store = ts.open(store_dir)
    runs = store.runs(project="concurrent")
    assert sorted(r.name for r in runs) == ["w0", "w1", "w2"] and {r.status for r in runs} == {"finished"}
    for r in runs:
        assert store.scalars(r.id, "x").value.tolist() == list(map(float, range(n)))
        assert len(store.images(r.id, "img")) == n // 2000


DIST = """
import os, sys, torch, torch.distributed as dist, torchscope as ts
dist.init_process_group("gloo")
rank = dist.get_rank()
run = ts.init(project="ddp", name=sys.argv[2], dir=sys.argv[1], all_ranks=sys.argv[3] == "1")
for step in range(200):
    t = torch.tensor([float(rank + step)])
    dist.all_reduce(t)
    run.log({"loss": float(rank * 1000 + step), "sum": t.item()}, step=step)
run.finish()
dist.destroy_process_group()
"""


def _torchrun(tmp_path, *args: str) -> None:
    script = tmp_path / "dist_job.py"
    script.write_text(DIST)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=child_env(), cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "locked" not in proc.stderr


def test_distributed_job_rank0_only_by_default(tmp_path, store_dir):
    _torchrun(tmp_path, str(store_dir), "rank0", "0")
    store = ts.open(store_dir)
    (info,) = store.runs(project="ddp")
    assert info.status == "finished" and info.world_size == 2 and info.ranks == [0]
    assert {k.rank for k in store.keys(info.id)} == {0}
    assert store.scalars(info.id, "loss").value.tolist() == list(map(float, range(200)))
    assert store.scalars(info.id, "sum").value[5] == 0 + 5 + 1 + 5


def test_distributed_job_all_ranks_in_one_run(tmp_path, store_dir):
    _torchrun(tmp_path, str(store_dir), "all", "1")
    store = ts.open(store_dir)
    (info,) = store.runs(project="ddp")
    assert info.status == "finished" and info.ranks == [0, 1] and info.world_size == 2
    assert sorted((k.key, k.rank) for k in store.keys(info.id)) == [("loss", 0), ("loss", 1), ("sum", 0), ("sum", 1)]
    assert store.scalars(info.id, "loss", rank=1).value.tolist() == [1000.0 + s for s in range(200)]
    assert store.scalars(info.id, "loss", rank=0).value[-1] == 199.0


KILLED = """
import sys, time, numpy, torchscope as ts
run = ts.init(project="kill", dir=sys.argv[1], flush_interval=float(sys.argv[2]))
print("id", run.id, flush=True)
i = 0
while True:
    for _ in range(500):
        run.log({"x": float(i), "y": float(i) * 2}, step=i)
        i += 1
    if i % 20000 == 0:
        run.log_image("img", numpy.random.rand(3, 32, 32), step=i)
    print(i - 1, time.time(), flush=True)
"""


def test_kill_9_loses_nothing_older_than_one_flush_interval(store_dir):
    interval = 0.5
    proc = popen_python(KILLED, str(store_dir), str(interval))
    run_id = proc.stdout.readline().split()[1]
    progress: list[tuple[int, float]] = []
    start = time.time()
    while time.time() - start < 4.0:
        line = proc.stdout.readline()
        step, when = line.split()
        progress.append((int(step), float(when)))
    proc.send_signal(signal.SIGKILL)
    killed_at = time.time()
    proc.wait()
    # every point logged more than one flush interval before the kill must be on disk
    must_have = max(step for step, when in progress if when < killed_at - interval - 0.2)
    db = sqlite3.connect(store_dir / "torchscope.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    store = ts.open(store_dir)
    info = store.run(run_id)
    assert info.status == "crashed"
    got = store.scalars(run_id, "x")
    assert got.step[-1] >= must_have > 10_000
    assert np.array_equal(got.step, np.arange(len(got))), "the kept points are a gap-free prefix"
    assert np.array_equal(got.value, got.step.astype(float))
    assert len(store.scalars(run_id, "y")) >= must_have + 1
    for img in store.images(run_id, "img"):
        assert img.to_numpy().shape == (32, 32, 3)


@pytest.mark.parametrize("sig", [signal.SIGTERM])
def test_terminated_run_is_reported_crashed(store_dir, sig):
    proc = popen_python("""
        import sys, time, torchscope as ts
        run = ts.init(dir=sys.argv[1], flush_interval=0.1)
        run.log({"x": 1.0})
        run.flush()
        print("ready", flush=True)
        time.sleep(60)
    """, str(store_dir))
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(sig)
    proc.wait()
    store = ts.open(store_dir)
    (info,) = store.runs()
    assert info.status == "crashed" and store.scalars(info.id, "x").value.tolist() == [1.0]


FORK_SERVER = """
import os, sys, time, numpy, torchscope as ts
for line in sys.stdin:  # one trial per line: a forked child logs in a tight loop until it is killed
    pid = os.fork()
    if pid == 0:
        import torch
        imgs, h = numpy.random.rand(3, 32, 32), torch.randn(1000)
        run = ts.init(project="tight", dir=line.strip(), flush_interval=float(sys.argv[1]))
        print("run", os.getpid(), run.id, flush=True)
        i = 0
        while True:
            run.log({f"k{j}": float(i) for j in range(10)}, step=i)
            if i % 50 == 0:
                run.log_image("img", imgs, step=i)
                run.log_histogram("h", h, step=i)
                run.log_text("t", f"step {i}", step=i)
            if i % 100 == 0:  # one write (python -u): a kill never leaves half a line
                sys.stdout.write(f"{i} {time.time()}\\n")
            i += 1
    os.waitpid(pid, 0)
    print("reaped", flush=True)
"""


def test_kill_9_in_a_tight_loop_loses_nothing_older_than_one_flush_interval(tmp_path):
    """The promise under GIL pressure: 10 keys per call plus images, histograms and text as fast as
    Python goes, killed at random moments; everything logged one flush interval before is on disk."""
    interval, trials = 0.25, 10
    rng = np.random.default_rng(0)
    server = popen_python(FORK_SERVER, str(interval), stdin=True)
    try:
        for trial in range(trials):
            store_dir = tmp_path / f"t{trial}"
            server.stdin.write(f"{store_dir}\n")
            server.stdin.flush()
            _, pid, run_id = server.stdout.readline().split()
            progress: list[tuple[int, float]] = []
            start, duration = time.time(), float(rng.uniform(0.4, 1.6))
            while time.time() - start < duration:
                step, when = server.stdout.readline().split()
                progress.append((int(step), float(when)))
            os.kill(int(pid), signal.SIGKILL)
            killed_at = time.time()
            while not (line := server.stdout.readline()).endswith("reaped\n"):  # printed before it died
                step, when = line.split()
                progress.append((int(step), float(when)))
            logged = [step for step, when in progress if when < killed_at - interval]
            must_have = max(logged, default=-1)
            db = sqlite3.connect(store_dir / "torchscope.db")
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            db.close()
            store = ts.open(store_dir)
            assert store.run(run_id).status == "crashed"
            for j in range(10):
                got = store.scalars(run_id, f"k{j}")
                assert len(got) > must_have, (trial, j, len(got), must_have, progress[-1][0])
                assert np.array_equal(got.step, np.arange(len(got))), "a gap-free prefix"
            need = set(range(0, must_have + 1, 50))
            assert need <= {e.step for e in store.images(run_id, "img")}, trial
            assert need <= {e.step for e in store.histograms(run_id, "h")}, trial
            assert need <= {e.step for e in store.texts(run_id, "t")}, trial
            store.close()
    finally:
        server.kill()
        server.wait()
