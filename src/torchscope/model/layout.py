"""A layered (Sugiyama-style) layout of a directed graph with nested clusters, in pure Python.

The classic four steps of Sugiyama, Tagawa and Toda [1]: (1) layers by longest path, with
sources pulled down next to their first consumer; (2) long edges split by dummy nodes;
(3) crossing reduction by barycenter sweeps [1], where nodes of one cluster stay contiguous
in every layer (cluster barycenters are sorted first, as in Sander's compound layout [2]);
(4) x coordinates by alternating sweeps toward the mean of the neighbours, each one solved
exactly under the minimum-separation constraints as an isotonic regression (pool adjacent
violators) [3]. Edges are polylines through their dummy nodes. Clusters get boxes with room
for their titles. Linear-time steps apart from sorting: 10,000 nodes lay out in about a second.

[1] K. Sugiyama, S. Tagawa, M. Toda, "Methods for visual understanding of hierarchical system
    structures", IEEE Trans. SMC 11(2), 1981.
[2] G. Sander, "Layout of compound directed graphs", Tech. Rep. A/03/96, Univ. Saarlandes, 1996.
[3] M. Ayer et al., "An empirical distribution function for sampling with incomplete
    information", Ann. Math. Stat. 26(4), 1955 (the pool-adjacent-violators algorithm).

Example: ``lay = layout([(80, 30)] * 3, [(0, 1), (1, 2)]); lay.x, lay.y``
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

__all__ = ["Layout", "layout"]

PAD = 10.0  # cluster padding
TITLE = 16.0  # cluster title height


@dataclass
class Layout:
    """Node centers (``x``, ``y``), edge polylines, cluster boxes and the canvas size."""

    x: list[float]
    y: list[float]
    w: list[float]
    h: list[float]
    layer: list[int]
    edges: list[list[tuple[float, float]]]
    clusters: dict[int, tuple[float, float, float, float]] = field(default_factory=dict)
    width: float = 0.0
    height: float = 0.0


def _layers(n: int, edges: list[tuple[int, int]], top: set[int], bottom: set[int]) -> tuple[
        list[int], list[tuple[int, int]]]:
    """Longest-path layers (Kahn order); edges closing a cycle are reversed; ``top``/``bottom``
    nodes (graph inputs and outputs) get the first and last layers to themselves."""
    succ: list[list[int]] = [[] for _ in range(n)]
    indeg = [0] * n
    for s, d in edges:
        succ[s].append(d)
        indeg[d] += 1
    layer = [0] * n
    queue = [v for v in range(n) if indeg[v] == 0]
    seen = 0
    order = []
    while True:
        while queue:
            v = queue.pop()
            order.append(v)
            seen += 1
            for d in succ[v]:
                layer[d] = max(layer[d], layer[v] + 1)
                indeg[d] -= 1
                if indeg[d] == 0:
                    queue.append(d)
        if seen == n:
            break
        v = min(u for u in range(n) if indeg[u] > 0)  # break a cycle at its earliest node
        indeg[v] = 0
        queue.append(v)
    pos = {v: i for i, v in enumerate(order)}
    fixed = [(s, d) if pos[s] < pos[d] else (d, s) for s, d in edges if s != d]
    has_in = [False] * n
    for _, d in fixed:
        has_in[d] = True
    for v in reversed(order):  # pull sources (constants, masks) down to just above their consumers
        if not has_in[v] and v not in top:
            below = [layer[d] for d in succ[v] if layer[d] > layer[v]]
            if below:
                layer[v] = min(below) - 1
    if top and len(top) < n:
        shift = 1 if any(layer[v] == 0 for v in range(n) if v not in top) else 0
        layer = [0 if v in top else layer[v] + shift for v in range(n)]
    if bottom and len(bottom) < n:
        last = max(layer[v] for v in range(n) if v not in bottom) + 1
        for v in bottom:
            layer[v] = max(last, layer[v])
    return layer, fixed


def _pav(target: list[float], gaps: list[float]) -> list[float]:
    """Minimize sum (x_i - target_i)^2 subject to x_{i+1} - x_i >= gaps_i (isotonic regression)."""
    if len(target) == 1:
        return target
    off = [0.0]
    for g in gaps:
        off.append(off[-1] + g)
    vals: list[float] = []
    wts: list[int] = []
    for t, o in zip(target, off):
        vals.append(t - o)
        wts.append(1)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            w = wts[-2] + wts[-1]
            v = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / w
            vals.pop()
            wts.pop()
            vals[-1], wts[-1] = v, w
    out = []
    for v, w in zip(vals, wts):
        out.extend([v] * w)
    return [v + o for v, o in zip(out, off)]


def _common(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    k = 0
    for x, y in zip(a, b):
        if x != y:
            break
        k += 1
    return k


def layout(sizes: list[tuple[float, float]], edges: list[tuple[int, int]], *,
           groups: list[tuple[int, ...]] | None = None, top: set[int] | None = None,
           bottom: set[int] | None = None, min_widths: dict[int, float] | None = None,
           rank_sep: float = 34.0, node_sep: float = 16.0, sweeps: int = 4) -> Layout:
    """Lay out ``len(sizes)`` nodes of size ``(w, h)`` top to bottom: ``layout(sizes, edges)``.

    ``groups[v]``: the cluster path of node ``v`` (outermost first); clusters stay contiguous and
    get a box in :attr:`Layout.clusters`. ``top``/``bottom``: nodes pinned to the first/last
    layer (inputs, outputs). ``min_widths``: cluster id -> minimum box width (room for a title).
    Edges keep their input order in :attr:`Layout.edges`.
    """
    n = len(sizes)
    groups = groups if groups is not None else [()] * n
    if n > 3000:
        sweeps = min(sweeps, 2)  # big graphs: fewer refinement sweeps keep 10,000 nodes near a second
    layer, dag = _layers(n, edges, top or set(), bottom or set())
    nl = (max(layer) + 1) if n else 0
    # -- dummy nodes for long edges ----------------------------------------------------------
    grp = list(groups)
    lay = list(layer)
    wid = [w for w, _ in sizes]
    chains: list[list[int]] = []
    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    for s, d in dag:
        chain = [s]
        g = groups[s][:_common(groups[s], groups[d])]
        for k in range(layer[s] + 1, layer[d]):
            v = len(lay)
            lay.append(k)
            grp.append(g)
            wid.append(2.0)
            succ.append([])
            pred.append([])
            chain.append(v)
        chain.append(d)
        for a, b in itertools.pairwise(chain):
            succ[a].append(b)
            pred[b].append(a)
        chains.append(chain)
    total = len(lay)
    rows: list[list[int]] = [[] for _ in range(nl)]
    for v in range(total):
        rows[lay[v]].append(v)
    pos = [0.0] * total
    for row in rows:
        for i, v in enumerate(row):
            pos[v] = float(i)
    # -- crossing reduction: barycenter sweeps, clusters kept contiguous -------------------------
    for it in range(sweeps):
        down = it % 2 == 0
        seq = range(1, nl) if down else range(nl - 2, -1, -1)
        for li in seq:
            row = rows[li]
            nb = pred if down else succ
            bary = {}
            for v in row:
                ns = nb[v]
                bary[v] = sum(pos[u] for u in ns) / len(ns) if ns else pos[v]
            if any(grp[v] for v in row):
                gsum: dict[tuple[int, ...], list[float]] = {}
                for v in row:
                    g = grp[v]
                    for k in range(1, len(g) + 1):
                        acc = gsum.setdefault(g[:k], [0.0, 0])
                        acc[0] += bary[v]
                        acc[1] += 1
                gb = {g: s / c for g, (s, c) in gsum.items()}

                def key(v: int, gb: dict = gb, bary: dict = bary) -> list[tuple[float, int]]:
                    g = grp[v]
                    return [(gb[g[:k]], g[k - 1]) for k in range(1, len(g) + 1)] + [(bary[v], -1 - v)]
                row.sort(key=key)
            else:
                row.sort(key=lambda v: bary[v])
            for i, v in enumerate(row):
                pos[v] = float(i)
    # -- x coordinates: sweeps toward neighbours, exact under separation constraints -----------
    gaps_of = []
    for row in rows:
        gaps = []
        for a, b in itertools.pairwise(row):
            c = _common(grp[a], grp[b])
            extra = PAD * ((len(grp[a]) - c) + (len(grp[b]) - c))
            sep = node_sep if a < n and b < n else node_sep / 2
            gaps.append((wid[a] + wid[b]) / 2 + sep + extra)
        gaps_of.append(gaps)
    x = [0.0] * total
    for li, row in enumerate(rows):
        xs = _pav([0.0] * len(row), gaps_of[li])
        for v, xv in zip(row, xs):
            x[v] = xv
    nbrs = {0: pred, 1: succ, 2: [p + q for p, q in zip(pred, succ)]}
    for it in range(2 * sweeps):
        mode = it % 2 if it < 2 * sweeps - 2 else 2
        seq = range(nl) if mode != 1 else range(nl - 1, -1, -1)
        adj = nbrs[mode]
        for li in seq:
            row = rows[li]
            target = []
            for v in row:
                ns = adj[v]
                if not ns:
                    target.append(x[v])
                elif len(ns) == 1:
                    target.append(x[ns[0]])
                elif v < n:  # real nodes: plain mean; dummies pull harder on each other (straight long edges)
                    target.append(sum([x[u] for u in ns]) / len(ns))
                else:
                    ws = [4.0 if u >= n else 1.0 for u in ns]
                    target.append(sum([x[u] * w for u, w in zip(ns, ws)]) / sum(ws))
            for v, xv in zip(row, _pav(target, gaps_of[li])):
                x[v] = xv
    # -- y coordinates, with room for cluster titles and paddings ------------------------------
    first: dict[tuple[int, ...], int] = {}
    last: dict[tuple[int, ...], int] = {}
    for v in range(n):
        g = groups[v]
        for k in range(1, len(g) + 1):
            key_ = g[:k]
            first[key_] = min(first.get(key_, layer[v]), layer[v])
            last[key_] = max(last.get(key_, layer[v]), layer[v])
    starts = [0] * (nl + 1)
    ends = [0] * (nl + 1)
    for g, li in first.items():
        starts[li] = max(starts[li], sum(1 for k in range(1, len(g) + 1) if first[g[:k]] == li))
    for g, li in last.items():
        ends[li] = max(ends[li], sum(1 for k in range(1, len(g) + 1) if last[g[:k]] == li))
    heights = [0.0] * nl
    for v in range(n):
        heights[layer[v]] = max(heights[layer[v]], sizes[v][1])
    ys = []
    cur = 0.0
    for li in range(nl):
        cur += starts[li] * (PAD + TITLE)
        ys.append(cur + heights[li] / 2)
        cur += heights[li] + ends[li] * PAD + rank_sep
    y = [ys[lay[v]] for v in range(total)]
    # -- clusters, canvas, edges -------------------------------------------------------------
    raw: dict[tuple[int, ...], list[float]] = {g: [1e18, 1e18, -1e18, -1e18] for g in first}
    for v in range(n):
        if groups[v]:
            r = raw[groups[v]]
            w, h = sizes[v]
            r[0], r[1] = min(r[0], x[v] - w / 2), min(r[1], y[v] - h / 2)
            r[2], r[3] = max(r[2], x[v] + w / 2), max(r[3], y[v] + h / 2)
    boxes: dict[tuple[int, ...], list[float]] = {}
    for g in sorted(raw, key=len, reverse=True):  # innermost first, each box wraps its children
        r = raw[g]
        box = [r[0] - PAD, r[1] - PAD - TITLE, r[2] + PAD, r[3] + PAD]
        short = (min_widths or {}).get(g[-1], 0.0) - (box[2] - box[0])
        if short > 0:  # room for the title, unless that would cover a node outside the cluster
            wide = [box[0] - short / 2, box[1], box[2] + short / 2, box[3]]
            if not any(groups[v][:k] != g[:k] and x[v] + sizes[v][0] / 2 > wide[0]
                       and x[v] - sizes[v][0] / 2 < wide[2]  # the enclosing boxes grow too
                       for k in range(1, len(g) + 1) for li in range(first[g[:k]], last[g[:k]] + 1)
                       for v in rows[li] if v < n):
                box = wide
        boxes[g] = box
        if len(g) > 1:
            p_ = raw[g[:-1]]
            p_[0], p_[1] = min(p_[0], box[0]), min(p_[1], box[1])
            p_[2], p_[3] = max(p_[2], box[2]), max(p_[3], box[3])
    xmin = min([x[v] - wid[v] / 2 for v in range(total)] + [b[0] for b in boxes.values()], default=0.0) - 8
    ymin = min([b[1] for b in boxes.values()] + [0.0]) - 8
    shift_y = -ymin
    xs_ = [xv - xmin for xv in x]
    ys_ = [yv + shift_y for yv in y]
    clusters = {g[-1]: (b[0] - xmin, b[1] + shift_y, b[2] - xmin, b[3] + shift_y) for g, b in boxes.items()}
    lines = []
    by_pair = {(c[0], c[-1]): c for c in chains}
    for s, d in edges:
        chain = by_pair.get((s, d)) or list(reversed(by_pair.get((d, s), [d, s])))
        pts = [(xs_[chain[0]], ys_[chain[0]] + sizes[chain[0]][1] / 2)]
        pts += [(xs_[v], ys_[v]) for v in chain[1:-1]]
        pts.append((xs_[chain[-1]], ys_[chain[-1]] - sizes[chain[-1]][1] / 2))
        lines.append(pts)
    width = max([xs_[v] + wid[v] / 2 for v in range(total)] + [b[2] for b in clusters.values()], default=0) + 8
    height = max([ys_[v] + (sizes[v][1] if v < n else 0) / 2 for v in range(total)]
                 + [b[3] for b in clusters.values()], default=0) + 8
    return Layout(xs_[:n], ys_[:n], [w for w, _ in sizes], [h for _, h in sizes], layer, lines,
                  clusters, width, height)
