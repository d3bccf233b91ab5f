"""The SQLite store read side: round trips of every kind, exact values, runs management, errors."""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
import torch

import torchscope as ts
from torchscope.store import DB_NAME


@ts.register_record
@dataclass
class _Profile(ts.Record):
    kind: ClassVar[str] = "test.profile"
    counts: np.ndarray
    names: list[str]
    mean: float
    raw: bytes = b""


def test_round_trip_of_every_kind(store_dir):
    with ts.init(project="p", name="r1", dir=store_dir, config={"lr": 1e-3, "layers": [1, 2]}, tags=["a"]) as run:
        run.log({"train/loss": 0.5, "train/acc": 0.25}, step=3)
        run.log({"train/loss": 0.25})  # auto step: 4
        run.log_image("img", torch.zeros(3, 4, 5), step=7, caption="black")
        run.log_histogram("w", torch.arange(10.0), step=8, bins=5)
        run.log_text("notes", "**bold** ünïcödé", step=9)
        run.log_record(_Profile(counts=np.arange(4, dtype=np.int32), names=["a", "b"], mean=1.5, raw=b"\x00\x01"))
        run.log_record({"x": 1}, kind="test.dict", step=11)
        run.summary["best"] = 0.9
    store = ts.open(store_dir)
    (info,) = store.runs()
    assert (info.project, info.name, info.status, info.tags) == ("p", "r1", "finished", ["a"])
    assert info.config == {"lr": 1e-3, "layers": [1, 2]} and info.summary == {"best": 0.9}
    kinds = {(k.kind, k.key): k.count for k in store.keys(info.id)}
    assert kinds == {("scalar", "train/loss"): 2, ("scalar", "train/acc"): 1, ("image", "img"): 1,
                     ("histogram", "w"): 1, ("text", "notes"): 1, ("record", "test.profile"): 1,
                     ("record", "test.dict"): 1}
    loss = store.scalars(info.id, "train/loss")
    assert loss.step.tolist() == [3, 4] and loss.value.tolist() == [0.5, 0.25]
    assert np.all(np.diff(loss.wall_time) >= 0) and loss.wall_time[0] > 1e9
    (img,) = store.images(info.id, "img")
    assert (img.step, img.width, img.height, img.caption) == (7, 5, 4, "black")
    assert img.to_numpy().shape == (4, 5, 3) and img.to_numpy().max() == 0
    (listed,) = store.images(info.id, "img", with_data=False)
    assert not listed.loaded and (listed.step, listed.width, listed.caption) == (7, 5, "black")
    assert listed.data == img.data and listed.loaded  # the bytes load on first use
    (h,) = store.histograms(info.id, "w")
    assert h.counts.tolist() == [2, 2, 2, 2, 2] and h.stats["min"] == 0 and h.stats["max"] == 9
    assert h.stats["mean"] == pytest.approx(4.5)
    assert store.texts(info.id, "notes")[0].text == "**bold** ünïcödé"
    rec = store.latest(info.id, "test.profile")
    assert isinstance(rec, _Profile) and rec.counts.dtype == np.int32 and rec.counts.tolist() == [0, 1, 2, 3]
    assert rec.names == ["a", "b"] and rec.raw == b"\x00\x01"
    generic = store.records(info.id, kind="test.dict")[0]
    assert generic.step == 11 and generic.record["x"] == 1


def test_nan_and_inf_kept_exactly(store_dir):
    values = [1.0, math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308]
    with ts.init(dir=store_dir) as run:
        for i, v in enumerate(values):
            run.log({"x": v}, step=i)
        run.log_histogram("h", [1.0, math.nan, math.inf, 2.0], step=0)
    store = ts.open(store_dir)
    rid = store.runs()[0].id
    got = store.scalars(rid, "x").value
    assert got[0] == 1.0 and math.isnan(got[1]) and got[2] == math.inf and got[3] == -math.inf
    assert math.copysign(1, got[4]) == -1 and got[5] == 5e-324 and got[6] == values[6]
    stats = store.histograms(rid, "h")[0].stats
    assert (stats["count"], stats["nan"], stats["inf"], stats["min"], stats["max"]) == (2, 1, 1, 1.0, 2.0)


def test_unicode_keys_and_names(store_dir):
    with ts.init(project="проект", name="运行 1", dir=store_dir) as run:
        run.log({"损失/train": 1.0, "a b/c%d": 2.0})
    store = ts.open(store_dir)
    info = store.runs(project="проект")[0]
    assert info.name == "运行 1"
    assert store.scalars(info.id, "损失/train").value.tolist() == [1.0]
    assert store.scalars(info.id, "a b/c%d").value.tolist() == [2.0]


