"""The hierarchical forward graph: a record of module calls and ops, folding, views and DOT export.

:func:`graph` captures the forward pass (:mod:`torchscope.model.capture`) and returns a
:class:`ModelGraph`: a flat list of nodes with ``parent`` links (input, output, module call,
op, and *repeat* nodes that fold runs of identical chained blocks, ``BertLayer ×12``) and the
tensor edges between leaf nodes. A view (which modules are expanded) lifts every edge to the
nearest visible ancestors, as in torchview [1] and TensorBoard's graph explorer [2]; views are
drawn by :mod:`torchscope.model.svg` with our own layout, or exported to Graphviz DOT [3].

[1] M. Koksal, torchview, https://github.com/mert-kurttutan/torchview
[2] K. Wongsuphasawat et al., "Visualizing dataflow graphs of deep learning models in
    TensorFlow", IEEE VAST 2017 (hierarchical grouping, series folding).
[3] E. Gansner, S. North, "An open graph visualization system and its applications to
    software engineering", Software: Practice and Experience 30(11), 2000 (DOT).

Example: ``g = ts.graph(model, x); g.expand("layer1").save("net.svg")``
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..records import Record, register_record
from .view import View, auto_depth, build_view, fold_repeats, to_dot

if TYPE_CHECKING:  # the record reads back without torch; building one imports it
    import torch

    from .capture import Capture

__all__ = ["ModelGraph", "build_graph", "graph"]


@register_record
@dataclass
class ModelGraph(Record):
    """The forward graph of a model; nodes and edges are plain JSON (documented in docs/model.md).

    Example: ``g = ts.graph(model, x); g.with_depth(2).save("net.svg")``
    """

    kind: ClassVar[str] = "model.graph"
    model: str = ""
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    collapse_depth: int = 2
    expanded: list[int] | None = None  # the view: expanded node ids (None: by collapse_depth)
    total_params: int = 0
    total_flops: int = 0
    error: str | None = None

    # -- views ------------------------------------------------------------------------------
    def _ids(self, targets: tuple[Any, ...]) -> set[int]:
        out = set()
        for t in targets:
            hits = [n["id"] for n in self.nodes if n["id"] == t or n["name"] == t] if not isinstance(t, bool) else []
            if not hits:
                raise KeyError(f"no node named {t!r}; names look like {self.nodes[-1]['name']!r}")
            out.update(hits)
        return out

    def expanded_ids(self) -> set[int]:
        """The ids expanded in this view: ``g.expanded_ids()``."""
        if self.expanded is not None:
            return set(self.expanded)
        return {n["id"] for n in self.nodes if n.get("expanded")}

    def expand(self, *targets: Any) -> ModelGraph:
        """A copy with these modules (names or ids) and their ancestors expanded: ``g.expand("layer1")``."""
        ids = self._ids(targets)
        parent = {n["id"]: n["parent"] for n in self.nodes}
        for i in list(ids):
            p = parent[i]
            while p is not None:
                ids.add(p)
                p = parent[p]
        return dataclasses.replace(self, expanded=sorted(self.expanded_ids() | ids))

    def collapse(self, *targets: Any) -> ModelGraph:
        """A copy with these modules collapsed: ``g.collapse("encoder")``."""
        return dataclasses.replace(self, expanded=sorted(self.expanded_ids() - self._ids(targets)))

    def with_depth(self, depth: int) -> ModelGraph:
        """A copy with modules expanded down to ``depth`` (repeats stay folded): ``g.with_depth(3)``."""
        return dataclasses.replace(self, expanded=sorted(
            n["id"] for n in self.nodes if n["kind"] == "module" and n["depth"] < depth and n.get("has_modules")))

    def expand_all(self) -> ModelGraph:
        """A copy with every module and repeat expanded (every op visible): ``g.expand_all()``."""
        return dataclasses.replace(self, expanded=[n["id"] for n in self.nodes if n.get("has_children")])

    def view(self) -> View:
        """The visible nodes, lifted edges and clusters of this view."""
        return build_view(self.nodes, self.edges, self.expanded_ids(), title=self.model)

    # -- output ------------------------------------------------------------------------------
    def layout(self) -> dict[str, Any]:
        """Positioned JSON of this view (nodes with x, y, w, h; edges with points): ``g.layout()``."""
        from .svg import positioned

        return positioned(self.view())

    def svg(self) -> str:
        """This view as a standalone SVG document: ``open("g.svg", "w").write(g.svg())``."""
        from .svg import render_svg

        return render_svg(self.view(), note=self.error)

    def to_dot(self) -> str:
        """This view in Graphviz DOT: ``open("g.dot", "w").write(g.to_dot())``."""
        return to_dot(self.view())

    def _repr_html_(self) -> str:
        from .svg import interactive_html

        return interactive_html(self.view(), note=self.error)

    def figure(self) -> Any:
        """This view drawn with matplotlib: ``g.figure().savefig("g.png")``."""
        from .svg import render_figure

        return render_figure(self.view())

    def save(self, path: Any) -> Any:
        """Save as .svg (our renderer), .dot, .html (interactive), .png/.pdf or .json: ``g.save("g.svg")``."""
        from pathlib import Path

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".svg":
            path.write_text(self.svg(), encoding="utf-8")
        elif suffix in (".dot", ".gv"):
            path.write_text(self.to_dot(), encoding="utf-8")
        else:
            return super().save(path)
        return path


def _subtree_params(model: torch.nn.Module) -> dict[str, int]:
    return {name: sum(p.numel() for p in m.parameters()) for name, m in model.named_modules()}


def build_graph(model: torch.nn.Module, cap: Capture, *, depth: int | None = None, fold: bool = True,
                max_nodes: int = 50) -> ModelGraph:
    """Turn a capture into a :class:`ModelGraph`: ``build_graph(model, capture(model, (x,), {}))``.

    ``depth``: modules expanded by default (None: the deepest view with at most ``max_nodes``
    visible nodes). ``fold``: fold runs of identical chained blocks into repeat nodes.
    """
    params = _subtree_params(model)
    nodes: list[dict[str, Any]] = []
    for n in cap.nodes:
        nodes.append({
            "id": n.id, "parent": n.parent, "kind": n.kind, "name": n.name, "type": n.type, "depth": n.depth,
            "call": n.call, "inputs": n.inputs, "outputs": n.outputs,
            "params": params.get(n.name, 0) if n.kind == "module" else 0,
            "param_names": n.params, "flops": n.flops, "has_children": bool(n.children),
            "has_modules": any(cap.nodes[c].kind == "module" for c in n.children), "virtual": n.virtual,
            "start": n.start, "end": n.end,
        })
    edges = [{"src": e.src, "dst": e.dst, "shape": list(e.shape), "dtype": e.dtype} for e in cap.edges]
    if fold:
        fold_repeats(nodes, edges)
    d = auto_depth(nodes, edges, max_nodes) if depth is None else depth
    for node in nodes:
        node["expanded"] = bool(node["has_modules"] and node["kind"] == "module" and node["depth"] < d)
        del node["start"], node["end"]
    return ModelGraph(model=type(model).__name__, nodes=nodes, edges=edges, collapse_depth=d,
                      total_params=sum(p.numel() for p in model.parameters()), total_flops=cap.total_flops,
                      error=cap.error)


def graph(model: torch.nn.Module, input: Any = None, *, input_size: Any = None, dtypes: Any = None,
          depth: int | None = None, fold: bool = True, mode: str = "eval", flops: bool = True,
          kwargs: dict[str, Any] | None = None) -> ModelGraph:
    """The hierarchical forward graph of ``model`` on an example input: ``ts.graph(model, x)``.

    ``input``: a tensor, a tuple of positional arguments or a dict of keyword arguments (or
    ``input_size=``). ``depth``: modules expanded by default (None picks a readable depth).
    ``flops=False`` skips the per-node FLOP counts (a faster capture).
    If the forward pass fails, the partial graph is returned with ``error`` set and a warning.
    """
    from ._tree import make_call
    from .capture import capture

    args, kw = make_call(model, input, input_size=input_size, dtypes=dtypes, kwargs=kwargs)
    cap = capture(model, args, kw, mode=mode, flops=flops)
    if cap.error:
        warnings.warn(f"ts.graph: {cap.error}", RuntimeWarning, stacklevel=2)
    return build_graph(model, cap, depth=depth, fold=fold)
