"""Targets: shapes, reproducibility, the view box, and drawn targets with their validation."""

import numpy as np
import pytest
import torch

from torchscope.gan.lab.distributions import BOUNDS, TARGETS, drawn, target


@pytest.mark.parametrize("name", [t for t in TARGETS if t != "drawn"])
def test_every_target_samples_inside_the_view(name):
    t = target(name)
    x = t.sample(2000, torch.Generator().manual_seed(1))
    assert x.shape == (2000, 2) and x.dtype == torch.float32
    inside = ((x > BOUNDS[0]) & (x < BOUNDS[1])).all(1).float().mean()
    assert inside > 0.99
    assert torch.equal(x, t.sample(2000, torch.Generator().manual_seed(1)))
    assert target(t.spec()).spec() == t.spec()


def test_ring_has_its_modes_on_the_unit_circle():
    t = target("ring", modes=8, std=0.05)
    assert t.centers.shape == (8, 2)
    assert np.allclose(np.linalg.norm(t.centers, axis=1), 1.0)
    x = t.sample(4000)
    d = torch.cdist(x, torch.as_tensor(t.centers)).min(1).values
    assert float((d < 3 * 0.05).float().mean()) > 0.98


def test_drawn_strokes_are_sampled_along_their_segments():
    t = drawn([[[-1, 0], [1, 0]], [[0, -1], [0, 1]]], noise=0.0)  # a cross of two strokes
    assert t.strokes == [2, 2]
    x = t.sample(1000)
    assert float((x.abs().min(1).values < 1e-5).float().mean()) == 1.0  # on one of the axes
    assert target(t.spec()).strokes == [2, 2]


def test_drawn_isolated_points_become_small_gaussians():
    t = drawn([[0.5, 0.5], [-0.5, -0.5]], strokes=[1, 1], noise=0.01)
    x = t.sample(500)
    d = torch.cdist(x, torch.tensor([[0.5, 0.5], [-0.5, -0.5]])).min(1).values
    assert float(d.max()) < 0.1


@pytest.mark.parametrize("points, message", [
    ([[0.2, 0.3]], "at least 2 distinct points; got 1"),
    ([[0.2, 0.3], [0.2, 0.3]], "at least 2 distinct points"),
    ([], "at least 2 distinct points; got 0"),
    (None, "needs points"),
    ([[0, 0], [float("nan"), 1]], "finite"),
])
def test_drawn_rejects_what_cannot_be_learned(points, message):
    with pytest.raises(ValueError, match=message):
        drawn(points)


def test_unknown_target_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown target 'blob'.*ring"):
        target("blob")
