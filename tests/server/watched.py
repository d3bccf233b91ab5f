"""A real training run observed by ``run.watch``: a tiny MLP whose second ReLU is dead (an alarm)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

STEPS, EVERY = 30, 5
DEAD_LAYER = "3"  # the second ReLU: its input is pushed far below zero


def train_watched(dir: Path, name: str = "watched") -> dict[str, Any]:
    """Train for ``STEPS`` steps with ``run.watch(model, every=EVERY)``; returns the run id and layers."""
    import torch
    from torch import nn

    import torchscope as ts

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
    with torch.no_grad():
        model[2].bias.fill_(-100.0)  # every unit of the second ReLU is off
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    with ts.init(dir=dir, project="health", name=name) as run:
        run.watch(model, every=EVERY, optimizer=opt)
        for _ in range(STEPS):
            x = torch.randn(16, 8)
            loss = model(x).pow(2).mean() + 1.0
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.log({"train/loss": loss.detach()})
    return {"id": run.id, "layers": ["0", "1", "2", "3", "4"]}


def train_poisoned(dir: Path, at: int = 10) -> str:
    """A run whose middle layer outputs NaN at step ``at`` (sampled: ``at`` is a multiple of EVERY)."""
    import torch
    from torch import nn

    import torchscope as ts

    class Poison(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.calls = -1

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.calls += 1
            return x * float("nan") if self.calls == at else x

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), Poison(), nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with ts.init(dir=dir, project="health", name="poisoned") as run:
        run.watch(model, every=EVERY, optimizer=opt)
        for _ in range(STEPS):
            loss = model(torch.randn(16, 8)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return run.id
