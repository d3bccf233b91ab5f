"""FD, KID and precision/recall on sets with known answers; the cached feature extractor."""

import os

import numpy as np
import pytest
import torch

import torchscope as ts
from torchscope.gan import frechet_distance, gan_metrics, kid, precision_recall


@pytest.fixture(scope="session")
def digits_fx(tmp_path_factory):
    """The digits classifier, trained once per test session in a shared temporary cache."""
    old = os.environ.get("TORCHSCOPE_CACHE")
    os.environ["TORCHSCOPE_CACHE"] = str(tmp_path_factory.getbasetemp() / "gan-cache")
    try:
        ds = ts.data.load("digits")
        yield ds, ts.gan.feature_extractor(ds)
    finally:
        if old is None:
            os.environ.pop("TORCHSCOPE_CACHE", None)
        else:
            os.environ["TORCHSCOPE_CACHE"] = old


def test_identical_sets_are_at_zero_distance():
    a = np.random.default_rng(0).normal(size=(2000, 8))
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-8)
    same, shifted = kid(a, a.copy(), subset_size=500, subsets=5), kid(a, a + 0.5, subset_size=500, subsets=5)
    assert abs(same[0]) < 3 * same[1] + 0.01 and shifted[0] > 50 * abs(same[0])  # unbiased: ~0, either sign
    assert precision_recall(a, a) == (1.0, 1.0)


def test_shifted_gaussian_gives_the_analytic_frechet_distance():
    rng = np.random.default_rng(1)
    d = 6
    a = rng.normal(size=(40000, d))
    scale = np.linspace(0.5, 2.0, d)
    b = rng.normal(size=(40000, d)) * scale + 0.7
    analytic = d * 0.7 ** 2 + np.sum((1 - scale) ** 2)  # diagonal covariances: |mu|^2 + sum (s1 - s2)^2
    assert frechet_distance(a, b) == pytest.approx(analytic, rel=0.03)
    assert kid(a, b, subset_size=500, subsets=5)[0] > 0.1


def test_one_class_generator_has_low_recall_and_high_precision(digits_fx):
    ds, fx = digits_fx
    assert fx.accuracy > 0.8 and "digits" in fx.id
    x, y = ts.gan._util.dataset_tensors(ds)
    one = x[y == 3]
    m = gan_metrics(one, x, extractor=fx)
    assert m.recall < 0.35 and m.precision > 0.8 and m.n_fake == len(one) and m.extractor == fx.id
    full = gan_metrics(x[::2], x[1::2], extractor=fx)
    assert full.recall > 0.8 and full.fd < m.fd / 4
    assert ts.gan.GanMetrics.from_dict(*m.to_dict()) == m


def test_the_extractor_is_cached_and_rebuilt_identically(digits_fx):
    ds, fx = digits_fx
    again = ts.gan.feature_extractor(ds)  # from the cache: no training
    x = torch.rand(4, 1, 8, 8)
    assert again.id == fx.id and torch.allclose(again.features(x), fx.features(x))
