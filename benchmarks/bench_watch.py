"""Overhead of ``run.watch(model)`` at its defaults on a training step (CPU, batch 64).

Models: a SimpleCNN on 1x28x28 and a ResNet-18 (written locally, tests/model/zoo.py) on 3x64x64.
Configurations run interleaved, step by step, and the median step time of each is compared:
no instrumentation, torchscope ``run.watch(model)`` (every=100: the steady-state cost of
unsampled steps plus the sampled ones), and ``wandb.watch`` in offline mode when wandb installs.
Goal: at most 5% overhead at the defaults. Run: ``.venv/bin/python benchmarks/bench_watch.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.model.zoo import BasicBlock, ResNet

import torchscope as ts


class SimpleCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def _setup(kind: str, make, shape, root: Path):
    torch.manual_seed(0)
    model = make()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    run = None
    if kind == "torchscope":
        run = ts.init(project="bench-watch", dir=root)
        run.watch(model, optimizer=opt)
    elif kind == "wandb":
        import wandb

        run = wandb.init(project="bench-watch", mode="offline", dir=str(root), reinit=True)
        wandb.watch(model, log="all", log_freq=100)
    x = torch.randn(*shape)
    y = torch.randint(0, 10, (shape[0],))
    return model, opt, run, x, y


def _step(model, opt, run, x, y, kind: str, i: int) -> float:
    t = time.perf_counter()
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if kind == "torchscope":
        run.log({"loss": loss.detach()})
    elif kind == "wandb":
        run.log({"loss": loss.item()})
    return time.perf_counter() - t


def bench(name: str, make, shape, steps: int, kinds: list[str], root: Path) -> dict[str, float]:
    setups = {k: _setup(k, make, shape, root / k) for k in kinds}
    times: dict[str, list[float]] = {k: [] for k in kinds}
    for i in range(steps + 3):
        for k in kinds:  # interleaved, so drift in machine load hits every configuration alike
            dt = _step(*setups[k][:3], *setups[k][3:], k, i)
            if i >= 3:
                times[k].append(dt)
    for _, _, run, _, _ in setups.values():
        if run is not None:
            run.finish()
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{name}: median step " + ", ".join(f"{k} {med[k] * 1e3:.1f} ms" for k in kinds))
    for k in kinds[1:]:
        print(f"   {k:10s} overhead {100 * (med[k] / med['none'] - 1):+.1f}%")
    return med


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="steps per configuration (SimpleCNN)")
    args = parser.parse_args()
    kinds = ["none", "torchscope"]
    try:
        import wandb  # noqa: F401

        os.environ.setdefault("WANDB_SILENT", "true")
        kinds.append("wandb")
    except ImportError:
        print("wandb is not installed: comparing with no instrumentation only")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bench("SimpleCNN 1x28x28, batch 64", SimpleCNN, (64, 1, 28, 28), args.steps, kinds, root)
        bench("ResNet-18 3x64x64, batch 64", lambda: ResNet(BasicBlock, [2, 2, 2, 2], num_classes=10),
              (64, 3, 64, 64), max(30, args.steps // 10), kinds, root)


if __name__ == "__main__":
    main()
