"""Divergences, MMD, sliced Wasserstein and mode coverage on sets with known answers."""

import math

import numpy as np
import pytest
import torch

from torchscope.gan.lab.distributions import target
from torchscope.gan.lab.metrics import grid_divergences, histogram2d, mmd, mode_coverage, sliced_wasserstein


def test_histogram_counts_points_and_drops_outside_and_nan():
    x = torch.tensor([[0.0, 0.0], [0.01, 0.01], [9.0, 0.0], [float("nan"), 0.0]])
    h = histogram2d(x, bins=4)
    assert h.sum() == 2 and h[2, 2] == 2


def test_identical_sets_have_zero_divergence_and_distance():
    x = target("moons").sample(1000)
    kl, js = grid_divergences(x, x)
    assert kl == pytest.approx(0, abs=1e-12) and js == pytest.approx(0, abs=1e-12)
    assert mmd(x, x) == pytest.approx(0, abs=1e-5)
    assert sliced_wasserstein(x, x) == pytest.approx(0, abs=1e-6)


def test_disjoint_sets_reach_the_js_bound_and_shifted_sets_are_far():
    a = torch.full((500, 2), -1.0)
    b = torch.full((500, 2), 1.0)
    kl, js = grid_divergences(a, b, eps=1e-12)
    assert js == pytest.approx(math.log(2), rel=1e-6) and kl > 10
    x = target("disc").sample(800)
    assert mmd(x, x + 0.5) > mmd(x, x + 0.1) > 0
    assert sliced_wasserstein(x, x + torch.tensor([0.3, 0.0])) == pytest.approx(0.3 * 2 / math.pi, rel=0.1)


def test_non_finite_inputs_give_nan_not_an_error():
    x = torch.zeros(10, 2)
    y = x.clone()
    y[0, 0] = float("nan")
    assert math.isnan(mmd(x, y)) and math.isnan(sliced_wasserstein(x, y))


def test_mode_coverage_counts_modes_with_their_share_of_samples():
    t = target("ring", modes=8, std=0.05)
    full = t.sample(1000)
    assert mode_coverage(full, t.centers, t.std)["covered"] == 8
    centers = torch.as_tensor(t.centers)
    collapsed = centers[[0, 1]].repeat(500, 1) + 0.01 * torch.randn(1000, 2)
    out = mode_coverage(collapsed, t.centers, t.std)
    assert out["covered"] == 2 and out["high_quality"] == pytest.approx(1.0)
    brushing = torch.cat([centers[0].repeat(990, 1), centers[1:].repeat(2, 1)[:10]])  # a few strays
    assert mode_coverage(brushing, t.centers, t.std)["covered"] == 1
    assert mode_coverage(torch.full((4, 2), float("nan")), np.zeros((3, 2)), 0.1)["covered"] == 0
