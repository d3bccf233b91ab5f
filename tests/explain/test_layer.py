"""Token attributions at the embedding layer: parity with Captum's LayerIntegratedGradients and
LayerGradientXActivation (to 1e-5) on a plain PyTorch classifier, a Hugging Face BERT classifier with
padding, and GPT-2 / Llama-style language models explained at their last position; occlusion of token ids."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from torchscope.explain import LayerIntegratedGradients, LayerSaliency, LayerSmoothGrad, Occlusion
from torchscope.explain.layer import embedding_layer

from .hf import hf_model, token_ids
from .models import make_other
from .test_parity import close

captum_attr = pytest.importorskip("captum.attr")


def case(name: str) -> tuple[torch.nn.Module, Any, torch.nn.Module, torch.Tensor, dict[str, Any], int | None]:
    """(model, Captum's forward function, embedding layer, ids, model kwargs, position)."""
    if name == "plain":
        model, ids = make_other("tokens")
        return model, model, model.embed, ids, {}, None
    model = hf_model(name)
    ids = token_ids(batch=3)
    if name == "bert":
        mask = torch.ones_like(ids)
        mask[2, 6:] = 0  # a padded sample
        return model, lambda i, m: model(i, attention_mask=m).logits, model.bert.embeddings.word_embeddings, ids, \
            {"attention_mask": mask}, None
    return model, lambda i: model(i).logits[:, -1], model.get_input_embeddings(), ids, {}, -1


CASES = ["plain", "bert", "gpt2", "llama"]
TARGET = torch.tensor([2, 0, 1])


@pytest.mark.parametrize("name", CASES)
def test_layer_integrated_gradients_matches_captum(name: str) -> None:
    model, fn, layer, ids, kwargs, position = case(name)
    ours = LayerIntegratedGradients(model, budget_mb=0.5, position=position).attribute(ids, TARGET,
                                                                                      model_kwargs=kwargs)
    ref = captum_attr.LayerIntegratedGradients(fn, layer).attribute(
        ids, target=TARGET, additional_forward_args=tuple(kwargs.values()) or None)
    close(ours, ref)


@pytest.mark.parametrize("name", ["plain", "bert"])
def test_layer_integrated_gradients_baseline_ids_and_rule(name: str) -> None:
    model, fn, layer, ids, kwargs, position = case(name)
    base = torch.full_like(ids, 3)
    ours = LayerIntegratedGradients(model, position=position).attribute(
        ids, TARGET, model_kwargs=kwargs, baselines=base, n_steps=11, method="riemann_middle")
    ref = captum_attr.LayerIntegratedGradients(fn, layer).attribute(
        ids, baselines=base, target=TARGET, additional_forward_args=tuple(kwargs.values()) or None, n_steps=11,
        method="riemann_middle")
    close(ours, ref)


@pytest.mark.parametrize("name", CASES)
def test_layer_saliency_matches_captum(name: str) -> None:
    model, fn, layer, ids, kwargs, position = case(name)
    ours = LayerSaliency(model, budget_mb=0.05, position=position).attribute(ids, TARGET, model_kwargs=kwargs,
                                                                             abs=False)
    ref = captum_attr.LayerGradientXActivation(fn, layer, multiply_by_inputs=False).attribute(
        ids, target=TARGET, additional_forward_args=tuple(kwargs.values()) or None)
    close(ours, ref)
    close(LayerSaliency(model, position=position).attribute(ids, TARGET, model_kwargs=kwargs), ref.abs())


def test_token_occlusion_matches_captum() -> None:
    model, ids = make_other("tokens")
    ours = Occlusion(model, budget_mb=0.05).attribute(ids, TARGET, sliding_window_shapes=(2,), strides=(1,),
                                                      baselines=0)
    ref = captum_attr.Occlusion(model).attribute(ids, target=TARGET, sliding_window_shapes=(2,), strides=(1,),
                                                 baselines=0)
    close(ours, ref.float())


def test_completeness_smoothgrad_and_layer_choice() -> None:
    model, ids = make_other("tokens")
    attr = LayerIntegratedGradients(model).attribute(ids, target=1, n_steps=300)
    with torch.no_grad():
        gap = model(ids)[:, 1] - model(torch.zeros_like(ids))[:, 1]
    torch.testing.assert_close(attr.sum(dim=(1, 2)), gap, rtol=3e-3, atol=1e-4)  # Sundararajan et al.'s axiom
    sal = LayerSaliency(model).attribute(ids, target=1)
    torch.testing.assert_close(LayerSmoothGrad(model).attribute(ids, target=1, nt_samples=3, stdevs=0.0), sal)
    a = LayerSmoothGrad(model).attribute(ids, target=1, seed=3)
    torch.testing.assert_close(a, LayerSmoothGrad(model, budget_mb=0.02).attribute(ids, target=1, seed=3))
    assert not torch.allclose(a, sal)
    assert embedding_layer(model)[0] == "embed"
    assert embedding_layer(hf_model("bert"))[0] == "bert.embeddings.word_embeddings"
    with pytest.raises(ValueError, match=r"no nn\.Embedding"):
        embedding_layer(torch.nn.Linear(3, 2))
