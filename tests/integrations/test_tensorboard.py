"""The SummaryWriter drop-in, reading runs below a directory, and importing TensorBoard event files."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

import torchscope as ts
from tests.conftest import child_env

pytest.importorskip("tensorboard")

# a script written for TensorBoard; the test swaps only its import line
SCRIPT = '''
import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
{import_line}

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
writer = SummaryWriter(sys.argv[1] + "/exp-a")
for step in range(50):
    writer.add_scalar("loss", 1.0 / (step + 1), step)
    writer.add_scalars("acc", {{"train": step / 50, "val": step / 60}}, step)
writer.add_image("one", torch.rand(3, 8, 8), 0)
writer.add_image("hwc", np.zeros((8, 6, 3), np.uint8), 0, dataformats="HWC")
writer.add_images("batch", torch.rand(4, 1, 8, 8), 0)
writer.add_histogram("weights", model[0].weight, 10)
writer.add_text("notes", "hello **world**", 0)
fig = plt.figure(figsize=(2, 2)); plt.plot([0, 1], [1, 0])
writer.add_figure("figure", fig, 0)
writer.add_graph(model, torch.randn(1, 4))
writer.add_embedding(torch.randn(30, 5), metadata=["a", "b", "c"] * 10, tag="points")
writer.add_pr_curve("pr", torch.tensor([0, 1, 1, 0, 1]), torch.tensor([0.1, 0.9, 0.6, 0.4, 0.8]), 0)
writer.add_hparams({{"lr": 0.01, "bs": 32}}, {{"hparam/acc": 0.9}})
writer.flush()
writer.close()
print("ok")
'''


def _run_script(logdir, import_line):
    code = SCRIPT.format(import_line=import_line)
    proc = subprocess.run([sys.executable, "-c", code, str(logdir)], capture_output=True, text=True, timeout=300,
                          env=child_env())
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-3000:]


def test_a_tensorboard_script_runs_unchanged_but_its_import(tmp_path):
    _run_script(tmp_path / "tb", "from torch.utils.tensorboard import SummaryWriter")  # the script is valid TB
    _run_script(tmp_path / "runs", "from torchscope import SummaryWriter")
    store = ts.open(tmp_path / "runs")  # finds runs/exp-a/torchscope.db below
    (info,) = store.runs()
    assert info.name == "exp-a" and info.project == "runs" and info.status == "finished"
    assert info.config == {"lr": 0.01, "bs": 32} and info.summary == {"hparam/acc": 0.9}
    loss = store.scalars(info.id, "loss")
    assert loss.step.tolist() == list(range(50)) and loss.value.tolist() == [1.0 / (s + 1) for s in range(50)]
    assert store.scalars(info.id, "acc/val").value[-1] == pytest.approx(49 / 60)
    assert store.images(info.id, "one")[0].to_numpy().shape == (8, 8, 3)
    assert store.images(info.id, "hwc")[0].to_numpy().shape == (8, 6, 3)
    batch = store.images(info.id, "batch")[0]
    assert (batch.width, batch.height) == (4 * 8, 8)  # TensorBoard's make_grid: up to 8 a row, no padding
    assert store.images(info.id, "figure")[0].width == 200
    assert store.histograms(info.id, "weights")[0].stats["count"] == 32
    assert store.texts(info.id, "notes")[0].text == "hello **world**"
    kinds = {e.kind for e in store.records(info.id)}
    assert {"model.summary", "model.graph", "data.projection"} <= kinds
    pr = store.records(info.id, key="pr")[0].record
    assert pr.kind.startswith("eval.") and len(pr.to_dict()[0]) > 0


def test_default_log_dir_is_runs_date_host(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    writer = ts.SummaryWriter(comment="-lr0.1")
    writer.add_scalar("x", 1.0)
    writer.close()
    (d,) = (tmp_path / "runs").iterdir()
    assert d.name.endswith("-lr0.1") and (d / "torchscope.db").exists()
    assert writer.get_logdir() == str(d.relative_to(tmp_path))


def test_open_finds_every_run_below_a_directory(tmp_path):
    for name in ("a", "b/c"):
        with ts.init(project="p", name=name, dir=tmp_path / "runs" / name) as run:
            run.log({"x": float(len(name))})
    store = ts.open(tmp_path / "runs")
    runs = {r.name: r.id for r in store.runs()}
    assert set(runs) == {"a", "b/c"}
    assert store.scalars(runs["b/c"], "x").value.tolist() == [3.0]
    assert store.projects() == ["p"]
    with ts.init(project="p", name="late", dir=tmp_path / "runs" / "late") as run:
        run.log({"x": 9.0})
    store.rescan_interval = 0
    assert "late" in {r.name for r in store.runs()}
    with pytest.raises(KeyError, match="no run with id"):
        store.keys("nope")
    with pytest.raises(FileNotFoundError, match="no torchscope store"):
        ts.open(tmp_path / "empty-dir-that-does-not-exist")


def test_bad_dataformats_is_clear(tmp_path):
    with ts.SummaryWriter(tmp_path / "r") as writer:
        with pytest.raises(ValueError, match="dataformats must be one of"):
            writer.add_image("x", torch.rand(3, 4, 4), dataformats="XYZ")
        with pytest.raises(ValueError, match="has 3 dimensions"):
            writer.add_image("x", torch.rand(3, 4, 4), dataformats="HW")


def test_import_of_files_written_by_tensorboard_keeps_every_point(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from torch.utils.tensorboard import SummaryWriter as TBWriter

    logdir = tmp_path / "tb"
    rng = np.random.default_rng(0)
    for name in ("run1", "sub/run2"):
        w = TBWriter(str(logdir / name))
        for step in range(3000):
            w.add_scalar("loss", float(rng.normal()), step)
        w.add_scalar("loss", float("nan"), 3000)
        w.add_image("img", torch.rand(3, 5, 7), 1)
        w.add_histogram("h", torch.randn(1000), 2)
        w.add_text("t", "some text", 3)
        w.close()
    proc = subprocess.run([sys.executable, "-m", "torchscope", "import-tensorboard", str(logdir), "--to",
                           str(tmp_path / "ts")], capture_output=True, text=True, timeout=300, env=child_env())
    assert proc.returncode == 0, proc.stderr
    assert "3,001 scalar points" in proc.stdout
    store = ts.open(tmp_path / "ts")
    runs = {r.name: r.id for r in store.runs()}
    assert set(runs) == {"run1", "sub/run2"}
    for name, rid in runs.items():
        acc = EventAccumulator(str(logdir / name), size_guidance={"scalars": 0, "images": 0, "histograms": 0})
        acc.Reload()
        events = acc.Scalars("loss")
        got = store.scalars(rid, "loss")
        assert len(got) == len(events) == 3001
        assert got.step.tolist() == [e.step for e in events]
        np.testing.assert_array_equal(got.value, np.array([e.value for e in events]))  # NaN included
        np.testing.assert_array_equal(got.wall_time, np.array([e.wall_time for e in events]))
        (img,) = store.images(rid, "img")
        assert (img.width, img.height, img.to_numpy().shape) == (7, 5, (5, 7, 3))
        (h,) = store.histograms(rid, "h")
        tb_h = acc.Histograms("h")[0].histogram_value
        assert h.counts.tolist() == list(tb_h.bucket) and h.stats["count"] == 1000
        assert len(h.edges) == len(h.counts) + 1
        assert store.texts(rid, "t")[0].text == "some text"


def test_import_errors_are_clear(tmp_path):
    from torchscope.integrations import import_tensorboard

    with pytest.raises(FileNotFoundError, match="no TensorBoard log directory"):
        import_tensorboard(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no TensorBoard event files"):
        import_tensorboard(tmp_path / "empty")
