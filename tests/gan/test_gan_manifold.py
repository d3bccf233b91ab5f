"""The fast precision/recall gives the float64 brute force's answer, ties and shared points included."""

import numpy as np
import pytest
import torch

from torchscope.gan import _knn, manifold
from torchscope.gan.manifold import precision_recall


def brute_force(real, fake, k=3):
    """Kynkaanniemi et al. 2019 as written: full float64 distance matrices."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)

    def dist(a, b):
        return np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))

    rad_r, rad_f = np.sort(dist(real, real), 1)[:, k], np.sort(dist(fake, fake), 1)[:, k]
    fr = dist(fake, real)
    return float((fr <= rad_r[None]).any(1).mean()), float((fr <= rad_f[:, None]).any(0).mean())


def case(seed):
    rng = np.random.default_rng(seed)
    n, m, dim = (int(v) for v in (rng.integers(6, 160), rng.integers(6, 160), rng.integers(1, 70)))
    a = rng.normal(size=(n, dim)) * rng.uniform(0.01, 100) + rng.uniform(-50, 50)
    b = rng.normal(size=(m, dim)) * rng.uniform(0.5, 2) * a.std() + a.mean() + rng.normal()
    if seed % 3 == 0:
        b[: m // 2] = a[rng.integers(0, n, m // 2)]  # shared points: distances of exactly 0
    if seed % 4 == 0:
        a, b = np.round(a), np.round(b)  # on a lattice: many equal distances, balls' edges hit exactly
    return a, b, int(rng.integers(1, 6)), int(rng.integers(1, 120))


@pytest.mark.parametrize("seed", range(16))
def test_same_answer_as_the_brute_force(seed):
    a, b, k, chunk = case(seed)
    assert precision_recall(a, b, k=k, chunk=chunk) == brute_force(a, b, k)
    assert precision_recall(a, b, k=k) == brute_force(a, b, k)  # default blocks


def test_points_on_the_balls_edges_are_settled_in_float64(monkeypatch):
    """A lattice puts fakes exactly on the real balls' edges: float32 cannot call them, float64 does."""
    grid = np.stack(np.meshgrid(np.arange(12.0), np.arange(12.0)), -1).reshape(-1, 2) * 1e3 + 5e4
    fake = grid[::3] + np.array([1e3, 0.0])  # each one exactly a lattice step from a real point
    calls = []
    refine = manifold._refine
    monkeypatch.setattr(manifold, "_refine", lambda *a: calls.append(1) or refine(*a))
    assert precision_recall(grid, fake, k=1, chunk=7) == brute_force(grid, fake, k=1)
    assert calls  # the float32 answer was too close to call


def test_identical_sets_tensors_and_errors():
    x = torch.randn(500, 16)
    assert precision_recall(x, x.clone()) == (1.0, 1.0)
    assert precision_recall(x.double(), x[:100]) == brute_force(x.numpy(), x[:100].numpy())
    with pytest.raises(ValueError, match="more than k=3"):
        precision_recall(x[:3], x)


def test_no_n_by_n_matrix():
    """Blocks stay within manifold.BLOCK float32 elements, however many points."""
    assert manifold._rows(10_000, None) * 10_000 <= manifold.BLOCK
    assert manifold._rows(1_000_000, None) == 16 and manifold._rows(100, None) == 1024


