"""Data views: numbers checked against numpy/scipy, figures rendered to PNG, records through a real store."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.stats

import torchscope as ts
import torchscope.data as tsd
from torchscope.records import Record, rebuild

from .files import MNIST, MNIST_COUNTS, png_folder

LOOK = os.environ.get("TORCHSCOPE_LOOK_DIR")  # set it to keep the rendered PNGs and look at them


def render(rec: Record, tmp_path: Path, name: str) -> Path:
    """Save the figure as PNG (and HTML), check both, keep a copy in $TORCHSCOPE_LOOK_DIR."""
    png = rec.save(tmp_path / f"{name}.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    html = rec._repr_html_()
    assert "<img src='data:image/png;base64," in html
    if LOOK:
        Path(LOOK).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(LOOK) / png.name)
    return png


def round_trip(rec: Record) -> Record:
    data, blobs = rec.to_dict()
    back = rebuild(rec.kind, data, blobs)
    assert type(back) is type(rec)
    return back


@pytest.fixture(scope="module")
def digits() -> tsd.Dataset:
    return tsd.load("digits")


def test_class_balance_train_vs_test(digits: tsd.Dataset, tmp_path: Path) -> None:
    train, test = digits.split(0.8)
    rec = tsd.class_balance(train, test)
    assert rec.splits == ["train", "test"] and rec.class_names == digits.class_names
    assert rec.counts[0] == np.bincount(train.targets).tolist() and sum(rec.counts[1]) == len(test)
    assert round_trip(rec).counts == rec.counts
    assert tsd.class_balance({"a": train}).splits == ["a"]
    render(rec, tmp_path, "class_balance_digits")


def test_class_balance_matches_classes_by_name_and_reports_imbalance() -> None:
    a = tsd.load(np.zeros((4, 2)), np.array(["x", "x", "x", "y"]))
    b = tsd.load(np.zeros((2, 2)), np.array(["z", "y"]))
    rec = tsd.class_balance(a, b, names=["a", "b"])
    assert rec.class_names == ["x", "y", "z"] and rec.counts == [[3, 1, 0], [0, 1, 1]]
    assert rec.imbalance == [float("inf"), float("inf")]


def test_samples_grid(digits: tsd.Dataset, tmp_path: Path) -> None:
    rec = tsd.samples(digits, per_class=5, seed=3)
    assert rec.images.shape == (10, 5, 8, 8, 1) and rec.images.dtype == np.uint8
    k, j = 4, 2
    i = int(rec.indices[k, j])
    assert digits.targets[i] == k
    np.testing.assert_array_equal(rec.images[k, j], np.round(digits.take([i])[0] * 255).astype(np.uint8))
    np.testing.assert_array_equal(round_trip(rec).images, rec.images)
    render(rec, tmp_path, "samples_digits")
    few = tsd.samples(tsd.load(np.zeros((3, 4, 4), np.uint8), [0, 0, 1]), per_class=4)
    assert (few.indices >= 0).sum(1).tolist() == [2, 1]
    with pytest.raises(ValueError, match="unknown classes"):
        tsd.samples(digits, classes=["eleven"])


def test_mean_images_equal_numpy(digits: tsd.Dataset, tmp_path: Path) -> None:
    rec = tsd.mean_images(digits)
    x, y = digits.arrays()
    for c in (0, 7):
        np.testing.assert_allclose(rec.mean[c], x[y == c].mean(0), atol=1e-6)
        np.testing.assert_allclose(rec.std[c], x[y == c].std(0), atol=1e-5)
    assert rec.counts == np.bincount(y).tolist()
    render(rec, tmp_path, "mean_images_digits")


def test_pixel_stats_equal_numpy_on_rgb_files(tmp_path: Path) -> None:
    png_folder(tmp_path / "rgb", {"a": 5, "b": 3}, rgb=True, size=(6, 5))
    ds = tsd.load(tmp_path / "rgb")
    rec = tsd.pixel_stats(ds)
    x = ds.arrays()[0] / 255.0
    np.testing.assert_allclose(rec.mean, x.reshape(-1, 3).mean(0), atol=1e-6)
    np.testing.assert_allclose(rec.std, x.reshape(-1, 3).std(0), atol=1e-6)
    assert rec.channels == ["red", "green", "blue"] and rec.hist.sum() == x.size and rec.n_images == 8
    assert round_trip(rec).hist.tolist() == rec.hist.tolist()
    render(rec, tmp_path, "pixel_stats_rgb")


@pytest.mark.skipif(not MNIST.is_dir(), reason="the MNIST test set is not available here")
def test_views_of_real_mnist(tmp_path: Path) -> None:
    ds = tsd.load(MNIST)
    st = tsd.pixel_stats(ds)
    assert st.mean[0] == pytest.approx(0.1325, abs=1e-3) and st.std[0] == pytest.approx(0.3105, abs=1e-3)
    assert tsd.class_balance(ds).counts == [MNIST_COUNTS]
    render(st, tmp_path, "pixel_stats_mnist")
    render(tsd.mean_images(ds), tmp_path, "mean_images_mnist")
    render(tsd.samples(ds), tmp_path, "samples_mnist")


def test_image_views_refuse_tables() -> None:
    with pytest.raises(ValueError, match="needs an image data set; 'iris' is tabular"):
        tsd.mean_images(tsd.load("iris"))
    with pytest.raises(ValueError, match="needs a tabular data set"):
        tsd.correlation(tsd.load("digits"))
    with pytest.raises(TypeError, match="takes a torchscope Dataset"):
        tsd.pixel_stats(np.zeros((3, 4, 4)))


@pytest.mark.parametrize("name", ["iris", "wine"])
def test_feature_distributions(name: str, tmp_path: Path) -> None:
    ds = tsd.load(name)
    rec = tsd.feature_dists(ds)
    x, y = ds.arrays()
    assert rec.counts.shape == (x.shape[1], ds.num_classes, 30)
    np.testing.assert_array_equal(rec.counts.sum(2), np.tile(np.bincount(y), (x.shape[1], 1)))
    np.testing.assert_allclose(rec.mean, x.mean(0), rtol=1e-5)
    assert all(0 <= s <= 1 for s in rec.separation)
    render(rec, tmp_path, f"feature_dists_{name}")


def test_separation_ranks_iris_petals_first() -> None:
    rec = tsd.feature_dists(tsd.load("iris"))
    best = np.argsort(rec.separation)[::-1][:2]
    assert {rec.feature_names[i] for i in best} == {"petal length (cm)", "petal width (cm)"}


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_correlation_equals_scipy(method: str, tmp_path: Path) -> None:
    ds = tsd.load("wine")
    rec = tsd.correlation(ds, method=method)
    x = ds.arrays()[0].astype(np.float64)
    ref = np.corrcoef(x, rowvar=False) if method == "pearson" else scipy.stats.spearmanr(x).statistic
    np.testing.assert_allclose(rec.matrix, ref, atol=1e-6)
    assert rec.strongest(1)[0][:2] == ("total_phenols", "flavanoids") or method == "spearman"
    np.testing.assert_array_equal(round_trip(rec).matrix, rec.matrix)
    render(rec, tmp_path, f"correlation_wine_{method}")


def test_correlation_drops_rows_with_missing_values() -> None:
    x = np.array([[1, 2], [2, 4], [np.nan, 1], [3, 6.5]])
    rec = tsd.correlation(tsd.load(x, [0, 1, 0, 1]))
    assert rec.n_rows == 3 and rec.matrix[0, 1] == pytest.approx(np.corrcoef([1, 2, 3], [2, 4, 6.5])[0, 1])


def test_pairplot_picks_separating_features_and_samples_rows(tmp_path: Path) -> None:
    wine = tsd.load("wine")
    rec = tsd.pairplot(wine, max_features=4, max_points=100)
    assert len(rec.feature_names) == 4 and "flavanoids" in rec.feature_names and len(rec.labels) == 100
    assert rec.n_total == 178 and rec.notes
    iris = tsd.pairplot(tsd.load("iris"))
    assert iris.values.shape == (150, 4)
    picked = tsd.pairplot(wine, features=["alcohol", "proline"])
    assert picked.feature_names == ["alcohol", "proline"]
    with pytest.raises(ValueError, match="unknown features"):
        tsd.pairplot(wine, features=["colour"])
    render(iris, tmp_path, "pairplot_iris")
    render(rec, tmp_path, "pairplot_wine")


def test_views_go_through_a_real_store(store_dir: Path) -> None:
    train, test = tsd.load("digits").split(0.8)
    recs = [tsd.class_balance(train, test), tsd.samples(train, per_class=2), tsd.mean_images(train),
            tsd.pixel_stats(train), tsd.feature_dists(tsd.load("iris")), tsd.correlation(tsd.load("iris")),
            tsd.pairplot(tsd.load("iris"))]
    with ts.init(project="data", dir=store_dir) as run:
        for rec in recs:
            run.log_record(rec)
    store = ts.open(store_dir)
    for rec in recs:
        back = store.latest(run.id, rec.kind)
        assert type(back) is type(rec) and back.to_json() == rec.to_json()
