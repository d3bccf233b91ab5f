"""Views of a hierarchical graph: folding repeats, choosing what is visible, lifting edges, DOT.

A *view* is the set of expanded nodes. Every leaf edge is lifted to the nearest visible
ancestors of its ends (edges inside one collapsed node disappear), as in the hierarchical
graph of Wongsuphasawat et al. [1], whose "series" grouping also motivates
:func:`fold_repeats`: consecutive sibling module calls with identical structure, each feeding
the next, become one *repeat* node (``BertLayer ×12``). DOT follows the Graphviz language [2].

[1] K. Wongsuphasawat et al., "Visualizing dataflow graphs of deep learning models in
    TensorFlow", IEEE VAST 2017.
[2] Graphviz, "The DOT language", https://graphviz.org/doc/info/lang.html

Example: ``v = build_view(g.nodes, g.edges, {0}); len(v.nodes)``
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["View", "auto_depth", "build_view", "category", "fold_repeats", "shape_str", "to_dot"]


def shape_str(shape: Sequence[int]) -> str:
    """``shape_str((1, 3, 224, 224)) == "1×3×224×224"`` (``"scalar"`` for 0-d)."""
    return "×".join(str(int(s)) for s in shape) if len(shape) else "scalar"


_CATS = (
    ("attention", ("attention", "attn", "scaled_dot_product", "lstm", "gru", "rnn")),
    ("conv", ("conv",)),
    ("linear", ("linear", "matmul", "addmm", "bmm", "einsum", "bilinear", "mm", "conv1d_gpt")),
    ("norm", ("norm",)),
    ("pool", ("pool",)),
    ("embedding", ("embedding",)),
    ("dropout", ("dropout",)),
    ("activation", ("relu", "gelu", "tanh", "sigmoid", "softmax", "silu", "elu", "mish", "hardswish",
                    "activation", "softplus", "glu")),
)


def category(type_: str, kind: str = "module") -> str:
    """A colour family for a node: ``category("Conv2d") == "conv"``."""
    if kind in ("input", "output", "repeat"):
        return kind
    low = type_.lower()
    for cat, keys in _CATS:
        if any(k in low for k in keys):
            return cat
    return "op" if kind == "op" else "module"


@dataclass
class View:
    """Visible nodes (with labels), lifted edges (indices into nodes), cluster paths and titles."""

    title: str
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[tuple[int, int, str]] = field(default_factory=list)
    groups: list[tuple[int, ...]] = field(default_factory=list)
    clusters: dict[int, str] = field(default_factory=dict)
    dashed: set[int] = field(default_factory=set)  # indices of edges drawn dashed (saved tensors)


def _children(nodes: list[dict[str, Any]]) -> dict[Any, list[int]]:
    kids: dict[Any, list[int]] = {}
    for n in nodes:
        kids.setdefault(n["parent"], []).append(n["id"])
    for k in kids.values():
        k.sort(key=lambda i: nodes[i].get("start", _time(nodes, i)))
    return kids


def _time(nodes: list[dict[str, Any]], i: int) -> int:
    n = nodes[i]
    return n["first"] if n["kind"] == "repeat" else i


def fold_repeats(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> None:
    """Insert repeat nodes over runs of identical, chained sibling module calls (in place); a unit
    may also be two or three siblings (``x[:, t]`` then ``cell(...)``, an RNN unrolled in Python)."""
    kids = _children(nodes)
    sig: dict[int, int] = {}
    for n in reversed(nodes):
        shapes = tuple(tuple(o["shape"]) for o in n["outputs"])
        sub = tuple(sig[c] for c in kids.get(n["id"], ()))
        sig[n["id"]] = hash((n["kind"], n["type"], n["params"], shapes, sub))
    into: dict[int, list[int]] = {}
    for e in edges:
        into.setdefault(e["dst"], []).append(e["src"])

    def chained(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return any(a["start"] <= s < a["end"] for d in range(b["start"], b["end"]) for s in into.get(d, ()))

    def block(i: int) -> bool:
        return nodes[i]["kind"] == "module" and nodes[i]["has_children"]

    def feeds(a: list[int], b: list[int]) -> bool:
        """A block of unit ``a`` feeds a block of unit ``b`` (the state carried from step to step)."""
        return any(chained(nodes[x], nodes[y]) for x in a if block(x) for y in b if block(y))

    for parent, ch in list(kids.items()):
        i = 0
        while i < len(ch):
            best_k, best_n = 1, 1
            for k in (1, 2, 3):  # a unit of k siblings (a cell plus the slicing around it) repeated
                unit = ch[i:i + k]
                if len(unit) < k or not any(block(c) for c in unit) or (k == 1 and not block(unit[0])):
                    continue
                key = [sig[c] for c in unit]
                n = 1
                while (i + (n + 1) * k <= len(ch) and [sig[c] for c in ch[i + n * k:i + (n + 1) * k]] == key
                       and feeds(ch[i + (n - 1) * k:i + n * k], ch[i + n * k:i + (n + 1) * k])):
                    n += 1
                if n >= 2 and n * k > best_n * best_k:
                    best_k, best_n = k, n
            if best_n >= 2:
                run = ch[i:i + best_k * best_n]
                _add_repeat(nodes, parent, [nodes[c] for c in run], best_n, next(nodes[c] for c in run if block(c)))
                i += best_k * best_n
            else:
                i += 1


def _add_repeat(nodes: list[dict[str, Any]], parent: int | None, members: list[dict[str, Any]], count: int,
                label: dict[str, Any]) -> None:
    first, last = members[0], members[-1]
    blocks = [m for m in members if m["kind"] == "module" and m["type"] == label["type"]]
    head, _, a = blocks[0]["name"].rpartition(".")
    _, _, b = blocks[-1]["name"].rpartition(".")
    name = f"{head + '.' if head else ''}{a}-{b}" if a != b else blocks[0]["name"]
    rid = len(nodes)
    nodes.append({
        "id": rid, "parent": parent, "kind": "repeat", "name": name, "type": label["type"],
        "depth": first["depth"], "call": 0, "inputs": first["inputs"], "outputs": last["outputs"],
        "params": sum(m["params"] for m in members if m["kind"] == "module" and m["call"] == 0), "param_names": [],
        "flops": sum(m["flops"] for m in members), "has_children": True, "has_modules": True,
        "repeat": count,
        "first": first["id"], "start": first["start"], "end": last["end"],
    })
    for m in members:
        m["parent"] = rid


def _visible(nodes: list[dict[str, Any]], kids: dict[Any, list[int]], expanded: set[int]) -> tuple[
        list[int], list[int], dict[int, tuple[int, ...]]]:
    """(visible ids, representative of every node, cluster path of visible ids)."""
    rep = [0] * len(nodes)
    vis: list[int] = []
    path: dict[int, tuple[int, ...]] = {}
    stack: list[tuple[int, int | None, tuple[int, ...]]] = [(r, None, ()) for r in reversed(kids.get(None, []))]
    while stack:
        i, collapsed_at, groups = stack.pop()
        n = nodes[i]
        if collapsed_at is not None:
            rep[i] = collapsed_at
            for c in kids.get(i, ()):
                stack.append((c, collapsed_at, groups))
            continue
        ch = kids.get(i, [])
        is_root = n["parent"] is None and n["kind"] == "module"
        transparent = n.get("virtual") and len(ch) == 1  # a ModuleList holding one folded run
        if ch and (is_root or transparent or i in expanded):
            rep[i] = i
            inner = groups if is_root else (*groups, i)
            for c in reversed(ch):
                stack.append((c, None, inner))
        else:
            rep[i] = i
            vis.append(i)
            path[i] = groups
            for c in ch:
                stack.append((c, i, groups))
    vis.sort(key=lambda i: _time(nodes, i))
    return vis, rep, path


def auto_depth(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], max_nodes: int = 80) -> int:
    """The deepest module depth whose view has at most ``max_nodes`` nodes (at least 1)."""
    kids = _children(nodes)
    deepest = max((n["depth"] for n in nodes if n["kind"] == "module" and n["has_modules"]), default=0) + 1
    best = 1
    for d in range(1, deepest + 1):
        exp = {n["id"] for n in nodes if n["kind"] == "module" and n["has_modules"] and n["depth"] < d}
        if len(_visible(nodes, kids, exp)[0]) > max_nodes:
            break
        best = d
    return best


def _short(nodes: list[dict[str, Any]], n: dict[str, Any]) -> str:
    """The name relative to the nearest named module ancestor (repeats skipped)."""
    from .summary import relative_name

    p = n["parent"]
    while p is not None and nodes[p]["kind"] == "repeat":
        p = nodes[p]["parent"]
    return relative_name(n["name"], nodes[p]["name"] if p is not None else "")


def _label(nodes: list[dict[str, Any]], n: dict[str, Any]) -> tuple[str, str]:
    from .summary import human

    kind = n["kind"]
    if kind in ("input", "output"):
        shapes = n["outputs"] if kind == "input" else n["inputs"]
        return n["name"], shape_str(shapes[0]["shape"]) if shapes else ""
    if kind == "repeat":
        return f"{n['type']} ×{n['repeat']}", n["name"]
    if kind == "op":
        used = ", ".join(p.rsplit(".", 1)[-1] for p in n["param_names"][:2])
        return n["type"], used
    sub = _short(nodes, n) + (f" #{n['call'] + 1}" if n["call"] else "")
    if n["params"] and not n["call"]:
        sub += f" · {human(n['params'])}"
    return n["type"], sub


def _tip(n: dict[str, Any]) -> str:
    ins = ", ".join(shape_str(x["shape"]) for x in n["inputs"][:4])
    outs = ", ".join(shape_str(x["shape"]) for x in n["outputs"][:4])
    lines = [f"{n['name'] or n['type']} ({n['type']})"]
    if ins:
        lines.append(f"in: {ins}")
    if outs:
        lines.append(f"out: {outs}")
    if n["params"]:
        lines.append(f"params: {n['params']:,}")
    if n["param_names"]:
        lines.append("uses: " + ", ".join(n["param_names"][:6]))
    if n["flops"]:
        lines.append(f"FLOPs: {n['flops']:,}")
    return "\n".join(lines)


def build_view(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], expanded: set[int],
               title: str = "") -> View:
    """The visible part of a graph for a set of expanded ids: ``build_view(nodes, edges, {0})``."""
    kids = _children(nodes)
    vis, rep, path = _visible(nodes, kids, expanded)
    index = {i: k for k, i in enumerate(vis)}
    view = View(title)
    for i in vis:
        n = nodes[i]
        t, sub = _label(nodes, n)
        view.nodes.append({"id": i, "kind": n["kind"], "title": t, "sub": sub, "tip": _tip(n),
                           "cat": category(n["type"], n["kind"]), "repeat": n.get("repeat", 0),
                           "expandable": bool(n["has_modules"] or len(kids.get(i, ())) > 1)})
        view.groups.append(path[i])
    seen = set()
    for e in edges:
        a, b = rep[e["src"]], rep[e["dst"]]
        if a != b and (a, b) not in seen and a in index and b in index:
            seen.add((a, b))
            view.edges.append((index[a], index[b], shape_str(e["shape"])))
    for g in view.groups:
        for c in g:
            if c not in view.clusters:
                n = nodes[c]
                short = _short(nodes, n) if n["kind"] == "module" else n["name"]
                kind = f"{n['type']} ×{n['repeat']}" if n["kind"] == "repeat" else n["type"]
                view.clusters[c] = f"{short} · {kind}" if short else kind
    return view


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(view: View) -> str:
    """Graphviz DOT text of a view, clusters as nested subgraphs: ``to_dot(g.view())``."""
    from .svg import PALETTE

    lines = ["digraph G {", f"  label={_q(view.title)}; labelloc=t; rankdir=TB; fontname=Helvetica;",
             '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=11];',
             "  edge [fontname=Helvetica, fontsize=9, color=\"#94a3b8\", fontcolor=\"#64748b\"];"]
    tree: dict[tuple[int, ...], list[int]] = {}
    for k, g in enumerate(view.groups):
        tree.setdefault(g, []).append(k)
        for j in range(len(g)):
            tree.setdefault(g[:j], [])

    def emit(g: tuple[int, ...], indent: str) -> None:
        for k in tree.get(g, []):
            n = view.nodes[k]
            fill, stroke = PALETTE[n["cat"]][:2]
            label = n["title"] + ("\n" + n["sub"] if n["sub"] else "")
            lines.append(f"{indent}n{n['id']} [label={_q(label)}, "
                         f"fillcolor={_q(fill)}, color={_q(stroke)}];")
        subs = sorted({h[: len(g) + 1] for h in tree if len(h) > len(g) and h[: len(g)] == g})
        for h in subs:
            lines.append(f"{indent}subgraph cluster_{h[-1]} {{")
            lines.append(f"{indent}  label={_q(view.clusters[h[-1]])}; style=\"rounded,dashed\"; color=\"#94a3b8\";")
            emit(h, indent + "  ")
            lines.append(f"{indent}}}")

    emit((), "  ")
    for a, b, label in view.edges:
        lines.append(f"  n{view.nodes[a]['id']} -> n{view.nodes[b]['id']} [label={_q(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
