"""Stores: where runs live. The embedded default is one SQLite file (WAL) in a directory.

``Store`` (from ``ts.open``) is the read interface every consumer uses; ``SQLiteWriter`` is the
write side the tracker drives. A server database would implement the same two classes.
"""

from ..errors import StoreBusyError, StoreDamagedError, StoreLocationError
from ._db import DB_NAME, resolve_dir
from .multi import MultiStore
from .provider import Provider
from .schema import SCHEMA_VERSION, SchemaError
from .sqlite import Store, open_store
from .types import HistogramEntry, ImageEntry, KeyInfo, RecordEntry, RunInfo, Scalars, TextEntry
from .write import Batch, SQLiteWriter

__all__ = [
    "DB_NAME",
    "SCHEMA_VERSION",
    "Batch",
    "HistogramEntry",
    "ImageEntry",
    "KeyInfo",
    "MultiStore",
    "Provider",
    "RecordEntry",
    "RunInfo",
    "SQLiteWriter",
    "Scalars",
    "SchemaError",
    "Store",
    "StoreBusyError",
    "StoreDamagedError",
    "StoreLocationError",
    "TextEntry",
    "open_store",
    "resolve_dir",
]
