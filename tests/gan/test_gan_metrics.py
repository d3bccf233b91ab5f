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


def reference_kid(a, b, *, subsets=50, subset_size=1000, seed=0):
    """torchscope's KID before the blocked sums (whole float64 kernel matrices per subset), kept as the reference."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    m = min(subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    d = a.shape[1]

    def cubic(x, y):
        return (x @ y.T / d + 1) ** 3

    vals = []
    whole = m == len(a) == len(b)
    for _ in range(1 if whole else subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        kxx, kyy, kxy = cubic(x, x), cubic(y, y), cubic(x, y)
        off = m * (m - 1)
        vals.append((kxx.sum() - np.trace(kxx)) / off + (kyy.sum() - np.trace(kyy)) / off - 2 * kxy.mean())
    if whole:
        return float(vals[0]), float("nan")
    return float(np.mean(vals)), float(np.std(vals))


@pytest.mark.parametrize("n_a, n_b, dim, kw", [
    (3000, 2500, 64, {}), (1200, 1200, 3, {"subset_size": 300, "subsets": 7, "seed": 4}),
    (400, 400, 16, {}), (900, 700, 200, {"subset_size": 257, "subsets": 5}), (500, 600, 1, {"subset_size": 129})])
def test_kid_equals_the_previous_implementation(n_a, n_b, dim, kw):
    rng = np.random.default_rng(dim)
    a = rng.normal(size=(n_a, dim)) * 2 + 1
    b = rng.normal(size=(n_b, dim)) * 2.2 + 1.1
    mean, std = kid(a, b, **kw)
    ref_mean, ref_std = reference_kid(a, b, **kw)
    assert mean == pytest.approx(ref_mean, rel=1e-10, abs=1e-14)
    assert std == pytest.approx(ref_std, rel=1e-8, abs=1e-14, nan_ok=True)
    assert kid(torch.from_numpy(a).float(), b, **kw)[0] == pytest.approx(reference_kid(np.float32(a), b, **kw)[0],
                                                                          rel=1e-10, abs=1e-14)


def test_kid_does_not_depend_on_the_threads():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(800, 8)), rng.normal(size=(900, 8)) + 0.3
    before = torch.get_num_threads()
    try:
        values = set()
        for n in (1, 2, 3):
            torch.set_num_threads(n)
            values.add(kid(a, b, subset_size=200, subsets=9))
    finally:
        torch.set_num_threads(before)
    assert len(values) == 1
