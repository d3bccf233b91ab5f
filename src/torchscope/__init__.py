"""torchscope: see deep learning in PyTorch.

``import torchscope as ts``; then ``ts.init`` to track a run, ``ts.open`` to read a store, and the
capability functions (data, model, explanations, GANs) that return :class:`ts.Record` results.
"""

from ._version import __version__
from .integrations import SummaryWriter
from .records import GenericRecord, Record, register_record
from .store import SchemaError, Store, StoreLocationError
from .store import open_store as open
from .track import Run, init

__all__ = [
    "GenericRecord",
    "Record",
    "Run",
    "SchemaError",
    "Store",
    "StoreLocationError",
    "SummaryWriter",
    "__version__",
    "init",
    "open",
    "register_record",
]
