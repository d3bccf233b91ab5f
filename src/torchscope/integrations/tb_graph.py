"""TensorBoard graphs (a ``GraphDef``, or an ONNX model) as torchscope's ``model.graph`` record.

``torch.utils.tensorboard``'s ``add_graph`` writes a ``GraphDef`` whose node names are scopes
(``Net/Sequential[features]/Conv2d[0]/input.3``), ops (``aten::conv2d``), inputs by node name and
``_output_shapes``. :func:`graph_from_nodes` rebuilds the module hierarchy from the scopes
(``Conv2d[0]`` -> a ``Conv2d`` module named ``features.0``), keeps the ops as leaves, turns
``prim::GetAttr`` nodes into the parameters an op reads and drops constants, so the Graph panel
shows an imported graph with its folding, search and shapes (the JSON of docs/model.md).

Example: ``rec = graph_from_graphdef(event.graph_def)``.
"""

from __future__ import annotations

import re
from typing import Any

from ..model.graph import ModelGraph

__all__ = ["graph_from_graphdef", "graph_from_nodes", "graph_from_onnx"]

_SCOPE = re.compile(r"^(?P<type>[^\[\]]+)(?:\[(?P<name>.*)\])?$")
_SKIP = ("prim::Constant", "prim::ListConstruct", "prim::TupleConstruct", "prim::TupleUnpack", "prim::NumToTensor")


def graph_from_nodes(specs: list[tuple[str, str, list[str], list[list[int]]]], *, title: str = "") -> ModelGraph:
    """A ``model.graph`` record from ``(name, op, input names, output shapes)`` of every node."""
    from ..model.view import auto_depth

    nodes: list[dict[str, Any]] = []
    modules: dict[tuple[str, ...], int] = {}

    def add(**fields: Any) -> int:
        node = {"id": len(nodes), "parent": None, "call": 0, "inputs": [], "outputs": [], "params": 0,
                "param_names": [], "flops": 0, "has_children": False, "has_modules": False, "virtual": False,
                "depth": 0, **fields}
        nodes.append(node)
        return int(node["id"])

    scoped = [s for s in specs if not s[0].startswith(("input/", "output/")) and s[1] not in _SKIP]
    roots = {s[0].split("/")[0] for s in scoped if "/" in s[0]}
    common = roots.pop() if len(roots) == 1 else None  # torch's scopes all start with the model's class
    root_type = common or title or "Model"
    modules[()] = add(kind="module", name="", type=root_type, has_children=True, has_modules=False)

    def module(scope: tuple[str, ...]) -> int:
        if scope in modules:
            return modules[scope]
        parent = module(scope[:-1])
        m = _SCOPE.match(scope[-1])
        mtype, attr = (m["type"], m["name"]) if m and m["name"] is not None else (scope[-1], scope[-1])
        names = [nodes[parent]["name"]] if nodes[parent]["name"] else []
        modules[scope] = add(kind="module", name=".".join([*names, attr]), type=mtype, parent=parent,
                             depth=nodes[parent]["depth"] + 1, has_children=True)
        nodes[parent]["has_modules"] = nodes[parent]["has_children"] = True
        return modules[scope]

    by_name: dict[str, int] = {}
    params: dict[str, str] = {}
    shapes: dict[str, list[list[int]]] = {}
    for name, op, inputs, out_shapes in specs:
        shapes[name] = out_shapes
        outs = [{"shape": s, "dtype": ""} for s in out_shapes]
        if name.startswith("input/"):
            by_name[name] = add(kind="input", name=name.split("/", 1)[1], type="Tensor", outputs=outs)
        elif op in _SKIP:
            continue
        elif op == "prim::GetAttr":
            parts = name.split("/")
            params[name] = parts[-2] if len(parts) > 1 else parts[-1]
        elif not name.startswith("output/"):
            scope = tuple(name.split("/")[:-1])
            if common is not None and scope[:1] == (common,):
                scope = scope[1:]
            parent = module(scope)
            pnames = [params[i] for i in inputs if i in params]
            by_name[name] = add(kind="op", name=op.split("::")[-1], type=op.split("::")[-1], parent=parent,
                                depth=nodes[parent]["depth"] + 1, outputs=outs, param_names=pnames)
            nodes[parent]["has_children"] = True
    for name, _op, _inputs, out_shapes in specs:
        if name.startswith("output/"):
            by_name[name] = add(kind="output", name=name.split("/", 1)[1], type="Tensor",
                                inputs=[{"shape": s, "dtype": ""} for s in out_shapes])
    edges = []
    for name, _op, inputs, _shapes in specs:
        dst = by_name.get(name)
        if dst is None:
            continue
        for src_name in inputs:
            src = by_name.get(src_name)
            if src is not None and src != dst:
                shape = (shapes.get(src_name) or [[]])[0]
                edges.append({"src": src, "dst": dst, "shape": shape, "dtype": ""})
                nodes[dst]["inputs"].append({"shape": shape, "dtype": ""})
    depth = auto_depth(nodes, edges, 50)
    for node in nodes:
        node["expanded"] = bool(node["has_modules"] and node["kind"] == "module" and node["depth"] < depth)
    return ModelGraph(model=root_type, nodes=nodes, edges=edges, collapse_depth=depth)


def _shapes(node: Any) -> list[list[int]]:
    attr = node.attr.get("_output_shapes") if "_output_shapes" in node.attr else None
    if attr is None:
        return []
    return [[int(d.size) for d in s.dim] for s in attr.list.shape]


def graph_from_graphdef(data: bytes | Any) -> ModelGraph:
    """A ``model.graph`` record from a serialized (or parsed) TensorBoard ``GraphDef``."""
    from tensorboard.compat.proto.graph_pb2 import GraphDef

    g = GraphDef.FromString(data) if isinstance(data, (bytes, bytearray)) else data
    return graph_from_nodes([(n.name, n.op, list(n.input), _shapes(n)) for n in g.node])


def graph_from_onnx(model: Any) -> ModelGraph:
    """A ``model.graph`` record from a loaded ONNX ``ModelProto`` (node scopes from ``/a/b/Op`` names)."""
    producer: dict[str, str] = {}
    specs: list[tuple[str, str, list[str], list[list[int]]]] = []
    initial = {i.name for i in model.graph.initializer}
    for inp in model.graph.input:
        if inp.name not in initial:
            dims = [int(d.dim_value) for d in inp.type.tensor_type.shape.dim]
            specs.append((f"input/{inp.name}", "IO Node", [], [dims]))
            producer[inp.name] = f"input/{inp.name}"
    for i, n in enumerate(model.graph.node):
        name = n.name.strip("/") or f"{n.op_type}_{i}"
        full = f"{model.graph.name or 'Model'}/{name}" if "/" in name else name
        for out in n.output:
            producer[out] = full
        specs.append((full, f"onnx::{n.op_type}", [producer[x] for x in n.input if x in producer], []))
    for out in model.graph.output:
        dims = [int(d.dim_value) for d in out.type.tensor_type.shape.dim]
        specs.append((f"output/{out.name}", "IO Node", [producer[out.name]] if out.name in producer else [], [dims]))
    return graph_from_nodes(specs, title=model.graph.name or "Model")
