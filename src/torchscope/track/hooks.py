"""What an extension of the tracker sees on the background writer thread: :class:`WriterBatch`.

``run.on_writer_thread(fn)`` hands ``fn`` to the writer thread, which calls it with the batch it is
assembling (the next one to be committed), wrapped in a ``WriterBatch``. This is where work that
would stall the training loop belongs: reading device tensors (the host sync happens here, not on
the training thread), then adding what they say to the batch. ``run.watch`` is built this way.

Example::

    norm = model.fc.weight.detach().norm()          # stays on the device
    run.on_writer_thread(lambda out: out.add_scalars("ext/fc_norm", [step], [norm.item()]))
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from time import time

from ..records import Record
from ..store.write import Batch
from .checks import check_key

__all__ = ["WriterBatch"]


class WriterBatch:
    """The batch being assembled, as a writer-thread hook adds to it (labelled with the run's rank).

    Example: ``out.add_scalars("ext/norm", [120], [0.5])`` inside a function given to
    ``run.on_writer_thread``. Keys are checked as ``run.log`` checks them (a bad one raises, and
    the writer drops that hook's call, said on stderr); an item the store refuses costs only itself.
    """

    __slots__ = ("_batch", "rank")

    def __init__(self, batch: Batch, rank: int) -> None:
        self._batch = batch
        self.rank = rank  # the rank the run labels its data with (0 unless ts.init(all_ranks=True))

    def add_scalars(self, key: str, steps: Sequence[int], values: Sequence[float],
                    walls: Sequence[float] | None = None) -> None:
        """Points of one scalar key: ``out.add_scalars("ext/norm", [10, 20], [0.5, 0.4])`` (walls: now)."""
        check_key(key)
        if len(steps) != len(values) or (walls is not None and len(walls) != len(steps)):
            raise ValueError(f"add_scalars({key!r}): steps, values and walls must have the same length")
        wall_col = list(walls) if walls is not None else [time()] * len(steps)
        self._batch.add_scalars(key, self.rank, list(steps), wall_col, [float(v) for v in values])

    def add_record(self, record: Record, *, step: int, key: str | None = None, wall: float | None = None) -> None:
        """A typed result, as ``run.log_record`` stores it: ``out.add_record(alarm, step=120, key="health/alarms")``."""
        kind = check_key(record.kind, "record kind")
        data, blobs = record.to_dict()
        self._batch.records.append((check_key(key if key is not None else kind), self.rank, step,
                                    time() if wall is None else wall, kind, json.dumps(data, allow_nan=True), blobs))

    def scalars(self) -> Iterator[tuple[str, Sequence[int], Sequence[float]]]:
        """The scalar points the batch holds so far, as ``(key, steps, values)`` (for monitors)."""
        for (key, _), (steps, _, values) in list(self._batch.scalars.items()):
            yield key, steps, values

    def __repr__(self) -> str:
        b = self._batch
        return f"WriterBatch(rank={self.rank}, {len(b.scalars)} scalar keys, {len(b.records)} records)"

