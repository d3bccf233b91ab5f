"""Parity with Captum beyond images: tabular MLPs (BatchNorm + residual, LayerNorm + GELU), a 1-D
convolutional network, an LSTM and a transformer encoder over sequences.

Same tolerance as test_parity.py: 1e-5 relative (of the reference's norm and of its largest
magnitude), several chunks on our side.
"""

from __future__ import annotations

import pytest
import torch

from torchscope.explain import GradCAM, IntegratedGradients, Occlusion, Saliency

from .models import make_other
from .test_parity import close

captum_attr = pytest.importorskip("captum.attr")

MODELS = ["residual_mlp", "norm_mlp", "conv1d", "lstm", "transformer"]
TARGET = torch.tensor([1, 0, 2])


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("absolute", [True, False])
def test_saliency(name: str, absolute: bool) -> None:
    model, x = make_other(name)
    ours = Saliency(model, budget_mb=0.05).attribute(x, TARGET, abs=absolute)
    close(ours, captum_attr.Saliency(model).attribute(x.clone(), target=TARGET, abs=absolute))


@pytest.mark.parametrize("name", MODELS)
def test_integrated_gradients(name: str) -> None:
    model, x = make_other(name)
    ours = IntegratedGradients(model, budget_mb=0.5).attribute(x, TARGET)  # several chunks
    close(ours, captum_attr.IntegratedGradients(model).attribute(x.clone(), target=TARGET))


def test_integrated_gradients_baseline_and_rule_on_an_lstm() -> None:
    model, x = make_other("lstm")
    base = torch.full_like(x, 0.2)
    ours = IntegratedGradients(model).attribute(x, TARGET, baselines=base, n_steps=9, method="riemann_trapezoid")
    ref = captum_attr.IntegratedGradients(model).attribute(x.clone(), baselines=base, target=TARGET, n_steps=9,
                                                           method="riemann_trapezoid")
    close(ours, ref)


@pytest.mark.parametrize(("name", "window", "strides"), [
    ("residual_mlp", (1,), (1,)), ("norm_mlp", (3,), (2,)), ("conv1d", (4, 3), (4, 2)), ("lstm", (2, 5), (1, 5)),
    ("transformer", (1, 1), (1, 1))])
def test_occlusion(name: str, window: tuple[int, ...], strides: tuple[int, ...]) -> None:
    model, x = make_other(name)
    kw = {"sliding_window_shapes": window, "strides": strides}
    ours = Occlusion(model, budget_mb=0.05).attribute(x, TARGET, **kw)
    close(ours, captum_attr.Occlusion(model).attribute(x.clone(), target=TARGET, **kw), rel=2e-5)


@pytest.mark.parametrize(("relu", "mode"), [(False, "nearest"), (True, "linear"), (False, None)])
def test_gradcam_on_a_1d_convolution(relu: bool, mode: str | None) -> None:
    model, x = make_other("conv1d")
    gc = GradCAM(model, budget_mb=0.05)
    ours = gc.attribute(x, TARGET, relu=relu, upsample=mode)
    assert gc.layer_name == "features"  # the last 1-D feature map after the convolutions
    ref = captum_attr.LayerGradCam(model, model.features).attribute(x.clone(), target=TARGET,
                                                                       relu_attributions=relu)
    if mode is not None:
        ref = captum_attr.LayerAttribution.interpolate(ref, (x.shape[2],), interpolate_mode=mode)
    close(ours, ref)
