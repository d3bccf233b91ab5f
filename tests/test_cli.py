"""The ``torchscope`` command line."""

from __future__ import annotations

import subprocess
import sys

import torchscope as ts
from tests.conftest import ROOT, child_env


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "torchscope", *args], capture_output=True, text=True,
                          timeout=timeout, env=child_env())


def test_demo_quick_writes_a_complete_run(tmp_path):
    proc = _cli("demo", "--quick", "--no-serve", "--dir", str(tmp_path / "d"))
    assert proc.returncode == 0, proc.stderr
    assert "validation accuracy" in proc.stdout
    store = ts.open(tmp_path / "d")
    (info,) = store.runs(project="demo")
    assert info.status == "finished" and info.summary["val_acc"] > 0.5
    kinds = {k.kind for k in store.keys(info.id)}
    assert kinds >= {"scalar", "image", "histogram", "text"}
    loss = store.scalars(info.id, "train/loss")
    assert len(loss) == info.config["epochs"] * 23 and loss.value[-5:].mean() < loss.value[:5].mean()
    lr = store.scalars(info.id, "train/lr").value
    assert lr.max() > lr[0] and lr[-1] < lr.max()  # one-cycle schedule went up then down
    # the tour: every stage left its records for the dashboard's panels
    records = {k.record_kind for k in store.keys(info.id, "record")}
    assert records >= {"data.profile", "data.projection", "model.summary", "model.graph", "eval.confusion",
                       "eval.per_class", "eval.curves", "eval.calibration", "eval.mistakes", "explain.attribution",
                       "gan.lab2d.frame", "gan.monitor", "gan.metrics", "gan.checkpoint", "gan.interpolation"}
    assert "gan/samples" in {k.key for k in store.keys(info.id, "image")}
    assert "watch/features.0/grad_norm" in {k.key for k in store.keys(info.id, "scalar")}
    listing = _cli("runs", str(tmp_path / "d"))
    assert info.id in listing.stdout and "finished" in listing.stdout


def test_errors_are_one_clear_line(tmp_path):
    proc = _cli("runs", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "no torchscope store" in proc.stderr and "Traceback" not in proc.stderr
    proc = _cli("demo", "--epochs", "0", "--dir", str(tmp_path / "d"))
    assert proc.returncode == 2 and "--epochs must be at least 1" in proc.stderr


def test_version_and_help():
    assert ts.__version__ in _cli("version").stdout
    assert "demo" in _cli("--help").stdout


def test_demo_then_serves_the_dashboard(tmp_path):
    import time
    import urllib.request

    from tests.conftest import popen_python

    proc = popen_python("""
        import sys
        from torchscope.cli import main
        sys.exit(main(["demo", "--quick", "--dir", sys.argv[1], "--port", "0"]))
    """, str(tmp_path / "d"))
    try:
        url = None
        deadline = time.time() + 120
        while time.time() < deadline and url is None:
            line = proc.stdout.readline()
            if line.strip().startswith("http://127.0.0.1:"):
                url = line.strip()
        assert url, "the demo did not print the dashboard's URL"
        for _ in range(50):
            try:
                body = urllib.request.urlopen(url + "api/runs", timeout=5).read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert "digits-cnn" in body and '"finished"' in body
    finally:
        proc.terminate()
        proc.wait(10)


def test_demo_on_your_own_data(tmp_path):
    import pytest

    mnist = ROOT.parent / "shared" / "data" / "mnist"
    if not (mnist / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("the MNIST test set is not beside the checkout")
    proc = _cli("demo", "--quick", "--epochs", "1", "--no-serve", "--data", str(mnist), "--dir", str(tmp_path / "d"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    store = ts.open(tmp_path / "d")
    (info,) = store.runs()
    assert info.config["data"] == str(mnist) and info.summary["val_acc"] > 0.5
    graph = store.latest(info.id, "model.graph")
    assert "28" in str(graph.to_dict()[0])  # the graph was captured at MNIST's size
    assert store.images(info.id, "gan/samples")[-1].width > 28
