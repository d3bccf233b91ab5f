"""run.log_volume: one private copy on the caller's thread, the rest on the writer thread, read back
exactly as ts.volume builds it; refusals raise before anything is queued and lose nothing else."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch

import torchscope as ts
from torchscope.volume import VolumeError


def test_logged_volume_reads_back_as_built(store_dir: Path) -> None:
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.random((2, 12, 14, 16)).astype(np.float32))  # (C, D, H, W)
    labels = torch.from_numpy((rng.random((12, 14, 16)) > 0.7).astype(np.int64))
    run = ts.init(project="vol", name="v", dir=store_dir)
    run.log_volume("mri", x, step=3, labels=labels, pred=labels, title="two channels", class_names=["bg", "fg"])
    x.zero_()  # the caller may change its tensor at once: the copy was taken
    run.finish()
    store = ts.open(store_dir)
    (entry,) = store.records(run.id, kind="volume")
    rec = entry.record
    again = torch.from_numpy(np.random.default_rng(0).random((2, 12, 14, 16)).astype(np.float32))
    want = ts.volume(again, labels=labels, pred=labels, title="two channels", class_names=["bg", "fg"])
    assert entry.key == "mri" and entry.step == 3 and type(rec).__name__ == "Volume"
    np.testing.assert_array_equal(rec.image, want.image)
    np.testing.assert_array_equal(rec.labels, want.labels)
    assert rec.dice == {"1": 1.0} and rec.t_kind == "channel" and rec.classes[0]["name"] == "fg"
    assert entry.data["stats"] == want.stats and entry.data["title"] == "two channels"


def test_one_copy_on_the_callers_thread(store_dir: Path) -> None:
    """The call allocates about one copy of the voxels (8 MiB here), not the float64 statistics or the
    encoded blob: those are the writer's."""
    x = np.random.default_rng(1).random((128, 128, 128)).astype(np.float32)
    run = ts.init(project="vol", name="big", dir=store_dir)
    tracemalloc.start()
    try:
        run.log_volume("big", x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    run.finish()
    assert x.nbytes <= peak < 1.25 * x.nbytes, f"peak {peak / 2**20:.1f} MiB for {x.nbytes / 2**20:.0f} MiB"
    (entry,) = ts.open(store_dir).records(run.id, kind="volume")
    assert entry.record.shape == [1, 128, 128, 128]


def test_refusals_raise_and_lose_nothing(store_dir: Path) -> None:
    run = ts.init(project="vol", name="bad", dir=store_dir)
    run.log({"loss": 1.0}, step=0)
    with pytest.raises(VolumeError, match="labels has shape"):
        run.log_volume("v", np.zeros((4, 4, 4)), labels=np.zeros((4, 4, 3)))
    with pytest.raises(VolumeError, match="NaN"):
        run.log_volume("v", np.full((4, 4, 4), np.nan))
    with pytest.raises(TypeError, match="unexpected keyword arguments \\['colour'\\]"):
        run.log_volume("v", np.zeros((4, 4, 4)), colour="red")
    run.log_volume("v", np.ones((4, 4, 4)), step=2)
    run.log({"loss": 0.5}, step=1)
    run.finish()
    store = ts.open(store_dir)
    assert list(store.scalars(run.id, "loss").value) == [1.0, 0.5]
    assert [e.step for e in store.records(run.id, kind="volume")] == [2]
