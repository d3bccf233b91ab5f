"""CachingProvider: finished runs' series and key listings are kept, running runs' never; the contract holds."""

from __future__ import annotations

import numpy as np
import pytest

import torchscope as ts
from torchscope.errors import InvalidArgument, NotFound
from torchscope.store import Provider, Scalars
from torchscope.store.caching import MISSING, CachingProvider, SeriesCache


def _scalars(n: int) -> Scalars:
    return Scalars(key="k", step=np.arange(n), wall_time=np.zeros(n), value=np.zeros(n))


def test_lru_keeps_within_its_byte_budget():
    cache = SeriesCache(max_bytes=3 * (256 + 3 * 800))
    for i in range(5):
        cache.put(("run", f"k{i}"), _scalars(100))
        cache.get(("run", "k0"))  # k0 stays in use
    assert cache.bytes <= cache.max_bytes
    assert cache.get(("run", "k0")) is not None and cache.get(("run", "k1")) is None
    cache.put(("other", "k"), MISSING)
    cache.drop_run("run")
    assert cache.stats()["entries"] == 1 and cache.get(("other", "k")) is MISSING


def test_reader_caches_finished_runs_only(store_dir):
    done = ts.init(dir=store_dir, name="done")
    done.log({"loss": 1.0}, step=0)
    done.finish()
    live = ts.init(dir=store_dir, name="live")
    live.log({"loss": 1.0}, step=0)
    live.flush()
    store = ts.open(store_dir)
    reader = CachingProvider(store, max_age=0.0)
    assert isinstance(reader, Provider)
    assert reader.scalars(done.id, "loss", downsample=10).value.tolist() == [1.0]
    for _ in range(2):  # the second answer comes from the cache, with the same typed error
        with pytest.raises(NotFound):
            reader.scalars(done.id, "nope", downsample=10)
    assert reader.scalars(live.id, "loss", downsample=10).value.tolist() == [1.0]
    assert [k.key for k in reader.keys(done.id, kind="scalar")] == ["loss"]
    cached = reader.cache.stats()["entries"]
    assert reader.cache.get((done.id, "nope", 0, 10, None, "step")) is MISSING
    assert cached == 3  # done's series, its missing key, its key listing; nothing of the live run
    live.log({"loss": 2.0}, step=1)
    live.flush()
    assert reader.scalars(live.id, "loss", downsample=10).value.tolist() == [1.0, 2.0]  # read fresh
    hits = reader.cache.hits
    reader.scalars(done.id, "loss", downsample=10)
    assert reader.cache.hits == hits + 1
    live.finish()


def test_scalars_many_reads_runs_in_parallel_with_the_same_answers(store_dir):
    ids = []
    for r in range(6):
        run = ts.init(dir=store_dir, name=f"r{r}")
        for s in range(300):
            if r != 3:  # run 3 never logs the key
                run.log({"loss": float(r * 1000 + s)}, step=s)
            run.log({"other": 1.0}, step=s)
        run.finish()
        ids.append(run.id)
    store = ts.open(store_dir)
    reader = CachingProvider(store, cache=SeriesCache(0), workers=4)
    try:
        got = reader.scalars_many(ids, "loss", downsample=50)
        assert reader._pool is not None  # the parallel path ran
    finally:
        reader.close()
    assert len(got) == 6 and got[3] is None
    for rid, s in zip(ids, got):
        if s is None:
            continue
        want = store.scalars(rid, "loss", downsample=50)
        np.testing.assert_array_equal(s.value, want.value)
        np.testing.assert_array_equal(s.max, want.max)
    assert got[5].max.max() == 5299.0 and got[0].min.min() == 0.0  # each run's own points, in order


def test_the_listing_is_cached_filtered_and_invalidated(store_dir):
    a = ts.init(dir=store_dir, name="a", project="p", tags=["x"])
    a.finish()
    reader = CachingProvider(ts.open(store_dir), max_age=60.0)
    assert [r.name for r in reader.runs()] == ["a"]
    b = ts.init(dir=store_dir, name="b", project="q")
    b.finish()
    assert [r.name for r in reader.runs()] == ["a"]  # at most max_age old
    assert reader.run(b.id).name == "b"  # an id not in the listing is looked up
    reader.invalidate()
    assert [r.name for r in reader.runs()] == ["b", "a"]
    assert [r.name for r in reader.runs(project="p", tags=["x"], status="finished")] == ["a"]
    assert reader.projects() == ["p", "q"]
    with pytest.raises(InvalidArgument):
        reader.runs(status="nope")
    with pytest.raises(NotFound):
        reader.run("nope")
