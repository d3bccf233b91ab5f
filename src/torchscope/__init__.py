"""torchscope: see deep learning in PyTorch.

``import torchscope as ts``; then ``ts.init`` to track a run, ``ts.open`` to read a store, and the
capability functions that return :class:`ts.Record` results: ``ts.data`` (loaders and data
views), ``ts.summary`` / ``ts.graph`` / ``ts.autograd_graph`` (the model), ``ts.evaluate`` and
``ts.explain`` (the model at work), ``ts.gan`` (the GAN lab, a monitor for any GAN loop, a built-in
DCGAN, quality metrics and the GAN lens), ``ts.build_report`` (one self-contained HTML file of a
run's panels), ``ts.export`` (runs as pandas, Arrow or polars tables, Parquet or CSV files).
Capabilities load on first use, so a plain ``import torchscope`` stays light.
``ts.attention`` returns a transformer's attention maps, every layer and head.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .records import GenericRecord, Record, register_record
from .store import SchemaError, Store, StoreLocationError
from .store import open_store as open

if TYPE_CHECKING:  # imported on first use below: each of these imports torch
    from .integrations import SummaryWriter
    from .track import Run, init

# name -> (module, attribute or None for the module itself), imported on first access; the reading
# side (ts.open, `torchscope serve`, `torchscope report`) never imports torch (tests/test_imports.py)
_LAZY = {
    "Run": (".track", "Run"),
    "SummaryWriter": (".integrations", "SummaryWriter"),
    "init": (".track", "init"),
    "attention": (".attention", "attention"),
    "autograd_graph": (".model", "autograd_graph"),
    "build_report": (".report", "build_report"),
    "data": (".data", None),
    "detections": (".explain", "detections"),
    "errors": (".errors", None),
    "evaluate": (".evaluate", "evaluate"),
    "explain": (".explain", "explain"),
    "export": (".export", None),
    "feature_maps": (".explain", "feature_maps"),
    "filters": (".explain", "filters"),
    "gan": (".gan", None),
    "graph": (".model", "graph"),
    "summary": (".model", "summary"),
    "topk": (".explain", "topk"),
    "volume": (".volume", "volume"),
    "Volume": (".volume", "Volume"),
}

__all__ = [
    "GenericRecord",
    "Record",
    "Run",
    "SchemaError",
    "Store",
    "StoreLocationError",
    "SummaryWriter",
    "Volume",
    "__version__",
    "attention",
    "autograd_graph",
    "build_report",
    "data",
    "detections",
    "errors",
    "evaluate",
    "explain",
    "export",
    "feature_maps",
    "filters",
    "gan",
    "graph",
    "init",
    "open",
    "register_record",
    "summary",
    "topk",
    "volume",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module_name, attr = _LAZY[name]
        module = import_module(module_name, __name__)
        value = module if attr is None else getattr(module, attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'torchscope' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
