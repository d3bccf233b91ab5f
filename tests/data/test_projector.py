"""Projector: PCA/t-SNE equal scikit-learn called directly, UMAP when installed, model embeddings, thumbnails."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from torch import nn

import torchscope as ts
import torchscope.data as tsd
from torchscope.data._images import to_display
from torchscope.records import rebuild

from .test_views import render

HAS_UMAP = importlib.util.find_spec("umap") is not None


@pytest.fixture(scope="module")
def digits() -> tsd.Dataset:
    return tsd.load("digits")


def test_pca_equals_sklearn(digits: tsd.Dataset, tmp_path: Path) -> None:
    rec = tsd.project(digits, method="pca", progress=False)
    x = digits.arrays()[0].reshape(len(digits), -1)
    ref = PCA(n_components=2, random_state=0).fit_transform(x)
    np.testing.assert_allclose(rec.coords, ref, atol=1e-4)
    assert rec.coords.dtype == np.float32 and rec.labels.dtype == np.int32
    assert rec.params["explained_variance_ratio"][0] > rec.params["explained_variance_ratio"][1] > 0
    assert rec.indices.tolist() == list(range(len(digits)))
    render(rec, tmp_path, "projection_pca_digits")


def test_tsne_equals_sklearn_on_a_small_sample(digits: tsd.Dataset, tmp_path: Path) -> None:
    rec = tsd.project(digits, method="tsne", max_points=300, seed=1, progress=False)
    x = digits.take(rec.indices).reshape(300, -1)
    pre = PCA(n_components=50, random_state=1).fit_transform(x)
    ref = TSNE(n_components=2, perplexity=30.0, init="pca", learning_rate="auto", random_state=1).fit_transform(pre)
    np.testing.assert_allclose(rec.coords, ref, rtol=1e-4, atol=1e-3)
    assert rec.params["pca_dims"] == 50 and rec.params["perplexity"] == 30.0
    render(rec, tmp_path, "projection_tsne_digits")


def test_tsne_perplexity_shrinks_for_tiny_sets() -> None:
    rec = tsd.project(tsd.load("iris").subset(range(0, 150, 10)), method="tsne", progress=False)
    assert rec.params["perplexity"] == pytest.approx(14 / 3) and rec.coords.shape == (15, 2)


@pytest.mark.skipif(not HAS_UMAP, reason="umap-learn is not installed")
def test_umap_when_installed(digits: tsd.Dataset, tmp_path: Path) -> None:
    rec = tsd.project(digits, method="umap", max_points=300, progress=False)
    assert rec.coords.shape == (300, 2) and np.isfinite(rec.coords).all() and rec.params["n_neighbors"] == 15
    render(rec, tmp_path, "projection_umap_digits")


def test_umap_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "umap", None)
    with pytest.raises(ImportError, match="pip install umap-learn"):
        tsd.project("iris", method="umap", progress=False)


def test_3d_and_bad_arguments(tmp_path: Path) -> None:
    rec = tsd.project("wine", method="pca", dims=3, progress=False)
    assert rec.coords.shape == (178, 3) and "z" in rec.columns()
    assert rec.thumbnails is None and rec.sprite() == (b"", {})
    render(rec, tmp_path, "projection_pca3d_wine")
    with pytest.raises(ValueError, match="dims must be 2 or 3"):
        tsd.project("iris", dims=4, progress=False)
    with pytest.raises(ValueError, match="method must be one of"):
        tsd.project("iris", method="lda", progress=False)
    with pytest.raises(ValueError, match="no thumbnails"):
        rec.thumbnail(0)


def test_thumbnails_sprite_sheet(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (30, 64, 48, 3), dtype=np.uint8)
    rec = tsd.project(x, np.arange(30) % 3, progress=False)
    assert rec.thumbnails.shape == (30, 32, 24, 3)
    np.testing.assert_array_equal(rec.thumbnail(4), x[4].reshape(32, 2, 24, 2, 3).mean((1, 3)).round())
    png, lay = rec.sprite()
    assert (lay["columns"], lay["rows"], lay["thumb_height"], lay["thumb_width"], lay["count"]) == (6, 5, 32, 24, 30)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_array_equal(rebuild(rec.kind, *rec.to_dict()).thumbnails, rec.thumbnails)
    small = tsd.project(tsd.load("digits").subset(range(40)), progress=False)
    i = 17
    np.testing.assert_array_equal(small.thumbnail(i), to_display(small_raw := tsd.load("digits").take([i]))[0])
    assert small_raw.shape == (1, 8, 8, 1)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU())
        self.head = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def _no_hooks(model: nn.Module) -> bool:
    return all(not m._forward_hooks and not m._backward_hooks for m in model.modules())


@pytest.mark.parametrize("layer", [None, "features", "head"])
def test_model_embeddings_and_predictions(digits: tsd.Dataset, layer: str | None, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = Net().train()
    rec = tsd.project(digits, model=model, layer=layer, max_points=200, progress=False)
    idx = torch.as_tensor(rec.indices)
    with torch.no_grad():
        logits = model.eval()(torch.stack([digits[int(i)][0] for i in idx]))
    assert rec.predictions.tolist() == logits.argmax(1).tolist()
    assert _no_hooks(model) and rec.params["source"] == ("model output" if layer is None else f"model layer {layer!r}")
    assert rec.thumbnails is not None  # thumbnails still come from the images
    emb, _ = tsd.embeddings(model, digits, layer=layer, indices=rec.indices)
    assert emb.shape == (200, 16 if layer == "features" else 10)
    if layer == "features":
        rec.color_by = "correct"
        render(rec, tmp_path, "projection_correct")


def test_hooks_are_removed_when_the_forward_pass_fails(digits: tsd.Dataset) -> None:
    model = Net()
    with pytest.raises(RuntimeError):
        tsd.embeddings(model, torch.zeros(4, 3, 3), layer="features")
    assert _no_hooks(model) and model.training
    with pytest.raises(KeyError, match="no layer named 'fc9'"):
        tsd.embeddings(model, digits, layer="fc9")


def test_colour_by_prediction_needs_predictions(digits: tsd.Dataset) -> None:
    rec = tsd.project(digits, max_points=100, progress=False)
    rec.color_by = "prediction"
    with pytest.raises(ValueError, match="needs predictions"):
        rec.figure()
    given = tsd.project(digits, predictions=digits.targets, max_points=100, progress=False)
    assert (given.predictions == given.labels).all()
    with pytest.raises(ValueError, match="predictions has 3 entries"):
        tsd.project(digits, predictions=[1, 2, 3], progress=False)


def test_precomputed_embeddings_and_the_record_through_a_store(store_dir: Path) -> None:
    emb = np.random.default_rng(0).normal(size=(50, 8)).astype(np.float32)
    rec = tsd.project(emb, np.arange(50) % 2, method="pca", progress=False)
    assert rec.thumbnails is None and rec.coords.shape == (50, 2)
    cols = rec.columns()
    assert set(cols) == {"x", "y", "label", "index"} and len(json.dumps(cols)) > 100
    img = tsd.project(tsd.load("digits").subset(range(64)), predictions=np.zeros(64, int), progress=False)
    data, blobs = img.to_dict()
    assert data["sprite"]["__blob__"] == "sprite" and "coords" in blobs
    back = rebuild(img.kind, data, blobs)
    np.testing.assert_array_equal(back.coords, img.coords)
    with ts.init(project="proj", dir=store_dir) as run:
        run.log_record(img)
        run.log_record(rec)
    stored = ts.open(store_dir).records(run.id, kind="data.projection")
    np.testing.assert_array_equal(stored[0].record.thumbnails, img.thumbnails)
    assert stored[1].record.predictions is None and stored[1].record.thumbnails is None


def test_repeated_embeddings_leave_no_hooks_and_no_growing_memory(digits: tsd.Dataset) -> None:
    import gc
    import tracemalloc

    model = Net()
    sub = np.arange(64)
    tsd.embeddings(model, digits, layer="features", indices=sub)  # warm-up
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(30):
        tsd.embeddings(model, digits, layer="features", indices=sub)
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert _no_hooks(model) and grown < 200_000, f"memory grew by {grown} bytes over 30 calls"
