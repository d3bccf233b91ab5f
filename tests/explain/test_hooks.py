"""Hooks come off and modes come back, after success and after an exception raised inside the model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn
from torch.nn.modules import module as nn_module

import torchscope.explain as E

from .models import Exploding, make

FAST = {"smoothgrad": {"nt_samples": 2}, "integrated_gradients": {"n_steps": 4}}
CALLS: dict[str, Callable[[nn.Module, torch.Tensor], Any]] = {
    **{m: (lambda model, x, m=m: E.explain(model, x, method=m, **FAST.get(m, {}))) for m in E.METHODS},
    "feature_maps": lambda model, x: E.feature_maps(model, x[0]),
    "topk": lambda model, x: E.topk(model, x),
}


def assert_clean(model: nn.Module) -> None:
    for name, m in model.named_modules():
        for attr in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks"):
            assert not getattr(m, attr), f"{name or 'model'}.{attr} left behind"
    assert not nn_module._global_forward_hooks and not nn_module._global_backward_hooks


@pytest.mark.parametrize("fail_on", [None, 1, 2, 4])
@pytest.mark.parametrize("call", list(CALLS))
def test_hooks_removed(call: str, fail_on: int | None) -> None:
    inner, x = make("cnn", batch=2, size=16)
    model = Exploding(inner, fail_on=fail_on or 10**9)
    model.train()
    inner.features.eval()  # a mixed mode that must come back as it was
    if fail_on is None:
        CALLS[call](model, x)
    else:
        try:
            CALLS[call](model, x)
        except RuntimeError as exc:
            assert "boom" in str(exc)
        else:  # a verb that calls the model fewer times never reaches the failure
            assert model.calls < fail_on
    assert_clean(model)
    assert model.training and inner.classifier.training and not inner.features.training


def test_gradcam_failure_inside_hooked_layer_cleans_up() -> None:
    model, x = make("resnet18", batch=2)

    def bad(mod: nn.Module, args: Any) -> None:
        raise RuntimeError("boom in layer4")

    with pytest.raises(RuntimeError, match="boom in layer4"):
        handle = model.layer4.register_forward_pre_hook(bad)
        try:
            E.explain(model, x, method="gradcam", layer="layer4")
        finally:
            handle.remove()
    assert_clean(model)


def test_repeated_calls_do_not_grow_memory() -> None:
    """Nothing is kept between calls (no cache, no graph cycle): the live tensor count is flat over a loop."""
    import gc

    model, x = make("cnn", batch=2, size=16)

    def live() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, torch.Tensor))

    for method in E.METHODS:
        E.explain(model, x, method=method, **FAST.get(method, {}))
    before = live()
    for _ in range(3):
        for method in E.METHODS:
            E.explain(model, x, method=method, **FAST.get(method, {}))
    assert live() <= before


OTHER_CALLS = [("tokens", m) for m in ("saliency", "smoothgrad", "integrated_gradients", "occlusion")] + [
    ("conv1d", "gradcam"), ("lstm", "integrated_gradients"), ("residual_mlp", "occlusion")]


@pytest.mark.parametrize("fail_on", [None, 1, 2, 3])
@pytest.mark.parametrize(("name", "method"), OTHER_CALLS)
def test_hooks_removed_beyond_images(name: str, method: str, fail_on: int | None) -> None:
    from .models import make_other

    inner, x = make_other(name, batch=2)
    model = Exploding(inner, fail_on=fail_on or 10**9)
    model.train()
    try:
        E.explain(model, x, method=method, **FAST.get(method, {}))
    except RuntimeError as exc:
        assert "boom" in str(exc) and fail_on is not None
    assert_clean(model)
    assert model.training and all(m.training for m in inner.modules())
    assert all(p.requires_grad for p in model.parameters())
