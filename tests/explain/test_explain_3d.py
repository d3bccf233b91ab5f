"""Explanations of 3-D convolutional networks (inputs N x C x D x H x W): parity with Captum for every
method, the ``explain.volume`` record, its hand-over to the volume viewer, and the errors on bad input.

Parity is to the 2-D tests' tolerance (1e-5 of the reference's norm and of its largest magnitude;
occlusion 2e-5). SmoothGrad draws Captum's noise: with the same seed, ``NoiseTunnel`` draws its
``N * nt_samples`` noisy copies from the global generator in the same order as ours.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.modules import module as nn_module

import torchscope.explain as E
from tests.conftest import ROOT
from torchscope.explain._inputs import detect
from torchscope.records import rebuild

from .models import Exploding, make

captum_attr = pytest.importorskip("captum.attr")

TARGET = torch.tensor([1, 3])
FAST = {"smoothgrad": {"nt_samples": 2}, "integrated_gradients": {"n_steps": 4}}


class Net3D(nn.Module):
    """A small 3-D classifier: two convolutions (batch norm between), pooling, a linear head."""

    def __init__(self, channels: int = 2, classes: int = 4) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv3d(channels, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(), nn.MaxPool3d(2),
            nn.Conv3d(4, 8, 3, padding=1), nn.ReLU())
        self.head = nn.Sequential(nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(8, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def net3d(batch: int = 2, channels: int = 2, size: tuple[int, ...] = (8, 12, 10)) -> tuple[nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    model = Net3D(channels)
    bn = model.features[1]
    bn.running_mean.uniform_(-0.2, 0.2)
    bn.running_var.uniform_(0.5, 1.5)
    return model.eval(), torch.randn(batch, channels, *size)


def close(ours: torch.Tensor, ref: torch.Tensor, rel: float = 1e-5) -> float:
    ref = ref.detach()
    assert ours.shape == ref.shape
    diff = float((ours - ref).abs().max())
    assert float((ours - ref).norm()) <= rel * float(ref.norm()) + 1e-12
    assert diff <= rel * float(ref.abs().max()) + 1e-12
    return diff


# -- parity with Captum -------------------------------------------------------------------------------
@pytest.mark.parametrize("absolute", [True, False])
def test_saliency(absolute: bool) -> None:
    model, x = net3d()
    ours = E.Saliency(model, budget_mb=0.02).attribute(x, TARGET, abs=absolute)  # one sample per chunk
    close(ours, captum_attr.Saliency(model).attribute(x.clone(), target=TARGET, abs=absolute))


def test_integrated_gradients() -> None:
    model, x = net3d()
    ours = E.IntegratedGradients(model, budget_mb=2).attribute(x, TARGET)  # several chunks of steps
    close(ours, captum_attr.IntegratedGradients(model).attribute(x.clone(), target=TARGET))
    base = torch.full_like(x, 0.3)
    ours = E.IntegratedGradients(model).attribute(x, TARGET, baselines=base, n_steps=7, method="riemann_trapezoid")
    ref = captum_attr.IntegratedGradients(model).attribute(x.clone(), baselines=base, target=TARGET, n_steps=7,
                                                           method="riemann_trapezoid")
    close(ours, ref)


@pytest.mark.parametrize("budget_mb", [None, 0.5])
def test_smoothgrad_draws_captums_noise(budget_mb: float | None) -> None:
    model, x = net3d()
    ours = E.SmoothGrad(model, budget_mb=budget_mb).attribute(x, TARGET, nt_samples=4, stdevs=0.3, seed=11)
    torch.manual_seed(11)
    ref = captum_attr.NoiseTunnel(captum_attr.Saliency(model)).attribute(
        x.clone(), nt_type="smoothgrad", nt_samples=4, stdevs=0.3, target=TARGET)
    close(ours, ref)


@pytest.mark.parametrize(("relu", "mode"), [(False, "nearest"), (True, "trilinear"), (False, None)])
def test_gradcam(relu: bool, mode: str | None) -> None:
    model, x = net3d()
    gc = E.GradCAM(model, budget_mb=0.05)
    ours = gc.attribute(x, TARGET, relu=relu, upsample=mode)
    assert gc.layer_name == "features"  # the last 3-D feature map after the convolutions
    ref = captum_attr.LayerGradCam(model, model.features).attribute(x.clone(), target=TARGET, relu_attributions=relu)
    if mode is not None:
        ref = captum_attr.LayerAttribution.interpolate(ref, tuple(x.shape[2:]), interpolate_mode=mode)
    close(ours, ref)


def test_gradcam_explicit_layer_and_bilinear_means_trilinear() -> None:
    model, x = net3d()
    ours = E.GradCAM(model, layer="features.0").attribute(x, TARGET)  # the default "bilinear": trilinear here
    ref = captum_attr.LayerGradCam(model, model.features[0]).attribute(x.clone(), target=TARGET)
    close(ours, captum_attr.LayerAttribution.interpolate(ref, tuple(x.shape[2:]), interpolate_mode="trilinear"))


@pytest.mark.parametrize(("window", "strides", "budget_mb"), [((2, 3, 4, 4), (2, 2, 3, 3), 2), ((2, 2, 2, 2), 2, None)])
def test_occlusion(window: tuple[int, ...], strides: Any, budget_mb: float | None) -> None:
    model, x = net3d()
    kw = {"sliding_window_shapes": window, "strides": strides}
    ours = E.Occlusion(model, budget_mb=budget_mb).attribute(x, TARGET, **kw)
    ref = captum_attr.Occlusion(model).attribute(x.clone(), target=TARGET, perturbations_per_eval=32, **kw)
    close(ours, ref, rel=2e-5)


def test_occlusion_default_window_is_a_quarter_of_each_side() -> None:
    model, x = net3d()
    ex = E.explain(model, x, TARGET, method="occlusion")
    kw = {"sliding_window_shapes": (2, 2, 3, 3), "strides": (2, 1, 2, 2)}  # ceil(side / 4), half of it
    ref = captum_attr.Occlusion(model).attribute(x.clone(), target=TARGET, perturbations_per_eval=32, **kw)
    close(torch.from_numpy(ex.attributions), ref, rel=2e-5)


# -- ts.explain on volumes: the record ---------------------------------------------------------------
def test_detects_volumes() -> None:
    model, x = net3d()
    assert detect(model, x) == ("volume", None)
    assert detect(model, x[0]) == ("volume", None)  # one C x D x H x W volume: the first layer is a Conv3d
    assert detect(nn.Sequential(nn.Flatten(), nn.Linear(2 * 8 * 12 * 10, 3)), x) == ("volume", None)
    assert detect(make("cnn")[0], torch.randn(2, 3, 16, 16)) == ("image", None)


@pytest.mark.parametrize("method", list(E.METHODS))
def test_explain_gives_a_volume_record(method: str, tmp_path) -> None:
    model, x = net3d()
    ex = E.explain(model, x, method=method, class_names=["a", "b", "c", "d"], **FAST.get(method, {}))
    assert isinstance(ex, E.VolumeAttribution) and len(ex) == 2
    channels = 1 if method == "gradcam" else 2
    assert ex.attributions.shape == (2, channels, 8, 12, 10) and ex.attributions.dtype == np.float32
    np.testing.assert_array_equal(ex.inputs, x.numpy())
    assert ex.predictions == model(x).argmax(1).tolist() == ex.targets
    assert ex.layer == ("features" if method == "gradcam" else "")
    assert ex.sign == ("positive" if method == "gradcam" else "absolute") and not ex.signed
    assert ex.map(0).shape == (8, 12, 10) and ex.maps.shape == (2, 8, 12, 10)
    np.testing.assert_allclose(ex.maps[1], ex.attributions[1].sum(0), rtol=1e-6)
    heat = ex.heat_map(1)
    assert heat.min() >= 0 and heat.max() == 1
    d, h, w = ex.peak(1)
    assert heat[d, h, w] == 1
    back = rebuild(ex.kind, *ex.to_dict())
    assert type(back) is E.VolumeAttribution and back.to_json() == ex.to_json()
    np.testing.assert_array_equal(back.attributions, ex.attributions)
    assert ex.save(tmp_path / "x.png").stat().st_size > 3000
    assert "torchscope-record" in ex._repr_html_()


def test_record_matches_the_method_classes() -> None:
    model, x = net3d()
    ex = E.explain(model, x, TARGET, method="ig", n_steps=10, sign="all")
    ref = E.IntegratedGradients(model).attribute(x, TARGET, n_steps=10)
    np.testing.assert_allclose(ex.attributions, ref.numpy(), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ex.map(0), ref[0].sum(0).numpy(), rtol=1e-5, atol=1e-7)
    assert ex.signed and ex.heat_map(0).min() < 0 and ex.targets == TARGET.tolist()
    probs = torch.softmax(model(x), 1)
    np.testing.assert_allclose(ex.target_probs, probs.gather(1, TARGET[:, None])[:, 0].detach(), rtol=1e-5)


def test_gradcam_at_layer_resolution_is_upsampled_trilinearly_in_the_record() -> None:
    model, x = net3d()
    ex = E.explain(model, x, TARGET, method="gradcam", upsample=None)
    cam = E.GradCAM(model).attribute(x, TARGET, upsample=None)
    assert cam.shape == (2, 1, 4, 6, 5)
    up = torch.nn.functional.interpolate(cam, size=(8, 12, 10), mode="trilinear", align_corners=False)
    np.testing.assert_allclose(ex.attributions, up.numpy(), rtol=1e-6, atol=1e-8)


def test_one_volume_and_display_volumes() -> None:
    model, x = net3d(batch=1)
    ex = E.explain(model, x[0], method="saliency")  # C x D x H x W
    assert ex.attributions.shape == (1, 2, 8, 12, 10)
    shown = torch.rand(1, 8, 12, 10)  # what to show under the map: N x D x H x W
    ex = E.explain(model, x, method="saliency", images=shown)
    assert ex.inputs.shape == (1, 1, 8, 12, 10)
    np.testing.assert_array_equal(ex.inputs[:, 0], shown.numpy())
    with pytest.raises(ValueError, match=r"images must be N x C x D x H x W"):
        E.explain(model, x, method="saliency", images=torch.rand(1, 8, 12))


def test_volume_hands_the_map_to_the_viewer() -> None:
    model, x = net3d()
    ex = E.explain(model, x, TARGET, method="gradcam", class_names=["a", "b", "c", "d"])
    vol = ex.volume(1)
    assert vol.kind == "volume" and vol.heat_method == "gradcam" and vol.title == ex.caption(1)
    assert "target d" in vol.title and not vol.heat_signed
    assert vol.heat.shape == (10, 12, 8)  # RAS+ (x, y, z): W across, H down, D up
    sal = E.explain(model, x, TARGET, method="saliency")
    d, h, w = sal.peak(1)
    assert sal.volume(1).heat[10 - 1 - w, 12 - 1 - h, d] == 255  # the peak, where ts.volume puts voxel (d, h, w)
    np.testing.assert_array_equal(vol.image[0], x[1, 0].numpy().transpose(2, 1, 0)[::-1, ::-1])
    spaced = ex.volume(0, affine=np.diag([2.0, 1.0, 1.0, 1.0]), labels=np.zeros((8, 12, 10), np.uint8))
    assert spaced.spacing[0] == 2.0 and spaced.labels is not None
    with pytest.raises(IndexError, match="outside the batch of 2"):
        ex.volume(2)


# -- bad input ----------------------------------------------------------------------------------------
def test_errors_name_the_argument_and_what_is_accepted() -> None:
    model, x = net3d()
    with pytest.raises(ValueError, match=r"5 dimensions.*no 3-D convolution.*Conv2d"):
        E.explain(make("cnn")[0], torch.randn(1, 3, 4, 16, 16))
    with pytest.raises(ValueError, match=r"N x C x D x H x W.*layer='head.2' gives \(2, 4\)"):
        E.explain(model, x, method="gradcam", layer="head.2")
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(2 * 8 * 12 * 10, 3))
    with pytest.raises(ValueError, match=r"Grad-CAM on volumes needs a 3-D convolution.*'ig'"):
        E.explain(mlp, x, method="gradcam")
    with pytest.raises(ValueError, match=r"sliding_window_shapes \(1, 4, 4\).*4 numbers, \(C, d, h, w\) for volumes"):
        E.explain(model, x, method="occlusion", sliding_window_shapes=(1, 4, 4))
    with pytest.raises(ValueError, match=r"strides \(1, 2\).*\(C, d, h, w\)"):
        E.explain(model, x, method="occlusion", sliding_window_shapes=(1, 4, 4, 4), strides=(1, 2))
    with pytest.raises(ValueError, match=r"upsample must be one of .*for volumes"):
        E.explain(model, x, method="gradcam", upsample="bicubic")
    seg = nn.Sequential(nn.Conv3d(2, 8, 3, padding=1), nn.ReLU(), nn.Conv3d(8, 3, 1))  # N x 3 x D x H x W scores
    for method in ("gradcam", "ig"):
        with pytest.raises(ValueError, match=r"shape \(2, 3, 8, 12, 10\).*segmentation.*one score per class"):
            E.explain(seg, x, method=method)
    with pytest.raises(ValueError, match="volumes are N x C x D x H x W"):
        E.explain(model, torch.randn(2, 8, 12), kind="volume", method="saliency")


# -- hooks come off, modes come back ------------------------------------------------------------------
@pytest.mark.parametrize("fail_on", [None, 1, 2])
@pytest.mark.parametrize("method", list(E.METHODS))
def test_hooks_removed(method: str, fail_on: int | None) -> None:
    inner, x = net3d()
    model = Exploding(inner, fail_on=fail_on or 10**9)
    model.train()
    inner.features.eval()
    try:
        E.explain(model, x, method=method, **FAST.get(method, {}))
    except RuntimeError as exc:
        assert fail_on is not None and "boom" in str(exc)
    for name, m in model.named_modules():
        for attr in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks"):
            assert not getattr(m, attr), f"{name or 'model'}.{attr} left behind"
    assert not nn_module._global_forward_hooks and not nn_module._global_backward_hooks
    assert model.training and inner.head.training and not inner.features.training
    assert all(p.requires_grad for p in model.parameters())


def test_the_docs_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "docs/explain.md").read_text(encoding="utf-8")
    section = text[text.index("## Explain volumes: 3-D networks"):text.index("## What the records hold")]
    code = "\n".join(re.findall(r"```python\n(.*?)```", section, re.S))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TORCHSCOPE_DIR", raising=False)
    monkeypatch.delenv("TORCHSCOPE_STORE", raising=False)
    exec(compile(code, "docs/explain.md", "exec"), {})
    assert (tmp_path / "gradcam3d.png").stat().st_size > 3000 and (tmp_path / "gradcam3d.html").exists()
    assert (tmp_path / "tsruns").is_dir()
