"""Parity with Captum on the same models and inputs: saliency, Integrated Gradients, Grad-CAM, occlusion.

Agreement is to 1e-5 relative (of the reference's norm, and of its largest magnitude elementwise);
the only differences are float32 summation orders (chunks vs one expanded batch).
"""

from __future__ import annotations

import pytest
import torch

from torchscope.explain import GradCAM, IntegratedGradients, Occlusion, Saliency

from .models import make

captum_attr = pytest.importorskip("captum.attr")

MODELS = ["cnn", "resnet18", "vit"]
TARGET = torch.tensor([1, 7, 3])


def close(ours: torch.Tensor, ref: torch.Tensor, rel: float = 1e-5) -> None:
    ref = ref.detach()
    assert ours.shape == ref.shape
    assert float((ours - ref).norm()) <= rel * float(ref.norm()) + 1e-12
    assert float((ours - ref).abs().max()) <= rel * float(ref.abs().max()) + 1e-12


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("absolute", [True, False])
def test_saliency(name: str, absolute: bool) -> None:
    model, x = make(name, batch=3)
    ours = Saliency(model, budget_mb=2).attribute(x, TARGET, abs=absolute)
    close(ours, captum_attr.Saliency(model).attribute(x.clone(), target=TARGET, abs=absolute))


@pytest.mark.parametrize("name", MODELS)
def test_integrated_gradients_defaults(name: str) -> None:
    model, x = make(name, batch=3)
    ours = IntegratedGradients(model, budget_mb=4).attribute(x, TARGET)  # several chunks
    close(ours, captum_attr.IntegratedGradients(model).attribute(x.clone(), target=TARGET))


@pytest.mark.parametrize("method", ["riemann_trapezoid", "riemann_left", "riemann_middle"])
def test_integrated_gradients_rules_and_baseline(method: str) -> None:
    model, x = make("cnn", batch=2)
    base = torch.full_like(x, 0.3)
    ours = IntegratedGradients(model).attribute(x, TARGET[:2], baselines=base, n_steps=7, method=method)
    ref = captum_attr.IntegratedGradients(model).attribute(x.clone(), baselines=base, target=TARGET[:2], n_steps=7,
                                                           method=method)
    close(ours, ref)


@pytest.mark.parametrize("name", ["cnn", "resnet18"])
@pytest.mark.parametrize(("relu", "mode"), [(False, "nearest"), (True, "bilinear"), (False, None)])
def test_gradcam(name: str, relu: bool, mode: str | None) -> None:
    model, x = make(name, batch=3)
    gc = GradCAM(model, budget_mb=3)
    ours = gc.attribute(x, TARGET, relu=relu, upsample=mode)
    layer = dict(model.named_modules())[gc.layer_name]
    ref = captum_attr.LayerGradCam(model, layer).attribute(x.clone(), target=TARGET, relu_attributions=relu)
    if mode is not None:
        ref = captum_attr.LayerAttribution.interpolate(ref, tuple(x.shape[2:]), interpolate_mode=mode)
    close(ours, ref)


def test_gradcam_explicit_layer_matches_captum() -> None:
    model, x = make("resnet18", batch=2)
    ours = GradCAM(model, layer="layer2.1").attribute(x, TARGET[:2], upsample=None)
    close(ours, captum_attr.LayerGradCam(model, model.layer2[1]).attribute(x.clone(), target=TARGET[:2]))


@pytest.mark.parametrize("name", ["cnn", "vit"])
def test_occlusion(name: str) -> None:
    model, x = make(name, batch=2)
    kw = {"sliding_window_shapes": (3, 8, 8), "strides": (3, 4, 4)}
    ours = Occlusion(model, budget_mb=2).attribute(x, TARGET[:2], **kw)
    close(ours, captum_attr.Occlusion(model).attribute(x.clone(), target=TARGET[:2], **kw), rel=2e-5)
