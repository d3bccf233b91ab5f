"""The verb, its records and overlays, and method properties that hold without Captum."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import torchscope.explain as E
from torchscope.explain._budget import FIRST_ROWS, OverBudget, even_chunks, measuring
from torchscope.records import rebuild

from .models import make
from .test_hooks import assert_clean


@pytest.mark.parametrize("method", [*sorted(E.METHODS), "ig"])
def test_verb_returns_a_record_that_round_trips_and_draws(method: str, tmp_path) -> None:
    model, x = make("cnn", batch=3, size=16)
    opts = {"n_steps": 8} if method in ("ig", "integrated_gradients") else {}
    ex = E.explain(model, x, method=method, class_names=[f"c{i}" for i in range(10)], **opts)
    pred = model(x).argmax(1).tolist()
    assert ex.targets == pred == ex.predictions  # target None = predicted class
    assert ex.images.shape == (3, 16, 16, 3) and ex.heat.shape == (3, 16, 16) and ex.heat.dtype == np.uint8
    assert ex.heat.max() == 255  # normalized to the 98th percentile
    for style in ("image", "heatmap", "blended", "masked"):
        assert ex.overlay(1, style).shape == (16, 16, 3)
    back = rebuild(ex.kind, *ex.to_dict())
    np.testing.assert_array_equal(back.heat, ex.heat)
    assert back.to_json() == ex.to_json()
    assert ex.save(tmp_path / "x.png").stat().st_size > 5000
    assert ex.png(0)[:4] == b"\x89PNG"


def test_explicit_targets_and_errors() -> None:
    model, x = make("cnn", batch=2, size=16)
    ex = E.explain(model, x, target=[4, 5], method="saliency")
    assert ex.targets == [4, 5]
    np.testing.assert_allclose(ex.target_probs, torch.softmax(model(x), 1)[[0, 1], [4, 5]].tolist(), rtol=1e-6)
    with pytest.raises(ValueError, match="unknown method"):
        E.explain(model, x, method="lime")
    with pytest.raises(ValueError, match="one per sample"):
        E.explain(model, x, target=[1, 2, 3], method="saliency")
    with pytest.raises(ValueError, match="no layer named"):
        E.explain(model, x, method="gradcam", layer="nope")


def test_integrated_gradients_completeness() -> None:
    """Sundararajan et al.'s axiom: attributions sum to f(x) - f(baseline)."""
    model, x = make("cnn", batch=2, size=16)
    attr = E.IntegratedGradients(model).attribute(x, target=3, n_steps=200)
    with torch.no_grad():
        gap = model(x)[:, 3] - model(torch.zeros_like(x))[:, 3]
    np.testing.assert_allclose(attr.sum(dim=(1, 2, 3)), gap, rtol=2e-3, atol=1e-4)


def test_smoothgrad_is_saliency_without_noise_and_reproducible() -> None:
    model, x = make("cnn", batch=2, size=16)
    sal = E.Saliency(model).attribute(x, target=1)
    torch.testing.assert_close(E.SmoothGrad(model).attribute(x, target=1, nt_samples=3, stdevs=0.0), sal)
    a = E.SmoothGrad(model).attribute(x, target=1, seed=7)
    b = E.SmoothGrad(model, budget_mb=2).attribute(x, target=1, seed=7)  # other chunking, same noise
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, sal)


def test_gradcam_picks_last_spatial_layer_and_handles_vit() -> None:
    model, x = make("resnet18", batch=1, size=64)
    ex = E.explain(model, x, method="gradcam")
    assert ex.layer == "layer4" and ex.attributions.shape == (1, 1, 64, 64)
    vit, xv = make("vit", batch=2)
    gc = E.GradCAM(vit)
    cam = gc.attribute(xv, target=0, upsample=None)
    assert gc.layer_name == "blocks.1.norm1" and cam.shape == (2, 1, 8, 8)
    assert (cam.abs().sum(dim=(2, 3)) > 0).all()


def chunk_sizes(model: torch.nn.Module, run: Any) -> list[int]:
    sizes: list[int] = []
    handle = model.register_forward_pre_hook(lambda m, a: sizes.append(len(a[0])))
    try:
        run()
    finally:
        handle.remove()
    return sizes


