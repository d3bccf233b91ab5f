"""Which watched layers each node of a run's model graph stands for, so the Health panel can colour it.

``run.watch(model)`` keys its statistics by the module path of each leaf module (``features.0``;
the model's class name when the model itself is the only layer). The graph record
(``run.log_graph(model, x)``, :class:`torchscope.model.ModelGraph`) has one node per module call,
named by the same path, plus op nodes under the module call that ran them, *repeat* nodes that
fold identical blocks (``Block ×3``) and the containers around them. A node *covers*:

- a module call named like a watched layer: that layer (every call of a module shares its row);
- an op inside such a module call: that layer;
- a container or a folded block: every watched layer below it (the panel shows their maximum,
  or NaN/Inf when any of them is non-finite);
- anything else (inputs, outputs, ops in a container's own ``forward``): nothing.

The mapping does not depend on the statistic or the step, so the browser fetches it once per run
and recolours the graph from the heat map's matrix as the step changes.

Example::

    covers = layer_cover(graph.nodes, ["stem", "blocks.0.fc", "head.0"])
    covers[0]   # -> ["stem", "blocks.0.fc", "head.0"]  (the root covers every layer)
"""

from __future__ import annotations

from typing import Any

from .data import natural

__all__ = ["graph_map", "layer_cover"]


def _own_layer(n: dict[str, Any], layers: set[str]) -> str | None:
    """The watched layer a module call *is*, if any."""
    if n["kind"] != "module":
        return None
    if n["name"] in layers:
        return str(n["name"])
    if n["name"] == "" and not n.get("has_modules") and n["type"] in layers:
        return str(n["type"])  # a model that is a single layer: watch names it by its class
    return None


def layer_cover(nodes: list[dict[str, Any]], layers: list[str]) -> dict[int, list[str]]:
    """``{node id: watched layers below it}`` for the nodes that cover at least one layer."""
    wanted = set(layers)
    by_id = {n["id"]: n for n in nodes}
    own = {n["id"]: _own_layer(n, wanted) for n in nodes}
    covers: dict[int, set[str]] = {}
    for n in nodes:
        layer = own[n["id"]]
        if n["kind"] == "op":  # an op belongs to the innermost module call around it
            p = n["parent"]
            while p is not None and by_id[p]["kind"] != "module":
                p = by_id[p]["parent"]
            layer = own.get(p) if p is not None else None
        if layer is None:
            continue
        covers.setdefault(n["id"], set()).add(layer)
        p = n["parent"]
        while p is not None:  # every ancestor covers it too
            covers.setdefault(p, set()).add(layer)
            p = by_id[p]["parent"]
    return {i: sorted(c, key=natural) for i, c in sorted(covers.items())}


def graph_map(graph: Any, key: str, step: int | None, layers: list[str]) -> dict[str, Any]:
    """The ``/api/health/graph_map`` answer: the graph's identity and the node -> layers mapping,
    columnar (``ids[i]`` covers ``layers[j] for j in covers[i]``)."""
    covers = layer_cover(graph.nodes, layers)
    index = {name: j for j, name in enumerate(layers)}
    layer_nodes: list[list[int]] = [[] for _ in layers]
    for n in graph.nodes:
        own = _own_layer(n, set(layers))
        if own is not None:
            layer_nodes[index[own]].append(n["id"])
    return {
        "graph": {"key": key, "step": step, "model": graph.model, "nodes": len(graph.nodes), "error": graph.error},
        "layers": layers,
        "ids": list(covers),
        "covers": [[index[name] for name in c] for c in covers.values()],
        "layer_nodes": layer_nodes,
        "unmatched": [name for name, ids in zip(layers, layer_nodes) if not ids],
        "aggregate": "max",
    }
