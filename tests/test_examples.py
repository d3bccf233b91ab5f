"""Every example in examples/ runs (small settings) and writes what it says; notebooks run headlessly (nbclient)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import torchscope as ts
from tests.conftest import ROOT, child_env

EXAMPLES = ROOT / "examples"


def _run(*cmd: str, timeout: float = 300, extra_env: dict[str, str] | None = None) -> str:
    env = {**child_env(), **(extra_env or {})}
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


def test_three_lines(tmp_path):
    out = _run(sys.executable, str(EXAMPLES / "01_three_lines.py"), "--epochs", "2", "--dir", str(tmp_path))
    assert "test accuracy" in out
    store = ts.open(tmp_path)
    (info,) = store.runs()
    assert info.summary["test_acc"] > 0.5 and info.status == "finished"
    keys = {k.key for k in store.keys(info.id, "scalar")}
    assert "train/loss" in keys and "watch/0/grad_norm" in keys and "system/process_rss_gb" in keys
    assert store.latest(info.id, "model.graph").nodes  # run.watch(graph=True) from the first batch


def test_summarywriter_migration(tmp_path):
    _run(sys.executable, str(EXAMPLES / "02_summarywriter_migration.py"), "--logdir", str(tmp_path / "runs"),
         "--steps", "60")
    store = ts.open(tmp_path / "runs")
    runs = {r.name: r for r in store.runs()}
    assert set(runs) == {"lr0.1", "lr0.01"}
    assert runs["lr0.1"].config == {"lr": 0.1} and "hparam/final_loss" in runs["lr0.1"].summary
    assert len(store.scalars(runs["lr0.01"].id, "loss")) == 60


def test_ddp_torchrun(tmp_path):
    _run(sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         str(EXAMPLES / "03_ddp_torchrun.py"), "--dir", str(tmp_path), "--steps", "30")
    store = ts.open(tmp_path)
    (info,) = store.runs()
    assert info.ranks == [0, 1] and len(store.scalars(info.id, "train/loss", rank=1)) == 30


def test_gan_lab_script(tmp_path):
    out = _run(sys.executable, str(EXAMPLES / "04_gan_lab.py"), "--steps", "60", "--out", str(tmp_path / "r.gif"))
    assert "saved" in out and (tmp_path / "r.gif").stat().st_size > 1000


def test_gan_images_script(tmp_path):
    env = {"TORCHSCOPE_EXAMPLES_QUICK": "1", "TORCHSCOPE_CACHE": str(tmp_path / "cache")}
    out = _run(sys.executable, str(EXAMPLES / "06_gan_images.py"), "--dir", str(tmp_path / "runs"), extra_env=env)
    assert "FD" in out and "timeline of" in out
    store = ts.open(tmp_path / "runs")
    (info,) = store.runs()
    assert info.status == "finished"
    keys = {(k.key, k.kind) for k in store.keys(info.id)}
    for key in ("gan/d_loss", "gan/g_loss", "gan/d_real", "gan/d_fake", "gan/g_grad_norm", "gan/fd", "gan/recall"):
        assert (key, "scalar") in keys, key
    frames = store.images(info.id, "gan/samples")
    assert len(frames) >= 10 and frames[-1].to_numpy().shape[0] > 8 * 8
    assert store.latest(info.id, "gan.metrics").n_fake == 300
    assert store.latest(info.id, "gan.directions").u.shape == (4, 32)
    assert (tmp_path / "runs" / "gan_timeline.gif").stat().st_size > 1000


def _kernel(root: Path) -> str:
    """A kernelspec that runs this very interpreter (the venv's), found first through JUPYTER_PATH."""
    spec = root / "jupyter" / "kernels" / "torchscope-tests"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "torchscope tests",
                                                  "language": "python"}))
    return spec.name


def test_notebooks_are_committed_without_outputs():
    import nbformat

    for path in sorted(EXAMPLES.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
        assert not dirty, f"{path.name}: cells {dirty} hold outputs; clear them before committing"


def test_notebook_tour(tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("PYTHONPATH", child_env()["PYTHONPATH"])
    monkeypatch.setenv("TORCHSCOPE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("TORCHSCOPE_DIR", raising=False)
    name = _kernel(tmp_path)
    nb = nbformat.read(EXAMPLES / "05_notebook_tour.ipynb", as_version=4)
    work = tmp_path / "work"
    work.mkdir()
    NotebookClient(nb, timeout=240, kernel_name=name, resources={"metadata": {"path": str(work)}}).execute()

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    streams = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "IProgress not found" not in streams  # a notebook without ipywidgets gets text progress bars
    html = [o.data["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert len(html) >= 12, f"only {len(html)} rich outputs"
    assert all("<img" in h or "<svg" in h or "<table" in h for h in html)
    assert any("<svg" in h for h in html), "ts.graph did not show as SVG"
    assert any("<table" in h and "Layer (type)" in h for h in html), "ts.summary did not show as a table"
    assert any("image/png" in o.get("data", {}) for o in outputs), "the loss plot is missing"

    store = ts.open(work / "tsruns")
    (info,) = store.runs()
    assert info.status == "finished"
    kinds = {e.record.kind for e in store.records(info.id)}
    assert {"eval.confusion", "explain.attribution", "gan.metrics", "gan.interpolation"} <= kinds
    assert len(store.scalars(info.id, "train/loss")) > 50 and store.images(info.id, "gan/samples")
