"""The tracker's write side: logging semantics, bad input, lifecycle, bounded memory."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch

import torchscope as ts
from tests.conftest import run_python


def _only_run(store_dir):
    store = ts.open(store_dir)
    (info,) = store.runs()
    return store, info


def test_step_auto_increments_and_follows_explicit_steps(store_dir):
    with ts.init(dir=store_dir) as run:
        run.log({"a": 1.0})
        run.log({"a": 2.0})
        run.log({"a": 3.0}, step=10)
        run.log({"a": 4.0})
        run.log({"a": 5}, step=np.int64(20))
    store, info = _only_run(store_dir)
    got = store.scalars(info.id, "a")
    assert got.step.tolist() == [0, 1, 10, 11, 20] and got.value.tolist() == [1, 2, 3, 4, 5]


def test_accepted_value_types(store_dir):
    with ts.init(dir=store_dir) as run:
        run.log({"int": 3, "bool": True, "np32": np.float32(0.5), "np_int": np.int16(7),
                 "tensor": torch.tensor(2.5), "tensor1": torch.tensor([1.5]), "itensor": torch.tensor(4)})
    store, info = _only_run(store_dir)
    got = {k.key: store.scalars(info.id, k.key).value[0] for k in store.keys(info.id, "scalar")}
    assert got == {"int": 3, "bool": 1, "np32": 0.5, "np_int": 7, "tensor": 2.5, "tensor1": 1.5, "itensor": 4}


@pytest.mark.parametrize("bad, match", [
    ({"x": "0.3"}, "value for 'x' must be a number"),
    ({"x": None}, "must be a number"),
    ({"x": [1.0]}, "must be a number"),
    ({"x": torch.ones(3)}, "tensor of shape \\(3,\\)"),
    ({"x": 1 + 2j}, "must be a number"),
    ({"": 1.0}, "non-empty"),
    ({"  ": 1.0}, "non-empty"),
    ({3: 1.0}, "key must be a string"),
])
def test_bad_scalars_are_refused_and_nothing_is_lost(store_dir, bad, match):
    with ts.init(dir=store_dir) as run:
        run.log({"good": 1.0}, step=0)
        with pytest.raises((TypeError, ValueError), match=match):
            run.log({"good": 2.0, **bad}, step=1)
        run.log({"good": 3.0}, step=2)
    store, info = _only_run(store_dir)
    got = store.scalars(info.id, "good")
    assert got.step.tolist() == [0, 2] and got.value.tolist() == [1.0, 3.0]  # the bad call logged nothing


def test_bad_arguments_name_what_is_accepted(store_dir, tmp_path):
    with ts.init(dir=store_dir) as run:
        run.log({"x": 1.0})
        with pytest.raises(TypeError, match="log\\(\\) takes a dict"):
            run.log([("x", 1.0)])
        with pytest.raises(TypeError, match="step must be an int"):
            run.log({"x": 1.0}, step=1.5)
        with pytest.raises(ValueError, match="impossible shape"):
            run.log_image("img", torch.zeros(5, 7, 9))
        with pytest.raises(ValueError, match="impossible shape"):
            run.log_image("img", torch.zeros(2, 3, 4, 5, 6))
        with pytest.raises(TypeError, match="unsupported dtype"):
            run.log_image("img", np.array([["a", "b"]]))
        with pytest.raises(TypeError, match=r"must be a torch\.Tensor, numpy\.ndarray or PIL\.Image"):
            run.log_image("img", "cat.png")
        with pytest.raises(ValueError, match="empty"):
            run.log_image("img", np.zeros((0, 4)))
        with pytest.raises(ValueError, match="bins must be"):
            run.log_histogram("h", torch.ones(3), bins=0)
        with pytest.raises(TypeError, match="histograms need real numbers"):
            run.log_histogram("h", torch.ones(3, dtype=torch.complex64))
        with pytest.raises(TypeError, match="text must be a str"):
            run.log_text("t", 3)
        with pytest.raises(ValueError, match="needs kind="):
            run.log_record({"a": 1})
        with pytest.raises(TypeError, match="not JSON-serializable"):
            run.log_record({"a": object()}, kind="k")
        run.log({"x": 2.0})
    store, info = _only_run(store_dir)
    assert store.scalars(info.id, "x").value.tolist() == [1.0, 2.0]
    assert [k.key for k in store.keys(info.id) if k.kind != "scalar"] == []
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(ts.StoreLocationError, match="is a file, not a directory"):
        ts.init(dir=afile)
    with pytest.raises(TypeError, match="config must be a dict"):
        ts.init(dir=store_dir, config=[1, 2])
    with pytest.raises(TypeError, match="config must be JSON-serializable"):
        ts.init(dir=store_dir, config={"f": object()})
    with pytest.raises(TypeError, match="tags must be a list"):
        ts.init(dir=store_dir, tags="cnn")
    with pytest.raises(ValueError, match="project must be a non-empty"):
        ts.init(project="", dir=store_dir)


def test_logging_after_finish_is_an_error(store_dir):
    run = ts.init(dir=store_dir)
    run.finish()
    run.finish()  # idempotent
    with pytest.raises(RuntimeError, match="is finished"):
        run.log({"x": 1.0})


def test_exception_in_with_block_marks_crashed(store_dir):
    with pytest.raises(ZeroDivisionError), ts.init(dir=store_dir) as run:
        run.log({"x": 1.0})
        1 / 0
    store, info = _only_run(store_dir)
    assert info.status == "crashed" and "ZeroDivisionError" in info.error
    assert store.scalars(info.id, "x").value.tolist() == [1.0]


def test_forgotten_run_is_finished_at_exit(store_dir):
    run_python("""
        import sys, torchscope as ts
        run = ts.init(dir=sys.argv[1], name="forgot")
        for i in range(1000):
            run.log({"x": float(i)})
        run.summary["last"] = 999
    """, str(store_dir))
    store, info = _only_run(store_dir)
    assert info.status == "finished" and info.summary == {"last": 999}
    assert len(store.scalars(info.id, "x")) == 1000


def test_uncaught_exception_marks_crashed(store_dir):
    proc = run_python("""
        import sys, torchscope as ts
        run = ts.init(dir=sys.argv[1])
        run.log({"x": 1.0})
        raise ValueError("diverged at step 1")
    """, str(store_dir), check=False)
    assert proc.returncode == 1 and "diverged" in proc.stderr
    store, info = _only_run(store_dir)
    assert info.status == "crashed" and "diverged at step 1" in info.error
    assert store.scalars(info.id, "x").value.tolist() == [1.0]


def test_flush_makes_data_visible_to_readers(store_dir):
    run = ts.init(dir=store_dir, flush_interval=3600)
    run.log({"x": 1.0})
    run.flush()
    store, info = _only_run(store_dir)
    assert info.status == "running"
    assert store.scalars(info.id, "x").value.tolist() == [1.0]
    run.finish()
    assert store.run(info.id).status == "finished"


def test_data_appears_within_the_flush_interval(store_dir):
    import time

    run = ts.init(dir=store_dir, flush_interval=0.2)
    run.log({"x": 1.0})
    store, info = _only_run(store_dir)
    deadline = time.time() + 2
    while time.time() < deadline and not store.keys(info.id):
        time.sleep(0.05)
    assert store.scalars(info.id, "x").value.tolist() == [1.0]
    run.finish()


def test_memory_is_bounded_by_backpressure(store_dir):
    run = ts.init(dir=store_dir)
    writer = run._writer
    writer.max_items, writer._soft_items = 1000, 250
    writer.max_bytes, writer._soft_bytes = 200_000, 50_000
    peak_points = peak_bytes = 0
    for i in range(20_000):
        run.log({"x": float(i)})
        if i % 50 == 0:
            run.log_image("img", np.zeros((3, 32, 32), np.float32))
        peak_points = max(peak_points, writer._npoints)
        peak_bytes = max(peak_bytes, writer.pending_bytes)
    run.finish()
    assert peak_points <= 1001 and peak_bytes <= 200_000 + 3 * 32 * 32 * 4
    store, info = _only_run(store_dir)
    assert len(store.scalars(info.id, "x")) == 20_000 and len(store.images(info.id, "img")) == 400


def test_summary_dict_is_stored(store_dir):
    with ts.init(dir=store_dir) as run:
        run.summary["best_acc"] = np.float32(0.5)
        run.summary.update(epochs=3, note="ok")
    _, info = _only_run(store_dir)
    assert info.summary == {"best_acc": 0.5, "epochs": 3, "note": "ok"}


def test_default_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHSCOPE_DIR", str(tmp_path / "envdir"))
    with ts.init() as run:
        run.log({"x": 1.0})
    assert (tmp_path / "envdir" / "torchscope.db").exists()
    monkeypatch.delenv("TORCHSCOPE_DIR")
    monkeypatch.chdir(tmp_path)
    with ts.init() as run:
        run.log({"x": 1.0})
    assert (tmp_path / "tsruns" / "torchscope.db").exists()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_never_writes(store_dir):
    run = ts.init(dir=store_dir)
    run.log({"x": 1.0})
    pid = os.fork()
    if pid == 0:  # a DataLoader worker, say
        try:
            run.log({"x": 99.0})
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    run.log({"x": 2.0})
    run.finish()
    store, info = _only_run(store_dir)
    assert store.scalars(info.id, "x").value.tolist() == [1.0, 2.0]


def test_nan_values_logged_from_training(store_dir):
    with ts.init(dir=store_dir) as run:
        run.log({"loss": torch.tensor(float("nan"))})
        run.log({"loss": float("inf")})
    store, info = _only_run(store_dir)
    v = store.scalars(info.id, "loss").value
    assert math.isnan(v[0]) and v[1] == math.inf


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_tensors_are_logged_without_changing_results(store_dir):
    x = torch.arange(10.0, device="cuda")
    with ts.init(dir=store_dir) as run:
        torch.cuda.synchronize()
        torch.cuda.set_sync_debug_mode("error")  # any host sync on this thread raises
        try:
            for i in range(50):
                loss = (x * i).mean()
                run.log({"loss": loss, "plain": float(i)}, step=i)  # read later, on the writer thread
            run.log_histogram("w", x, step=0)  # binned on the device
        finally:
            torch.cuda.set_sync_debug_mode("default")
        run.log_image("img", torch.rand(4, 3, 8, 8, device="cuda"), step=0)
    store, info = _only_run(store_dir)
    assert store.scalars(info.id, "loss").value.tolist() == [4.5 * i for i in range(50)]
    (h,) = store.histograms(info.id, "w")
    assert h.stats["count"] == 10 and h.stats["max"] == 9.0 and h.counts.sum() == 10
    assert store.images(info.id, "img")[0].to_numpy().shape == (2 * 8 + 6, 2 * 8 + 6, 3)


def test_log_graph_stores_summary_and_graph(store_dir):
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    with ts.init(dir=store_dir) as run:
        summary, graph = run.log_graph(model, torch.randn(1, 4))
    store, info = _only_run(store_dir)
    stored = store.latest(info.id, "model.summary")
    assert type(stored) is type(summary) and stored.to_dict()[0] == summary.to_dict()[0]
    assert store.latest(info.id, "model.graph").to_dict()[0] == graph.to_dict()[0]


def test_log_image_with_detections(store_dir):
    img = np.zeros((32, 48, 3), np.uint8)
    with ts.init(dir=store_dir) as run:
        run.log_image("det", img, step=3, boxes=[[2, 2, 20, 20], [10, 5, 40, 30]], labels=[0, 1],
                      scores=[0.9, 0.3], class_names=["cat", "dog"])
    store, info = _only_run(store_dir)
    (drawn,) = store.images(info.id, "det")
    assert drawn.step == 3 and drawn.to_numpy().shape == (32, 48, 3) and drawn.to_numpy().max() > 0  # boxes drawn
    (entry,) = store.records(info.id, kind="explain.detections")
    assert entry.key == "det" and entry.step == 3
    rec = entry.record
    assert np.asarray(rec.boxes).shape == (2, 4) and list(rec.scores) == pytest.approx([0.9, 0.3])
