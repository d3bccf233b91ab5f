"""The autograd graph: what ``torchviz.make_dot`` [1] shows, without the Graphviz binary.

Walking ``grad_fn.next_functions`` from the outputs gives the backward graph: one node per
autograd function (``ConvolutionBackward0``...), leaf parameters named from ``params`` (their
``AccumulateGrad``), the tensors each function saved for backward (``_saved_*`` attributes),
and the outputs. Unlike torchviz, outputs may be any structure (dicts, dataclasses, Hugging
Face ``ModelOutput``). Edges point in the direction of the forward data flow, so the picture
reads top (parameters, inputs) to bottom (outputs), like the forward graph.

[1] S. Zagoruyko, pytorchviz, https://github.com/szagoruyko/pytorchviz (``make_dot``).

Example: ``ts.autograd_graph(model(x).sum(), params=dict(model.named_parameters())).save("bw.svg")``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..records import Record, register_record
from .view import View, category, shape_str, to_dot

if TYPE_CHECKING:
    import torch

__all__ = ["AutogradGraph", "autograd_graph"]


@register_record
@dataclass
class AutogradGraph(Record):
    """The backward graph: nodes (``fn``, ``param``, ``saved``, ``output``) and edges.

    Example: ``g = ts.autograd_graph(loss, params=dict(model.named_parameters())); g.save("bw.svg")``
    """

    kind: ClassVar[str] = "model.autograd_graph"
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False

    def view(self) -> View:
        """Every node visible, with labels (there is no hierarchy in a backward graph)."""
        v = View("autograd graph")
        index = {}
        for n in self.nodes:
            index[n["id"]] = len(v.nodes)
            shape = shape_str(n["shape"]) if n.get("shape") is not None else ""
            if n["kind"] == "fn":
                title, sub, cat = n["type"], "", category(n["type"].replace("Backward", ""), "op")
            elif n["kind"] == "param":
                title, sub, cat = n["name"] or "(unnamed leaf)", shape, "input"
            elif n["kind"] == "saved":
                title, sub, cat = n["name"], shape, "saved"
            else:
                title, sub, cat = n["name"], shape, "output"
            v.nodes.append({"id": n["id"], "kind": "op" if n["kind"] == "fn" else n["kind"], "title": title,
                            "sub": sub, "tip": f"{n['type']} {n.get('name', '')} {shape}".strip(), "cat": cat,
                            "repeat": 0, "expandable": False})
            v.groups.append(())
        v.edges = [(index[e["src"]], index[e["dst"]], "") for e in self.edges]
        v.dashed = {k for k, e in enumerate(self.edges) if e.get("saved")}
        return v

    def svg(self) -> str:
        """A standalone SVG: ``open("bw.svg", "w").write(g.svg())``."""
        from .svg import render_svg

        return render_svg(self.view(), note="truncated" if self.truncated else None)

    def to_dot(self) -> str:
        """Graphviz DOT text: ``g.to_dot()``."""
        return to_dot(self.view())

    def layout(self) -> dict[str, Any]:
        """Positioned JSON (nodes with x, y, w, h; edges with points): ``g.layout()``."""
        from .svg import positioned

        return positioned(self.view())

    def _repr_html_(self) -> str:
        from .svg import interactive_html

        return interactive_html(self.view())

    def figure(self) -> Any:
        """Drawn with matplotlib: ``g.figure().savefig("bw.png")``."""
        from .svg import render_figure

        return render_figure(self.view())

    def save(self, path: Any) -> Any:
        """Save as .svg, .dot, .html, .png/.pdf or .json: ``g.save("bw.svg")``."""
        from pathlib import Path

        path = Path(path)
        if path.suffix.lower() == ".svg":
            path.write_text(self.svg(), encoding="utf-8")
            return path
        if path.suffix.lower() in (".dot", ".gv"):
            path.write_text(self.to_dot(), encoding="utf-8")
            return path
        return super().save(path)


def autograd_graph(output: Any, params: dict[str, torch.Tensor] | None = None, *, show_saved: bool = True,
                   max_nodes: int = 20000) -> AutogradGraph:
    """The backward graph of ``output`` (a tensor or any structure of tensors).

    ``params``: names for leaf tensors (``dict(model.named_parameters())``); ``show_saved``: add
    the tensors saved for backward. Example: ``ts.autograd_graph(y, params=dict(m.named_parameters()))``.
    """
    from ._tree import iter_tensors

    names = {id(p): n for n, p in (params or {}).items()}
    rec = AutogradGraph()
    ids: dict[Any, int] = {}

    def add(key: Any, **node: Any) -> tuple[int, bool]:
        if key in ids:
            return ids[key], False
        ids[key] = len(rec.nodes)
        rec.nodes.append({"id": ids[key], **node})
        return ids[key], True

    stack: list[Any] = []
    saved_attrs: dict[type, list[str]] = {}
    outs = [(p, t) for p, t in iter_tensors(output, "output") if t.grad_fn is not None or t.requires_grad]
    if not outs:
        raise ValueError("autograd_graph: no tensor in output requires grad (was it computed under no_grad?)")
    for path, t in outs:
        oid, _ = add(("out", id(t)), kind="output", type="Tensor", name=path, shape=list(t.shape))
        fn = t.grad_fn
        if fn is None:  # a leaf output
            lid, _ = add(("leaf", id(t)), kind="param", type="Tensor", name=names.get(id(t), ""), shape=list(t.shape))
            rec.edges.append({"src": lid, "dst": oid})
            continue
        fid, new = _fn_node(add, fn, names)
        rec.edges.append({"src": fid, "dst": oid})
        if new:
            stack.append(fn)
    while stack:
        if len(rec.nodes) > max_nodes:
            rec.truncated = True
            break
        fn = stack.pop()
        me = ids[("fn", fn)]
        for nxt, _ in fn.next_functions:
            if nxt is None:
                continue
            nid, new = _fn_node(add, nxt, names)
            rec.edges.append({"src": nid, "dst": me})
            if new and not hasattr(nxt, "variable"):
                stack.append(nxt)
        if show_saved:
            kind = type(fn)
            if kind not in saved_attrs:  # per call: autograd node types share their attribute names
                saved_attrs[kind] = [a for a in dir(fn) if a.startswith("_saved_")]
            _saved(add, rec, fn, me, saved_attrs[kind])
    return rec


def _fn_node(add: Any, fn: Any, names: dict[int, str]) -> tuple[int, bool]:
    var = getattr(fn, "variable", None)
    if var is not None:  # AccumulateGrad: show the leaf tensor itself, named
        return add(("fn", fn), kind="param", type="Parameter", name=names.get(id(var), ""), shape=list(var.shape))
    return add(("fn", fn), kind="fn", type=type(fn).__name__, name="", shape=None)


def _saved(add: Any, rec: AutogradGraph, fn: Any, me: int, attrs: list[str]) -> None:
    import torch

    for attr in attrs:
        try:
            val = getattr(fn, attr)
        except RuntimeError:  # freed after backward
            continue
        if isinstance(val, torch.Tensor):
            key = ("saved", val.data_ptr(), tuple(val.shape), attr)
            sid, _ = add(key, kind="saved", type="SavedTensor", name=attr[len("_saved_"):], shape=list(val.shape))
            rec.edges.append({"src": sid, "dst": me, "saved": True})
