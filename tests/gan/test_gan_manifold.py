"""The fast precision/recall gives the float64 brute force's answer, ties and shared points included."""

import numpy as np
import pytest
import torch

from torchscope.gan import manifold
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
