"""A store holding a run logged by two ranks (``ts.init(..., all_ranks=True)``) and a one-process run,
written through the real tracker: each rank's ``ts.init`` sees the variables ``torchrun`` sets, so
both agree on the run id exactly as two processes of one job do (rank 1 first, as a slow rank 0)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torchscope as ts

STEPS = 300
TORCHRUN = {"WORLD_SIZE": "2", "TORCHELASTIC_RUN_ID": "ranks-test", "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": "29511"}


def loss(rank: int, step: int) -> float:
    """What rank ``rank`` logs as ``train/loss`` at ``step``: rank 1's values sit far from rank 0's."""
    return 1000.0 * rank + step / 10


def solo_loss(step: int) -> float:
    return -1.0 - step


@contextlib.contextmanager
def as_rank(rank: int) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in [*TORCHRUN, "RANK", "LOCAL_RANK"]}
    os.environ.update(TORCHRUN, RANK=str(rank), LOCAL_RANK=str(rank))
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def fill_ranks(dir: Path) -> dict[str, str]:
    """``{"ddp": id, "solo": id}``: ``ddp`` has train/loss at ranks 0 and 1, and ``grad/local`` only at
    rank 1 (a key no rank-0 listing shows); ``solo`` (another project) has train/loss at rank 0 only."""
    runs = []
    for rank in (1, 0):
        with as_rank(rank):
            runs.append(ts.init(project="ddp", name="two-ranks", dir=dir, all_ranks=True, config={"world": 2}))
    (r1, r0), ids = runs, {}
    assert r0.id == r1.id and (r0.rank, r1.rank) == (0, 1)
    for step in range(STEPS):
        r0.log({"train/loss": loss(0, step)}, step=step)
        r1.log({"train/loss": loss(1, step), "grad/local": 7.0 + step}, step=step)
    r1.finish()
    r0.finish()
    ids["ddp"] = r0.id
    with ts.init(project="solo", name="one-process", dir=dir) as run:
        for step in range(STEPS):
            run.log({"train/loss": solo_loss(step)}, step=step)
        ids["solo"] = run.id
    return ids


# -- run.watch on two ranks: rank 1's model outputs NaN (the Health panel's ranks) -------------------

WATCH_STEPS, WATCH_EVERY, NAN_AT = 30, 5, 10
NAN_LAYER = "2"  # the Poison layer of the watched model: nn.Sequential(Linear, ReLU, Poison, Linear)


def _watched_model(seed: int = 0) -> Any:
    """A small MLP whose layer ``NAN_LAYER`` multiplies its input by NaN while its ``on`` flag is set."""
    import torch
    from torch import nn

    class Poison(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.on = False

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * float("nan") if self.on else x

    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), Poison(), nn.Linear(16, 1))


def fill_watched_ranks(dir: Path, at: int = NAN_AT) -> dict[str, str]:
    """``{"ddp": id, "solo": id}``: ``ddp`` (project ``ddp-health``) is one run of two ranks, each training
    the same MLP under ``run.watch(model, every=WATCH_EVERY, graph=True)`` for ``WATCH_STEPS`` steps
    (rank 1 ahead of rank 0 at each step); only rank 1's layer ``NAN_LAYER`` outputs NaN, at step ``at``
    (a sampled step), so only rank 1 raises NaN alarms. ``solo`` (project ``solo-health``) is a
    one-process watched run of the same model, without NaN."""
    import torch

    runs = []
    for rank in (1, 0):
        with as_rank(rank):
            runs.append(ts.init(project="ddp-health", name="two-ranks-watched", dir=dir, all_ranks=True))
    (r1, r0), ids = runs, {}
    assert r0.id == r1.id and (r0.rank, r1.rank) == (0, 1)
    models = {0: _watched_model(), 1: _watched_model()}
    opts = {r: torch.optim.SGD(m.parameters(), lr=0.01) for r, m in models.items()}
    for rank, run in ((0, r0), (1, r1)):
        run.watch(models[rank], every=WATCH_EVERY, optimizer=opts[rank], graph=True)
    gen = torch.Generator().manual_seed(0)
    for step in range(WATCH_STEPS):
        x = torch.randn(16, 8, generator=gen)
        for rank, run in ((1, r1), (0, r0)):
            model, opt = models[rank], opts[rank]
            model[2].on = rank == 1 and step == at
            loss = model(x).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.log({"train/loss": loss.detach()}, step=step)
    r1.finish()
    r0.finish()
    ids["ddp"] = r0.id
    model = _watched_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with ts.init(project="solo-health", name="one-process-watched", dir=dir) as run:
        run.watch(model, every=WATCH_EVERY, optimizer=opt, graph=True)
        for step in range(WATCH_STEPS):
            loss = model(torch.randn(16, 8, generator=gen)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.log({"train/loss": loss.detach()}, step=step)
        ids["solo"] = run.id
    return ids
