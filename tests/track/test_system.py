"""ts.init(system=...): machine metrics on a background thread, at the training step, never in the way."""

from __future__ import annotations

import threading
import time

import pytest

import torchscope as ts


def _threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "torchscope-system"]


def test_system_metrics_are_sampled_at_the_training_step(store_dir):
    with ts.init(dir=store_dir, system=0.1) as run:
        for i in range(8):
            run.log({"loss": 1.0 / (i + 1)})
            time.sleep(0.05)
        assert _threads() == ["torchscope-system"]
    assert _threads() == []  # stopped with the run
    store = ts.open(store_dir)
    rid = store.runs()[0].id
    keys = {k.key for k in store.keys(rid, "scalar")}
    for key in ("cpu_percent", "memory_percent", "memory_used_gb", "process_cpu_percent", "process_rss_gb",
                "process_threads"):
        assert f"system/{key}" in keys
    assert store.scalars(rid, "loss").step.tolist() == list(range(8))  # the run's own steps are untouched
    rss = store.scalars(rid, "system/process_rss_gb")
    assert len(rss.value) >= 3 and (rss.value > 0.01).all()  # a torch process holds well over 10 MB
    cpu = store.scalars(rid, "system/process_cpu_percent")
    assert len(cpu.value) == len(rss.value) - 1 and cpu.wall_time[0] > rss.wall_time[0]  # no rate at the start
    assert set(rss.step.tolist()) <= set(range(8)) and rss.step[0] == 0  # sampled at the latest step
    assert (store.scalars(rid, "system/memory_percent").value >= 0).all()
    assert (store.scalars(rid, "system/memory_percent").value <= 100).all()
    (info,) = store.texts(rid, "system/info")
    assert "**torch**" in info.text and "**CPUs**" in info.text


def test_off_by_default_and_bad_values(store_dir):
    with ts.init(dir=store_dir) as run:
        run.log({"loss": 1.0})
    rid = ts.open(store_dir).runs()[0].id
    assert not [k for k in ts.open(store_dir).keys(rid) if k.key.startswith("system/")]
    for bad in (0, -1, "often", 0.01):
        with pytest.raises(ValueError, match="system must be True, False or seconds"):
            ts.init(dir=store_dir, system=bad)


def test_sampling_does_not_touch_cuda():
    import torch

    from torchscope.track.system import SystemMonitor

    before = torch.cuda.is_initialized()
    got: list[dict[str, float]] = []
    mon = SystemMonitor(got.append, 0.05)
    try:
        time.sleep(0.3)
    finally:
        mon.stop()
    assert len(got) >= 2 and all("system/cpu_percent" in g for g in got)
    assert torch.cuda.is_initialized() == before  # the monitor never creates a CUDA context
    if not before:
        assert not any(k.startswith("system/gpu") for g in got for k in g)


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA device")
def test_gpu_metrics_once_the_process_uses_cuda():
    import torch

    from torchscope.track.system import SystemMonitor

    x = torch.ones(1024, 1024, device="cuda")
    got: list[dict[str, float]] = []
    mon = SystemMonitor(got.append, 0.05)
    try:
        sample = mon.sample()
    finally:
        mon.stop()
    assert sample["system/gpu0/allocated_gb"] >= x.numel() * 4 / 2**30
    assert sample["system/gpu0/memory_used_gb"] > 0
