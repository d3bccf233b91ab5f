"""The tracker: ``ts.init`` returns a :class:`Run` that logs without blocking the training loop.

Extensions (``run.watch`` among them) use ``run.on_writer_thread``, whose functions get a :class:`WriterBatch`.
"""

from .hooks import WriterBatch
from .run import Run, init

__all__ = ["Run", "WriterBatch", "init"]
