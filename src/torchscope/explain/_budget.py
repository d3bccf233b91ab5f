"""Memory budgets: the first chunk of real work measures what a row costs; the rest is split to fit.

There is no separate probe pass. The first chunk (at most ``FIRST_ROWS`` rows, ``GPU_FIRST_ROWS``
on a GPU, and at most ``1 / INPUT_SHARE`` of the budget in input bytes) runs under a
:class:`Meter`: saved-tensor hooks sum the bytes autograd keeps for the backward pass (storages
counted once, the model's parameters and buffers left out) and forward hooks note the largest
layer output. A row then costs
``max(1.25 * saved, 3 * largest) / rows`` (activations kept for backward and a quarter more for
gradients in flight, or, without a graph, a layer's input, output and one skip connection) plus four
copies of the input row. The other rows go in even chunks of ``budget // cost``. If the first chunk
goes over the budget while it runs, it stops there and runs again as a single row, which is always
allowed. A caller may keep the measured cost (``known``, ``key``): its next call measures nothing.

Example::

    run_chunks(model, total=len(x) * 50, row_bytes=x[0].nbytes, budget=budget_bytes(None), step=step)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from ._hooks import forward_hooks

__all__ = ["DEFAULT_BUDGET_MB", "FIRST_ROWS", "GPU_FIRST_ROWS", "INPUT_SHARE", "Meter", "OverBudget", "budget_bytes",
           "chunks", "default_budget_mb", "even_chunks", "measuring", "run_chunks"]

DEFAULT_BUDGET_MB = 384.0
FIRST_ROWS = 64  # rows in the measured first chunk, at most (on a GPU: GPU_FIRST_ROWS)
GPU_FIRST_ROWS = 512
GPU_BUDGET_SHARE = 40  # a GPU's default budget: 1/40 of its memory, between 384 MB and GPU_BUDGET_MAX_MB
GPU_BUDGET_MAX_MB = 2048.0
INPUT_SHARE = 64  # ... and its input at most 1/64 of the budget (a layer's output is rarely 20x its input)


class OverBudget(Exception):
    """Raised inside the measured first chunk once it costs more than the budget."""


def default_budget_mb(device: torch.device | str | None = None) -> float:
    """384 MB; on a CUDA device 1/40 of its memory, from 384 MB to 2 GB (2 GB on an 80 GB GPU).

    On a GPU every chunk costs a few milliseconds of kernel launches whatever its size, so small
    chunks leave it idle; on a CPU, chunks of a few hundred MB stay in cache and beat one big batch.
    """
    device = torch.device(device) if device is not None else None
    if device is None or device.type != "cuda":
        return DEFAULT_BUDGET_MB
    total = torch.cuda.get_device_properties(device).total_memory / 2**20
    return min(GPU_BUDGET_MAX_MB, max(DEFAULT_BUDGET_MB, total / GPU_BUDGET_SHARE))


def budget_bytes(budget_mb: float | None, device: torch.device | str | None = None) -> int:
    """The budget in bytes: the argument, else ``$TORCHSCOPE_EXPLAIN_BUDGET_MB``, else
    :func:`default_budget_mb` for the device."""
    if budget_mb is None:
        env = os.environ.get("TORCHSCOPE_EXPLAIN_BUDGET_MB")
        budget_mb = float(env) if env else default_budget_mb(device)
    if not budget_mb > 0:
        raise ValueError(f"budget_mb must be positive, got {budget_mb}")
    return int(budget_mb * 2**20)


def _nbytes(out: Any) -> int:
    if isinstance(out, torch.Tensor):
        return out.numel() * out.element_size()
    if isinstance(out, (tuple, list)):
        return sum(_nbytes(o) for o in out)
    if isinstance(out, dict):
        return sum(_nbytes(o) for o in out.values())
    return 0


def _storage_ptr(t: torch.Tensor) -> int:
    try:
        return t.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):  # tensors without storage (sparse, nested)
        return id(t)


class Meter:
    """Measures one chunk of ``rows`` rows; raises :class:`OverBudget` past ``budget`` (unless one row).

    Used through :func:`measuring`; ``m.row_cost()`` after the chunk has run.
    Saved tensors pass through unchanged (detached, so no reference cycle), with autograd's check
    that they were not modified in place before the backward pass.
    """

    def __init__(self, model: nn.Module, budget: int, rows: int, row_bytes: int) -> None:
        self.model, self.budget, self.rows, self.row_bytes = model, budget, rows, row_bytes
        self.saved = 0
        self.largest = 0
        self._seen: set[int] = set()
        self._fixed = {_storage_ptr(t) for t in (*model.parameters(), *model.buffers())}

    def cost(self) -> int:
        """Bytes the measured chunk costs so far."""
        return int(max(1.25 * self.saved, 3 * self.largest)) + 4 * self.rows * self.row_bytes

    def row_cost(self) -> int:
        """Bytes one row costs (at least 1)."""
        return max(1, -(-self.cost() // self.rows))

    def _check(self) -> None:
        if self.rows > 1 and self.cost() > self.budget:
            raise OverBudget(f"{self.rows} rows cost more than {self.budget} bytes")

    def _pack(self, t: torch.Tensor) -> tuple[torch.Tensor, int]:
        try:
            storage = t.untyped_storage()
            ptr, size = storage.data_ptr(), storage.nbytes()
        except (RuntimeError, NotImplementedError):  # tensors without storage (sparse, nested)
            ptr, size = id(t), _nbytes(t)
        if ptr not in self._fixed and ptr not in self._seen:
            self._seen.add(ptr)  # saved storages stay alive until backward: their addresses are not reused
            self.saved += size
            self._check()
        return t.detach(), t._version

    @staticmethod
    def _unpack(packed: tuple[torch.Tensor, int]) -> torch.Tensor:
        t, version = packed
        if t._version != version:
            raise RuntimeError("one of the variables needed for gradient computation has been modified by an "
                               f"inplace operation: saved at version {version}, now at version {t._version}")
        return t

    def _output(self, module: nn.Module, args: Any, out: Any) -> None:
        self.largest = max(self.largest, _nbytes(out))
        self._check()


@contextmanager
def measuring(model: nn.Module, budget: int, rows: int, row_bytes: int) -> Iterator[Meter]:
    """A :class:`Meter` on ``model`` for the block: ``with measuring(model, budget, 8, nbytes) as m: step(0, 8)``."""
    meter = Meter(model, budget, rows, row_bytes)
    watched = [m for m in model.modules() if m is model or next(m.children(), None) is None]  # leaves and the model
    with forward_hooks([(m, meter._output) for m in watched]), \
            torch.autograd.graph.saved_tensors_hooks(meter._pack, meter._unpack):
        yield meter


def chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` pairs covering ``range(total)`` in pieces of ``size``: ``list(chunks(5, 2))``."""
    for start in range(0, total, max(1, size)):
        yield start, min(total, start + size)


