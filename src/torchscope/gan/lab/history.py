"""Columnar curves of the lab (``{"step": [...], "d_loss": [...]}``), bounded in memory.

When a table passes ``cap`` rows it keeps every other row and bumps ``epoch``, so a client that
fetches rows incrementally (``since=n``) knows to start again from 0.

Example::

    h = History(("step", "d_loss")); h.add(step=1, d_loss=0.7); h.columns(since=0)
"""

from __future__ import annotations

from typing import Any

__all__ = ["History"]


class History:
    """Named columns of floats that grow together: ``History(("step", "loss"), cap=20_000)``."""

    def __init__(self, names: tuple[str, ...], cap: int = 20_000, epoch: int = 0) -> None:
        self.names = tuple(names)
        self.cap = int(cap)
        self.epoch = int(epoch)
        self.data: dict[str, list[float]] = {n: [] for n in self.names}

    def __len__(self) -> int:
        return len(self.data[self.names[0]])

    def add(self, **row: float) -> None:
        """Append one row (missing names get NaN): ``h.add(step=3, d_loss=0.5)``."""
        for n in self.names:
            self.data[n].append(float(row.get(n, float("nan"))))
        if len(self) > self.cap:
            for n in self.names:
                self.data[n] = self.data[n][::2]
            self.epoch += 1

    def last(self) -> dict[str, float]:
        """The latest row as a dict (empty when there is none)."""
        return {n: self.data[n][-1] for n in self.names} if len(self) else {}

    def columns(self, since: int = 0) -> dict[str, list[float]]:
        """Copies of the columns from row ``since`` on."""
        return {n: list(self.data[n][since:]) for n in self.names}

    def clear(self) -> None:
        """Drop every row and bump ``epoch``."""
        self.data = {n: [] for n in self.names}
        self.epoch += 1

    def state(self) -> dict[str, Any]:
        """A plain-dict state for saving."""
        return {"epoch": self.epoch, "data": self.columns()}

    def load(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state` returned (a new epoch: the rows are not the ones clients hold)."""
        self.epoch += 1
        self.data = {n: [float(v) for v in state["data"].get(n, [])] for n in self.names}
