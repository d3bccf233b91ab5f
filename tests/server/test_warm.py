"""The start-up warm-up: the Scalars panel's first query is in the series cache before the server takes requests,
the rest follows in the background, and the answers are the store's own."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import torchscope as ts
from torchscope.server.warm import WARM_BUCKETS, Warmer
from torchscope.store import Batch, SQLiteWriter
from torchscope.store.caching import CachingProvider


def _fill(dir: Path, runs: int = 3, points: int = 5000) -> list[str]:
    steps = np.arange(points, dtype=np.int64)
    ids = []
    for r in range(runs):
        w = SQLiteWriter(dir, f"run{r}")
        w.create_run(project="p", name=f"run{r}", config={}, tags=[])
        scalars = {(f"k/{k}", 0): (steps, 1.7e9 + steps * 0.01, np.sin(steps / (10 + r + k))) for k in range(3)}
        w.write(Batch(scalars=scalars))
        w.finish()
        w.close()
        ids.append(f"run{r}")
    return ids


def test_first_key_is_cached_before_start_returns_then_the_rest(store_dir: Path) -> None:
    ids = _fill(store_dir)
    provider = CachingProvider(ts.open(store_dir))
    warmer = Warmer(provider)
    try:
        warmer.start()
        # before any request: the panel's first query (first key, 512 buckets, every newest run) is kept
        for rid in ids:
            assert provider.cache.peek((rid, "k/0", 0, WARM_BUCKETS, None, "step")) is not None
        warmer._thread.join(30)  # type: ignore[union-attr]
        assert warmer.state == "done" and warmer.reads == 3 * len(ids)
        store = ts.open(store_dir)
        for rid in ids:
            for k in ("k/1", "k/2"):
                kept = provider.cache.peek((rid, k, 0, WARM_BUCKETS, None, "step"))
                fresh = store.scalars(rid, k, downsample=WARM_BUCKETS)
                assert kept.downsampled and kept.total == fresh.total
                for col in ("step", "wall_time", "value", "min", "max"):
                    np.testing.assert_array_equal(getattr(kept, col), getattr(fresh, col))
    finally:
        warmer.stop()
        provider.close()


def test_a_store_without_scalars_warms_nothing(store_dir: Path) -> None:
    w = SQLiteWriter(store_dir, "empty")
    w.create_run(project="p", name="empty", config={}, tags=[])
    w.finish()
    w.close()
    provider = CachingProvider(ts.open(store_dir))
    warmer = Warmer(provider)
    try:
        warmer.start()
        warmer._thread.join(30)  # type: ignore[union-attr]
        assert warmer.state == "done" and warmer.reads == 0
    finally:
        warmer.stop()
        provider.close()
