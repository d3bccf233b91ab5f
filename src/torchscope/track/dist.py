"""Distributed awareness: which rank this process is, and a run id all ranks agree on.

Reads ``torch.distributed`` when a process group is initialized, else the variables ``torchrun``
sets (``RANK``, ``WORLD_SIZE``, ``TORCHELASTIC_RUN_ID``, ``MASTER_ADDR``, ``MASTER_PORT``).
"""

from __future__ import annotations

import hashlib
import os
import uuid

__all__ = ["rank_and_world", "shared_run_id"]


def _dist_ready() -> bool:
    try:
        import torch.distributed as dist
    except ImportError:  # pragma: no cover
        return False
    return dist.is_available() and dist.is_initialized()


def rank_and_world() -> tuple[int, int]:
    """(rank, world_size) of this process; (0, 1) outside distributed training."""
    if _dist_ready():
        import torch.distributed as dist

        return dist.get_rank(), dist.get_world_size()
    try:
        return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    except ValueError:
        return 0, 1


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def shared_run_id(rank: int, world_size: int, seed: str) -> str:
    """A run id identical on every rank: broadcast from rank 0 when a process group exists,
    else derived from torchrun's environment (``seed`` separates runs of one job)."""
    if world_size <= 1:
        return new_run_id()
    if _dist_ready():
        import torch.distributed as dist

        box = [new_run_id() if rank == 0 else None]
        dist.broadcast_object_list(box, src=0)
        return str(box[0])
    job = "|".join(os.environ.get(k, "") for k in ("TORCHELASTIC_RUN_ID", "MASTER_ADDR", "MASTER_PORT"))
    if not job.strip("|"):
        return new_run_id()
    return hashlib.sha1(f"{job}|{seed}".encode()).hexdigest()[:12]
