"""torchscope's typed errors, each carrying the HTTP status the dashboard answers it with.

Readers (every :class:`~torchscope.store.provider.Provider`) raise :class:`NotFound` for a run, key,
image or record that is not there and :class:`InvalidArgument` for a request that cannot be
answered as asked; the server maps exactly these (by their ``status``) and nothing else, so a bug
of ours (a ``UnicodeEncodeError`` is a ``ValueError`` too) is a logged 500, never a fake 400.
They subclass the built-in exception a caller would have caught before (``KeyError``,
``ValueError``, ``TimeoutError``), so existing ``except`` clauses keep working.

Example::

    try:
        store.scalars(run_id, "train/loss")
    except ts.errors.NotFound as exc:
        print(exc.status, exc)   # 404 run 'a1b2' has no scalar key 'train/loss' ...
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

__all__ = ["InvalidArgument", "NotFound", "SchemaError", "StoreBusyError", "StoreDamagedError",
           "StoreLocationError", "StoreUnavailableError", "TorchscopeError"]


class TorchscopeError(Exception):
    """The base of torchscope's errors; ``status`` is the HTTP status the dashboard answers with."""

    status = 500


class NotFound(TorchscopeError, KeyError):
    """A run, key, image, record or blob that is not in the store (404)."""

    status = 404

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidArgument(TorchscopeError, ValueError):
    """A request that cannot be answered as asked: a bad kind, range, bucket count... (400)."""

    status = 400


class StoreLocationError(TorchscopeError, ValueError):
    """The store directory cannot be used (it is a file, or cannot be created, read or written) (400)."""

    status = 400


class SchemaError(TorchscopeError, RuntimeError):
    """The store's schema cannot be used by this torchscope (newer, or not a version number) (500)."""

    status = 500


class StoreBusyError(TorchscopeError, TimeoutError):
    """Another process held the store's write lock for longer than ``$TORCHSCOPE_LOCK_TIMEOUT`` seconds (503)."""

    status = 503


class StoreUnavailableError(StoreBusyError):
    """The store's database server cannot be reached (down, restarting, refused the login) (503).

    The tracker keeps what it could not write and retries; a dashboard answers 503 and recovers
    when the server is back.
    """


class StoreDamagedError(TorchscopeError, sqlite3.DatabaseError):
    """The store's file is damaged: nothing is written into it; ``torchscope doctor DIR`` salvages it (500)."""

    status = 500

    def __init__(self, path: str | os.PathLike[str] | None, detail: str) -> None:
        where = Path(path) if path is not None else None
        dir = (where.parent if where.name == "torchscope.db" else where) if where is not None else "DIR"
        name = f"the torchscope store {str(where)!r}" if where is not None else "a torchscope store"
        super().__init__(
            f"{name} is damaged ({detail}). Nothing more is written into it. "
            f"Run `torchscope doctor {dir}` to check it and copy everything readable into a new store.")
        self.path = where
