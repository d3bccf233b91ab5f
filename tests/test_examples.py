"""Every example in examples/ runs (small settings) and writes what it says."""

from __future__ import annotations

import subprocess
import sys

import torchscope as ts
from tests.conftest import ROOT, child_env

EXAMPLES = ROOT / "examples"


def _run(*cmd: str, timeout: float = 300) -> str:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, env=child_env(), cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


def test_three_lines(tmp_path):
    out = _run(sys.executable, str(EXAMPLES / "01_three_lines.py"), "--epochs", "2", "--dir", str(tmp_path))
    assert "test accuracy" in out
    store = ts.open(tmp_path)
    (info,) = store.runs()
    assert info.summary["test_acc"] > 0.5 and info.status == "finished"
    keys = {k.key for k in store.keys(info.id, "scalar")}
    assert "train/loss" in keys and "watch/0/grad_norm" in keys


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
