"""The layered layout: no overlaps, edges downward, clusters wrap their members, cycles, speed."""

from __future__ import annotations

import itertools
import random
import time

from torchscope.model.layout import layout


def _graph(n: int, seed: int = 0):
    rnd = random.Random(seed)
    edges = [(i, i + 1) for i in range(n - 1)] + [(i, i + rnd.randint(2, 5)) for i in range(0, n - 6, 3)]
    return [(60 + (i % 5) * 10, 30) for i in range(n)], edges


def test_nodes_in_a_layer_do_not_overlap_and_edges_go_down() -> None:
    sizes, edges = _graph(300)
    lay = layout(sizes, edges)
    rows: dict[float, list[int]] = {}
    for v in range(len(sizes)):
        rows.setdefault(lay.y[v], []).append(v)
    for row in rows.values():
        row.sort(key=lambda v: lay.x[v])
        for a, b in itertools.pairwise(row):
            assert lay.x[b] - lay.x[a] >= (lay.w[a] + lay.w[b]) / 2 - 1e-6
    for s, d in edges:
        assert lay.y[s] < lay.y[d]
    assert all(len(p) >= 2 for p in lay.edges)


def test_clusters_contain_their_members() -> None:
    sizes, edges = _graph(60)
    groups = [(100 + i // 20, 200 + i // 5) for i in range(60)]
    lay = layout(sizes, edges, groups=groups)
    for v, g in enumerate(groups):
        for c in g:
            x0, y0, x1, y1 = lay.clusters[c]
            assert x0 < lay.x[v] - lay.w[v] / 2 and lay.x[v] + lay.w[v] / 2 < x1
            assert y0 < lay.y[v] - lay.h[v] / 2 and lay.y[v] + lay.h[v] / 2 < y1


def test_cycles_and_pins() -> None:
    lay = layout([(40, 20)] * 4, [(0, 1), (1, 2), (2, 0), (2, 3)], top={0}, bottom={3})
    assert lay.y[0] == min(lay.y) and lay.y[3] == max(lay.y)
    assert len(lay.edges) == 4


def test_thousands_of_nodes_are_fast() -> None:
    sizes, edges = _graph(3000)
    t = time.perf_counter()
    layout(sizes, edges, groups=[(10_000 + i // 30,) for i in range(3000)])
    assert time.perf_counter() - t < 5.0  # ~0.3 s here; the 10,000-op figure is in benchmarks/