@pytest.mark.parametrize("seed", range(4))
def test_large_sets_screened_by_groups_give_the_brute_force_answer(seed):
    """Past a few thousand points the nearest neighbours are screened by the minima of column groups."""
    rng = np.random.default_rng(100 + seed)
    n, m, dim = 3000 + 37 * seed, 2600 + 11 * seed, [2, 8, 24, 3][seed]
    a = rng.normal(size=(n, dim)) * 3
    b = rng.normal(size=(m, dim)) * 3.3 + 0.2
    if seed % 2 == 0:
        b[: m // 3] = a[rng.integers(0, n, m // 3)]  # shared points
    if seed == 3:
        a, b = np.round(a), np.round(b)  # a lattice: equal distances everywhere, ties at the k-th neighbour
    assert manifold._pad(n) % manifold.GROUP == 0 and manifold._pad(n) >= n
    rr, ff, fr = (np.sort(_dist(a, a), 1)[:, :7], np.sort(_dist(b, b), 1)[:, :7], _dist(b, a))
    for k in (1, 3, 5):  # the brute force, from distances computed once
        expected = float((fr <= rr[None, :, k]).any(1).mean()), float((fr <= ff[:, k, None]).any(0).mean())
        assert precision_recall(a, b, k=k) == expected


def _dist(a, b, rows=64):
    """brute_force's float64 distances (the same arithmetic per pair), a few rows at a time."""
    return np.concatenate([np.sqrt(((a[i:i + rows, None] - b[None]) ** 2).sum(-1)) for i in range(0, len(a), rows)])


def test_the_answer_does_not_depend_on_the_threads():
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(3000, 16)), rng.normal(size=(2800, 16)) * 1.2
    before = torch.get_num_threads()
    try:
        answers = set()
        for n in (1, 2, 3):
            torch.set_num_threads(n)
            answers.add(precision_recall(a, b, chunk=97))
            assert torch.get_num_threads() == n
    finally:
        torch.set_num_threads(before)
    assert len(answers) == 1


def test_large_sets_compute_half_the_distances_in_tiles(monkeypatch):
    """Past one tile, the k-th neighbours come from the tiles on and above the diagonal of the symmetric
    distances: about half of each n x n product, one tile at a time, never a whole row."""
    shapes = []
    product = _knn._product
    monkeypatch.setattr(_knn, "_product", lambda a, b, out=None: shapes.append((len(a), len(b))) or product(a, b, out))
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(3000, 8)), rng.normal(size=(2500, 8))
    assert precision_recall(a, b) == brute_force(a, b)
    n_tiles = [-(-n // _knn.TILE) for n in (3000, 2500)]
    assert len(shapes) == sum(t * (t + 1) // 2 for t in n_tiles)
    assert sum(h * w for h, w in shapes) < 0.7 * (3000 ** 2 + 2500 ** 2)
    assert max(w for _, w in shapes) <= _knn.TILE


@pytest.mark.parametrize(("n", "dim", "tile", "kind"), [
    (1500, 5, 64, "normal"), (1300, 3, 100, "lattice"), (900, 4, 128, "shared"), (700, 20, 64, "sphere first"),
    (2300, 4, 1024, "normal"), (2100, 3, 1024, "identical")])
def test_tiled_radii_are_the_brute_force_radii(n, dim, tile, kind):
    """Small tiles: many off-diagonal tiles, thresholds, ties at the m-th value, crowded tiles partially sorted."""
    rng = np.random.default_rng(n)
    x = rng.normal(size=(n, dim)) * 3
    if kind == "lattice":
        x = np.round(x)  # equal distances everywhere
    elif kind == "shared":
        x[: n // 2] = x[rng.integers(n // 2, n, n // 2)]  # coinciding points: distances of exactly 0
    elif kind == "sphere first":  # the first tile's points far apart on a sphere, the rest a tight cloud at
        x[:tile] /= np.linalg.norm(x[:tile], axis=1, keepdims=True)  # its centre, nearer to each than their
        x[tile:] *= 0.003  # neighbours: their thresholds pass whole tiles (crowded: partially sorted)
    elif kind == "identical":
        x[: n // 2] = x[0]  # half the set at one point: ties pass a diagonal tile's group bound (crowded)
    centred = x - x.mean(0)
    x32 = torch.from_numpy(centred).float()
    sq = (x32 * x32).sum(1)
    for k in (1, 3):
        got = _knn.kth_radii(x, x32.numpy(), sq.numpy(), k, manifold.EXTRA, manifold._gamma(dim), tile=tile,
                             workers=2)
        assert np.array_equal(got, np.sort(_dist(x, x), 1)[:, k])