def test_chunks_stay_under_budget_and_do_not_change_results() -> None:
    model, x = make("cnn", batch=8, size=16)
    small_budget = 1.0
    sizes = chunk_sizes(model, lambda: E.IntegratedGradients(model, budget_mb=small_budget).attribute(
        x, target=2, n_steps=10))
    assert sum(sizes) == 80 and len(sizes) > 2  # no probe pass: every row is real work
    with measuring(model, 2**40, sizes[0], x[0].nbytes) as meter, torch.enable_grad():
        model(x[:1].repeat(sizes[0], 1, 1, 1).requires_grad_(True))
    limit = int(small_budget * 2**20) // meter.row_cost()
    assert 1 < limit < 80 and max(sizes[1:]) <= limit and max(sizes[1:]) - min(sizes[1:]) <= 1  # even chunks
    fresh, _ = make("cnn", batch=8, size=16)
    fresh.load_state_dict(model.state_dict())
    big = E.IntegratedGradients(fresh, budget_mb=10_000)
    assert chunk_sizes(fresh, lambda: big.attribute(x, target=2, n_steps=10)) == [FIRST_ROWS, 80 - FIRST_ROWS]
    # the row cost is known now: the next call on this model splits all its rows at once
    assert chunk_sizes(fresh, lambda: big.attribute(x, target=2, n_steps=10)) == [80]
    assert chunk_sizes(fresh, lambda: big.attribute(x[:, :, :8, :8], target=2, n_steps=10)) == [FIRST_ROWS, 16]
    # a model edited in place (a layer swapped for another) is measured again
    name, child = next((n, c) for n, c in fresh.named_modules() if isinstance(c, torch.nn.Conv2d))
    parent = fresh.get_submodule(name.rpartition(".")[0]) if "." in name else fresh
    setattr(parent, name.rpartition(".")[2], torch.nn.Sequential(child, torch.nn.Identity()))
    assert chunk_sizes(fresh, lambda: big.attribute(x, target=2, n_steps=10)) == [FIRST_ROWS, 80 - FIRST_ROWS]
    small = E.IntegratedGradients(model, budget_mb=small_budget).attribute(x, target=2, n_steps=10)
    torch.testing.assert_close(small, big.attribute(x, target=2, n_steps=10), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", ["saliency", "gradcam"])
def test_predicted_class_and_probabilities_come_from_the_methods_own_forward_pass(method: str) -> None:
    model, x = make("cnn", batch=3, size=16)
    sizes = chunk_sizes(model, lambda: E.explain(model, x, method=method, layer="features" if method == "gradcam"
                                                 else None))
    assert sizes == [3]  # one forward pass: no probe, no separate pass for the targets or the probabilities


def test_first_chunk_over_budget_runs_again_as_one_row() -> None:
    torch.manual_seed(0)  # 40 bytes in, ~160 kB of activations a row: 64 rows do not fit in 1 MB
    model = torch.nn.Sequential(torch.nn.Linear(10, 20_000), torch.nn.ReLU(), torch.nn.Linear(20_000, 3)).eval()
    x = torch.randn(64, 10)
    sizes = chunk_sizes(model, lambda: E.Saliency(model, budget_mb=1).attribute(x, target=1))
    assert sizes[0] == 64 and sizes[1] == 1 and sum(sizes[1:]) == 64  # stopped mid-forward, then measured on one row
    assert max(sizes[2:]) < 10
    assert_clean(model)  # the stopped chunk's hooks came off
    torch.testing.assert_close(E.Saliency(model, budget_mb=1).attribute(x, target=1),
                               E.Saliency(model).attribute(x, target=1), rtol=1e-5, atol=1e-7)
    with pytest.raises(OverBudget), measuring(model, 2**20, 64, x[0].nbytes), torch.enable_grad():
        model(x.clone().requires_grad_(True))


def test_meter_counts_saved_activations_not_parameters() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(100, 1000), torch.nn.ReLU(), torch.nn.Linear(1000, 10))
    x = torch.randn(8, 100, requires_grad=True)
    with measuring(model, 2**40, 8, 400) as meter:
        model(x).sum().backward()
    # saved: x, the first layer's output (ReLU's output shares nothing else), 8 x 1000 floats each at most
    assert 8 * 1000 * 4 <= meter.saved <= 8 * 100 * 4 + 2 * 8 * 1000 * 4
    assert meter.largest == 8 * 1000 * 4


