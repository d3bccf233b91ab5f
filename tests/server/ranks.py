"""A store holding a run logged by two ranks (``ts.init(..., all_ranks=True)``) and a one-process run,
written through the real tracker: each rank's ``ts.init`` sees the variables ``torchrun`` sets, so
both agree on the run id exactly as two processes of one job do (rank 1 first, as a slow rank 0)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

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