def even_chunks(start: int, total: int, size: int) -> Iterator[tuple[int, int]]:
    """``range(start, total)`` in the fewest pieces of at most ``size``, as even as possible (no small tail):
    ``list(even_chunks(0, 10, 4)) == [(0, 3), (3, 6), (6, 10)]``."""
    rest = total - start
    if rest <= 0:
        return
    n = -(-rest // max(1, size))
    for i in range(n):
        yield start + i * rest // n, start + (i + 1) * rest // n


def run_chunks(model: nn.Module, total: int, row_bytes: int, budget: int, step: Callable[[int, int], None],
               first_rows: int = FIRST_ROWS, known: dict[Any, int] | None = None, key: Any = None) -> None:
    """Call ``step(a, b)`` over ``range(total)`` in chunks that fit ``budget``, the first one measured
    (at most ``first_rows`` rows).

    With ``known`` (a dict) and a ``key``, a row cost measured once for the key is kept there and the
    next call splits all its rows at once, measuring nothing (``Explainer`` keys it by method, model
    structure, row shape, dtype and device).
    ``step`` must have no lasting effect when it raises (:class:`OverBudget` stops it mid-forward).
    """
    if total <= 0:
        return
    cost = known.get(key) if known is not None else None
    if cost is not None:
        for a, b in even_chunks(0, total, budget // cost):
            step(a, b)
        return
    first = min(total, first_rows, max(1, budget // (INPUT_SHARE * max(1, row_bytes))))
    try:
        with measuring(model, budget, first, row_bytes) as meter:
            step(0, first)
    except OverBudget:
        first = 1
        with measuring(model, budget, first, row_bytes) as meter:
            step(0, first)
    if known is not None:
        known[key] = meter.row_cost()
    for a, b in even_chunks(first, total, budget // meter.row_cost()):
        step(a, b)