def test_even_chunks() -> None:
    assert list(even_chunks(0, 10, 4)) == [(0, 3), (3, 6), (6, 10)]
    assert list(even_chunks(64, 1600, 163)) == [(64 + 1536 * i // 10, 64 + 1536 * (i + 1) // 10) for i in range(10)]
    assert list(even_chunks(5, 5, 3)) == []


def test_parameters_flags_and_saved_tensor_checks_survive() -> None:
    model, x = make("cnn", batch=2, size=16)
    model.classifier[1].weight.requires_grad_(False)
    for method in E.METHODS:
        opts = {"n_steps": 4} if method == "integrated_gradients" else {}
        E.explainer(model, method).attribute(x, target=1, **opts)
    assert [p.requires_grad for p in model.parameters()] == [p is not model.classifier[1].weight
                                                            for p in model.parameters()]

    class InPlace(torch.nn.Module):  # modifies a tensor that autograd saved: must raise, measured or not
        def forward(self, z: torch.Tensor) -> torch.Tensor:
            y = z * 2
            out = (y * y).sum(dim=(2, 3))
            y.add_(1)
            return out.reshape(len(z), -1)

    for budget in (None, 10_000):
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            E.Saliency(InPlace(), budget_mb=budget).attribute(x, target=0)


def test_feature_maps_filters_topk() -> None:
    model, x = make("cnn", batch=3, size=16)
    fm = E.feature_maps(model, x[1], layer="features.3")
    with torch.no_grad():
        expected = model.features[:4](x[1:2])[0]
    np.testing.assert_allclose(fm.maps, expected.numpy(), rtol=1e-6)
    assert fm.layer == "features.3" and fm.shape == [32, 8, 8]
    top = E.feature_maps(model, x[1], layer="features.3", sort="mean", max_channels=4)
    assert top.means == sorted(expected.mean(dim=(1, 2)).tolist(), reverse=True)[:4]
    f = E.filters(model)
    assert f.layer == "features.0" and f.weights.shape == (16, 3, 3, 3) and f.rgb
    assert f.tiles().shape == (16, 3, 3, 3) and f.tiles().max() == pytest.approx(1)
    tk = E.topk(model, x, k=3, labels=[0, 1, 2])
    p, i = torch.softmax(model(x), 1).topk(3)
    assert tk.indices == i.tolist()
    np.testing.assert_allclose(tk.probs, p.tolist(), rtol=1e-6)
    for rec in (fm, f, tk):
        assert type(rebuild(rec.kind, *rec.to_dict())) is type(rec)
        rec.figure()


def test_detections_threshold_classes_and_masks(tmp_path) -> None:
    img = np.zeros((40, 40, 3), np.uint8)
    mask = np.zeros((2, 40, 40), bool)
    mask[1, 25:35, 25:35] = True
    rec = E.detections(img, boxes=torch.tensor([[2, 2, 12, 12], [22, 22, 38, 38]]), labels=["cat", "dog"],
                       scores=[0.9, 0.3], masks=mask)
    assert rec.class_names == ["cat", "dog"] and rec.visible() == [0, 1]
    assert rec.visible(score_threshold=0.5) == [0] and rec.visible(classes=["dog"]) == [1]
    full, high = rec.render(), rec.render(score_threshold=0.5)
    assert full[30, 30].any() and not high[30, 30].any()  # the dog's mask only below the threshold
    assert full[2, 7].any() and high[2, 7].any()  # the cat's box edge in both
    back = rebuild(rec.kind, *rec.to_dict())
    np.testing.assert_array_equal(back.masks, rec.masks)
    assert rec.png()[:4] == b"\x89PNG" and rec.save(tmp_path / "d.png").exists()
    with pytest.raises(ValueError, match="labels"):
        E.detections(img, boxes=[[0, 0, 1, 1]], labels=[0, 1])


def test_default_budget_per_device(monkeypatch: pytest.MonkeyPatch) -> None:
    from torchscope.explain._budget import budget_bytes, default_budget_mb
    monkeypatch.delenv("TORCHSCOPE_EXPLAIN_BUDGET_MB", raising=False)
    assert budget_bytes(None) == budget_bytes(None, "cpu") == 384 * 2**20
    assert budget_bytes(100) == 100 * 2**20
    monkeypatch.setenv("TORCHSCOPE_EXPLAIN_BUDGET_MB", "50")
    assert budget_bytes(None, "cpu") == 50 * 2**20
    with pytest.raises(ValueError, match="positive"):
        budget_bytes(0)
    if torch.cuda.is_available():
        total = torch.cuda.get_device_properties(0).total_memory / 2**20
        assert default_budget_mb("cuda") == min(2048.0, max(384.0, total / 40))