def test_downsample_never_hides_a_spike(store_dir):
    n = 600_000
    with ts.init(dir=store_dir) as run:
        for i in range(0, n, 1000):
            for j in range(i, i + 1000):
                run.log({"x": math.sin(j / 5000)}, step=j)
        run.log({"x": 50.0}, step=n)  # appended after: out of the regular pattern
    store = ts.open(store_dir)
    rid = store.runs()[0].id
    full = store.scalars(rid, "x")
    assert len(full) == n + 1
    # plant a spike and a NaN by rewriting nothing: log them into a second run at known steps
    with ts.init(dir=store_dir, name="spiky") as run:
        vals = np.sin(np.arange(n) / 5000)
        vals[123_457] = 1e6
        vals[400_001] = math.nan
        for j in range(n):
            run.log({"x": float(vals[j])}, step=j)
    spiky = next(r for r in store.runs() if r.name == "spiky").id
    for x_range in (None, (100_000.0, 500_000.0)):
        ds = store.scalars(spiky, "x", downsample=500, x_range=x_range)
        assert ds.downsampled and len(ds) <= 500
        assert np.nanmax(ds.max) == 1e6
        assert ds.nan_count.sum() == 1
        lo = 0 if x_range is None else 100_000
        hi = n - 1 if x_range is None else 500_000
        assert ds.count.sum() == hi - lo + 1  # every point in range counted exactly once
        spike_bucket = int(np.argmax(ds.max))
        assert ds.step[max(spike_bucket - 1, 0)] <= 123_457 <= ds.step[spike_bucket]


def test_downsample_exact_path_matches_numpy(store_dir):
    rng = np.random.default_rng(0)
    vals = rng.normal(size=20_000)
    with ts.init(dir=store_dir) as run:
        for j, v in enumerate(vals):
            run.log({"x": float(v)}, step=j * 2)
    store = ts.open(store_dir)
    rid = store.runs()[0].id
    ds = store.scalars(rid, "x", downsample=1000)  # 20 points a bucket: exact, from the raw points
    assert ds.downsampled and ds.count.sum() == 20_000 and len(ds) == 1000
    # bucket k holds steps in [k*w, (k+1)*w): compare to a direct numpy computation
    edges = np.linspace(0, 39_998, 1001)
    idx = np.clip(np.searchsorted(edges, np.arange(20_000) * 2, side="right") - 1, 0, 999)
    for k in (0, 370, 999):
        sel = vals[idx == k]
        b = int(np.searchsorted(ds.step, (np.arange(20_000) * 2)[idx == k][-1]))
        assert ds.min[b] == sel.min() and ds.max[b] == sel.max() and ds.value[b] == sel[-1]
    coarse = store.scalars(rid, "x", downsample=100)  # from 16-point block summaries
    assert coarse.count.sum() == 20_000 and coarse.max.max() == vals.max() and coarse.min.min() == vals.min()
    small = store.scalars(rid, "x", x_range=(100, 110))
    assert small.step.tolist() == [100, 102, 104, 106, 108, 110] and not small.downsampled


def test_wall_time_axis(store_dir):
    with ts.init(dir=store_dir) as run:
        for j in range(100):
            run.log({"x": float(j)}, step=j)
    store = ts.open(store_dir)
    rid = store.runs()[0].id
    full = store.scalars(rid, "x")
    mid = float(full.wall_time[50])
    part = store.scalars(rid, "x", x="wall_time", x_range=(mid, None))
    assert part.step[0] <= 50 and part.step[-1] == 99
    with pytest.raises(ValueError, match="x must be"):
        store.scalars(rid, "x", x="time")


def test_steps_out_of_order_are_returned_sorted(store_dir):
    with ts.init(dir=store_dir) as run:
        for s in (5, 1, 3, 2, 4):
            run.log({"x": float(s)}, step=s)
    store = ts.open(store_dir)
    got = store.scalars(store.runs()[0].id, "x")
    assert got.step.tolist() == [1, 2, 3, 4, 5] and got.value.tolist() == [1, 2, 3, 4, 5]


