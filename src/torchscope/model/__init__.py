"""Model visualization: summary table, hierarchical forward graph, autograd graph, SVG and DOT.

``ts.summary(model, x)`` counts parameters (shared ones once), FLOPs at op level and memory;
``ts.graph(model, x)`` captures the forward pass as a hierarchy of modules and ops, drawn with
our own layered layout (no Graphviz binary); ``ts.autograd_graph(y, params=...)`` shows the
backward graph as ``torchviz.make_dot`` does; ``log_graph(run, model, x)`` stores both
records with a run for the dashboard.

Example: ``print(ts.summary(model, input_size=(1, 1, 28, 28)))``
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._lazy import lazy_package

if TYPE_CHECKING:
    import torch

    from .autograd import AutogradGraph, autograd_graph
    from .graph import ModelGraph, graph
    from .graph import build_graph as build_graph
    from .summary import ModelSummary, summary
    from .summary import summarize as summarize

__all__ = ["AutogradGraph", "ModelGraph", "ModelSummary", "autograd_graph", "graph", "log_graph", "summary"]


def log_graph(run: Any, model: torch.nn.Module, input: Any = None, *, step: int | None = None,
              depth: int | None = None, **kw: Any) -> tuple[ModelSummary, ModelGraph]:
    """Capture once, log the summary and the graph records to ``run``: ``log_graph(run, model, x)``.

    Keyword arguments are those of :func:`graph` (``input_size=``, ``dtypes=``, ``mode=``,
    ``fold=``, ``flops=``, ``kwargs=``). Returns both records.
    """
    from ._tree import make_call
    from .capture import capture
    from .graph import build_graph
    from .summary import summarize

    mode = kw.pop("mode", "eval")
    fold = kw.pop("fold", True)
    flops = kw.pop("flops", True)
    args, kwargs = make_call(model, input, **kw)
    cap = capture(model, args, kwargs, mode=mode, flops=flops)
    rec_s = summarize(model, cap)
    rec_g = build_graph(model, cap, depth=depth, fold=fold)
    run.log_record(rec_s, step=step, key="model/summary")
    run.log_record(rec_g, step=step, key="model/graph")
    return rec_s, rec_g


# each name loads on first use: the records read back (and `torchscope serve`) without torch
lazy_package(__name__, {
    "AutogradGraph": ".autograd", "autograd_graph": ".autograd",
    "ModelGraph": ".graph", "build_graph": ".graph", "graph": ".graph",
    "ModelSummary": ".summary", "summarize": ".summary", "summary": ".summary",
})
