"""Memory budgets: how many rows (inputs) one forward/backward may take at once.

The cost of one row is measured, not guessed: a forward pass over one and over two rows runs
under ``torch.autograd.graph.saved_tensors_hooks`` and the bytes autograd keeps for the backward
pass are summed (storages counted once). The difference is the per-row activation memory
(parameters cancel out); gradients during backward and the input copies are added on top. Work is
then split into chunks of ``budget // cost`` rows, so peak memory stays near the budget whatever
the batch size or the number of steps.

Example::

    rows = chunk_rows(model, x[:1], budget_mb=256)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import torch

__all__ = ["DEFAULT_BUDGET_MB", "budget_bytes", "chunk_rows", "chunks", "row_cost"]

DEFAULT_BUDGET_MB = 384.0


def budget_bytes(budget_mb: float | None) -> int:
    """The budget in bytes: the argument, else ``$TORCHSCOPE_EXPLAIN_BUDGET_MB``, else 384 MB."""
    if budget_mb is None:
        budget_mb = float(os.environ.get("TORCHSCOPE_EXPLAIN_BUDGET_MB", DEFAULT_BUDGET_MB))
    if not budget_mb > 0:
        raise ValueError(f"budget_mb must be positive, got {budget_mb}")
    return int(budget_mb * 2**20)


def _saved_bytes(forward: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> int:
    seen: dict[int, torch.UntypedStorage] = {}  # storages (not tensors) stay alive so addresses are not reused

    def pack(t: torch.Tensor) -> None:
        # keep nothing: returning the tensor would tie it to its own grad_fn in a cycle that leaks
        try:
            storage = t.untyped_storage()
            seen[storage.data_ptr()] = storage
        except (RuntimeError, NotImplementedError):  # tensors without storage (sparse, nested)
            pass

    def unpack(_: None) -> torch.Tensor:
        raise RuntimeError("the memory probe's graph is not for backward")

    with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        out = forward(x.detach().clone().requires_grad_(True))
        out_bytes = out.numel() * out.element_size()
    del out
    return sum(s.nbytes() for s in seen.values()) + out_bytes


def row_cost(forward: Callable[[torch.Tensor], torch.Tensor], sample: torch.Tensor) -> int:
    """Bytes one row costs in a forward+backward pass: ``row_cost(model, x[:1])``."""
    one = sample[:1]
    a = _saved_bytes(forward, one)
    b = _saved_bytes(forward, torch.cat([one, one]))
    row_bytes = one.numel() * one.element_size()
    # activations kept for backward, a quarter more for the gradients in flight (freed layer by layer as
    # backward proceeds), and the row itself, its perturbed copy and its gradient
    return max(1, int(1.25 * max(b - a, 0)) + 4 * row_bytes)


def chunk_rows(forward: Callable[[torch.Tensor], torch.Tensor], sample: torch.Tensor,
               budget_mb: float | None = None) -> int:
    """How many rows fit in the budget at once (at least 1): ``chunk_rows(model, x[:1], 256)``."""
    return max(1, budget_bytes(budget_mb) // row_cost(forward, sample))


def chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` pairs covering ``range(total)`` in pieces of ``size``: ``list(chunks(5, 2))``."""
    for start in range(0, total, max(1, size)):
        yield start, min(total, start + size)