def test_manage_runs(store_dir):
    for name in ("a", "b"):
        with ts.init(project="p", name=name, dir=store_dir) as run:
            run.log({"x": 1.0})
            run.log_image("i", np.zeros((4, 4)))
            run.log_record({"k": 1}, kind="test.k")
    store = ts.open(store_dir)
    a = next(r for r in store.runs() if r.name == "a")
    store.update_run(a.id, name="best", tags=["keep"], notes="n", archived=True)
    a2 = store.run(a.id)
    assert (a2.name, a2.tags, a2.notes, a2.archived) == ("best", ["keep"], "n", True)
    assert [r.name for r in store.runs(archived=False)] == ["b"]
    assert [r.name for r in store.runs(tags=["keep"])] == ["best"]
    store.delete_run(a.id)
    assert [r.name for r in store.runs()] == ["b"]
    db = sqlite3.connect(store_dir / DB_NAME)
    for table in ("series", "procs"):
        assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE run_id = ?", (a.id,)).fetchone()[0] == 0
    for table in ("scalar_chunks", "images", "records"):  # nothing orphaned, b's rows kept
        orphans = db.execute(f"SELECT COUNT(*) FROM {table} WHERE series_id NOT IN (SELECT id FROM series)")
        assert orphans.fetchone()[0] == 0
        assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] >= 1
    assert db.execute("SELECT COUNT(*) FROM record_blobs WHERE record_id NOT IN (SELECT id FROM records)"
                      ).fetchone()[0] == 0
    with pytest.raises(KeyError, match="no run with id"):
        store.run(a.id)
    with pytest.raises(ValueError, match="name must be"):
        store.update_run(store.runs()[0].id, name="  ")


def test_unknown_key_error_lists_known_keys(store_dir):
    with ts.init(dir=store_dir) as run:
        run.log({"train/loss": 1.0})
    store = ts.open(store_dir)
    with pytest.raises(KeyError, match="train/loss"):
        store.scalars(store.runs()[0].id, "train/los")


def test_open_missing_store_is_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="no torchscope store"):
        ts.open(tmp_path / "nothing")


def test_store_shared_between_threads(store_dir):
    import threading

    with ts.init(dir=store_dir) as run:
        run.log({"x": 1.0})
    store = ts.open(store_dir)
    rid = store.runs()[0].id
    results = []

    def read():
        results.append(store.scalars(rid, "x").value.tolist())

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [[1.0]] * 4


def test_open_with_create_makes_an_empty_store(tmp_path):
    store = ts.open(tmp_path / "new", create=True)
    assert store.runs() == [] and (tmp_path / "new" / DB_NAME).exists()


def test_torchscope_record_kinds_come_back_typed_in_a_fresh_process(store_dir):
    from tests.conftest import run_python

    with ts.init(dir=store_dir) as run:
        run.watch(torch.nn.Linear(2, 2))  # registers the health.alarm kind in this process only
        from torchscope.watch import Alarm

        run.log_record(Alarm(type="dead_relu", step=3, message="m", layer="fc"))
    out = run_python("""
        import sys, torchscope as ts
        store = ts.open(sys.argv[1])
        rec = store.latest(store.runs()[0].id, "health.alarm")
        print(type(rec).__name__, rec.layer)
    """, str(store_dir)).stdout
    assert out.split() == ["Alarm", "fc"]


def test_keys_carry_the_order_they_were_first_logged(store_dir):
    with ts.init(dir=store_dir) as run:
        run.log({"z/first": 1.0})
        run.log({"a/second": 1.0})
    store = ts.open(store_dir)
    keys = store.keys(store.runs()[0].id, "scalar")
    assert [k.key for k in sorted(keys, key=lambda k: k.order)] == ["z/first", "a/second"]


def test_chunks_without_a_summary_level_fall_back_to_their_points(store_dir):
    with ts.init(dir=store_dir) as run:
        for i in range(200_000):
            run.log({"x": float(np.sin(i / 1000))}, step=i)
    store = ts.open(store_dir)
    rid = store.runs()[0].id
    before = store.scalars(rid, "x", downsample=1000)  # 200 points a bucket: the 64-point summaries
    db = sqlite3.connect(store_dir / DB_NAME)
    db.execute("DELETE FROM scalar_summaries WHERE block = 64")  # as a store from before that level existed
    db.commit()
    after = ts.open(store_dir).scalars(rid, "x", downsample=1000)
    assert after.count.sum() == 200_000
    assert np.array_equal(before.max, after.max) and np.array_equal(before.min, after.min)


def test_record_entries_say_their_rank(store_dir):
    from ..server.ranks import as_rank

    runs = []
    for rank in (1, 0):  # two processes of one job, each logging under its own rank
        with as_rank(rank):
            runs.append(ts.init(project="ddp", dir=store_dir, all_ranks=True))
    r1, r0 = runs
    assert r0.id == r1.id
    r0.log_record({"v": 0}, kind="my.note", key="note", step=3)
    r1.log_record({"v": 1}, kind="my.note", key="note", step=3)
    r1.finish()
    r0.finish()
    entries = ts.open(store_dir).records(r0.id, kind="my.note")
    assert sorted((e.rank, e.record.data["v"]) for e in entries) == [(0, 0), (1, 1)]
    only = ts.open(store_dir).records(r0.id, kind="my.note", rank=1)
    assert [e.rank for e in only] == [1] and "rank=1" in repr(only[0])
