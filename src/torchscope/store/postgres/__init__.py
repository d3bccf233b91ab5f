"""The team store: runs in PostgreSQL, for many machines and many people (``torchscope[postgres]``).

``ts.init(store="postgresql://user@host/db")`` writes through :class:`PostgresWriter` (the same
background writer, batches and backpressure as the SQLite store); ``ts.open(url)``,
``torchscope serve URL`` and ``torchscope report URL`` read through :class:`PostgresStore`, which
implements the same Provider contract (the conformance suite runs on both). See docs/team-store.md.
"""

from .read import PostgresStore
from .write import PostgresWriter

__all__ = ["PostgresStore", "PostgresWriter"]
