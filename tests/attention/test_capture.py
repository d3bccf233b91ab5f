"""``ts.attention`` captures every layer and head, exactly, and leaves the model as it was.

Hugging Face models built from configs (BERT, GPT-2, a Llama-style model, T5, ViT): the maps equal
those of an eager copy of the model, the SDPA model is restored exactly. Plain PyTorch
(``nn.TransformerEncoder``, ``nn.Transformer``, a ViT of ``nn.MultiheadAttention`` blocks): the maps
equal ``nn.MultiheadAttention``'s own per-head weights on the same inputs, the caller gets what it
asked for, hooks and the fast-path flag come back. Bad input is an error that says what and why.
"""

from __future__ import annotations

import copy
import gc
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import torchscope as ts
from tests.explain.hf import hf_model, token_ids
from tests.explain.models import TinyViT, make
from tests.explain.test_hooks import assert_clean
from torchscope.records import rebuild

HF = {  # name: (inputs, {group: (causal, query length, key length)})
    "bert": (lambda: {"input_ids": token_ids(2, 7)}, {"self": (False, 7, 7)}),
    "gpt2": (lambda: token_ids(2, 7), {"self": (True, 7, 7)}),
    "llama": (lambda: token_ids(2, 7), {"self": (True, 7, 7)}),
    "t5": (lambda: {"input_ids": token_ids(2, 7), "decoder_input_ids": token_ids(2, 5, seed=2)},
           {"encoder": (False, 7, 7), "decoder": (True, 5, 5), "cross": (False, 5, 7)}),
    "vit": (lambda: torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0)), {"self": (False, 17, 17)}),
}


def config_state(model: nn.Module) -> list[Any]:
    """Every config, every module's hooks and attributes: what "restored exactly" compares."""
    configs = [copy.deepcopy(vars(m.config)) for m in model.modules() if hasattr(m, "config")]
    modules = [(m.training, {d: list(getattr(m, d)) for d in ("_forward_hooks", "_forward_pre_hooks")},
                sorted(k for k in vars(m) if not k.startswith("_")), "_output_capturing_hooks_installed" in vars(m))
               for m in model.modules()]
    return [configs, modules]


@pytest.mark.parametrize("name", list(HF))
def test_hugging_face_maps_are_the_eager_models_and_the_model_is_restored(name: str) -> None:
    model = hf_model(name)
    make_inputs, expected = HF[name]
    inputs = make_inputs()
    kwargs = inputs if isinstance(inputs, dict) else {"pixel_values" if name == "vit" else "input_ids": inputs}
    assert model.config._attn_implementation == "sdpa"
    before, training = config_state(model), model.training
    with torch.no_grad():
        out_before = model(**kwargs)
    rec = ts.attention(model, inputs, dtype="float32")
    assert config_state(model) == before and model.config._attn_implementation == "sdpa"
    assert model.training == training
    assert_clean(model)  # transformers' own output hooks, installed by the call, are gone too
    with torch.no_grad():
        assert not model(**kwargs, output_attentions=True).get("attentions")  # what SDPA gives: nothing
    with torch.no_grad():
        torch.testing.assert_close(model(**kwargs).logits, out_before.logits)  # same model, same numbers
    eager = copy.deepcopy(model)
    eager.set_attn_implementation("eager")
    with torch.no_grad():
        ref = eager(**kwargs, output_attentions=True)
    fields = {"self": "attentions", "encoder": "encoder_attentions", "decoder": "decoder_attentions",
              "cross": "cross_attentions"}
    assert [g.name for g in rec.groups] == list(expected)
    for g in rec.groups:
        causal, tq, tk = expected[g.name]
        assert g.causal == causal and g.maps.shape == (2, 2, 4, tq, tk) and len(g.layers) == 2
        np.testing.assert_allclose(g.maps, torch.stack(getattr(ref, fields[g.name])).numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(g.maps.sum(-1), 1, atol=1e-5)
    assert rec.source == "huggingface" and rec.model == type(model).__name__


def test_layer_names_tokens_and_vision_grid() -> None:
    rec = ts.attention(hf_model("bert"), token_ids(1, 5), tokens=["[CLS]", "a", "$x$", "<b>", "[SEP]"])
    assert rec.group().layers == ["bert.encoder.layer.0.attention.self", "bert.encoder.layer.1.attention.self"]
    assert rec.tokens == [["[CLS]", "a", "$x$", "<b>", "[SEP]"]]
    t5 = ts.attention(hf_model("t5"), {"input_ids": token_ids(1, 4), "decoder_input_ids": token_ids(1, 3)},
                      tokens=list("abcd"), decoder_tokens=list("xyz"))
    cross = t5.group("cross")
    assert (cross.query, cross.key) == ("decoder_tokens", "tokens") and cross.layers[0].endswith("EncDecAttention")
    vit = ts.attention(hf_model("vit"), torch.rand(1, 3, 32, 32))
    assert vit.grid == [4, 4] and vit.prefix == 1 and vit.tokens[0][:2] == ["[CLS]", "0,0"]
    assert vit.image is not None and vit.image.shape == (1, 32, 32, 3) and vit.rollout_grid(0).shape == (4, 4)


def test_restored_when_the_model_raises() -> None:
    model = hf_model("gpt2")
    before = config_state(model)
    with pytest.raises((IndexError, RuntimeError)):
        ts.attention(model, torch.full((1, 4), 10_000))  # ids past the vocabulary
    assert config_state(model) == before


def reference_weights(model: nn.Module, inputs: tuple[Any, ...], **kwargs: Any) -> dict[str, torch.Tensor]:
    """Each MultiheadAttention's per-head weights on the inputs it is given, computed by itself."""
    seen: dict[str, torch.Tensor] = {}
    handles = []
    for name, m in model.named_modules():
        if isinstance(m, nn.MultiheadAttention):
            def keep(mod: nn.Module, args: Any, kw: Any, name: str = name) -> None:
                q, k, v = [*args, kw.get("query"), kw.get("key"), kw.get("value")][:3]
                mask = {key: kw[key] for key in ("attn_mask", "key_padding_mask") if kw.get(key) is not None}
                with torch.no_grad():
                    seen[name] = nn.MultiheadAttention.forward(mod, q, k, v, need_weights=True,
                                                               average_attn_weights=False, **mask)[1]
            handles.append(m.register_forward_pre_hook(keep, with_kwargs=True))
    try:
        with torch.no_grad():
            model(*inputs, **kwargs)
    finally:
        for h in handles:
            h.remove()
    return seen


def test_plain_encoder_decoder_matches_multihead_attention_and_leaves_no_trace() -> None:
    torch.manual_seed(0)
    model = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=32,
                           batch_first=True, dropout=0.0).eval()
    src, tgt = torch.randn(2, 6, 16), torch.randn(2, 4, 16)
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    ref = reference_weights(model, (src, tgt), tgt_mask=mask)
    fast = torch.backends.mha.get_fastpath_enabled()
    with torch.no_grad():
        out = model(src, tgt, tgt_mask=mask)
    rec = ts.attention(model, {"src": src, "tgt": tgt, "tgt_mask": mask}, dtype="float32")
    assert [(g.name, g.causal) for g in rec.groups] == [("encoder", False), ("decoder", True), ("cross", False)]
    for g in rec.groups:
        for layer, name in enumerate(g.layers):
            np.testing.assert_allclose(g.maps[layer], ref[name].numpy(), rtol=1e-6, atol=1e-7)
    assert rec.group("cross").layers == ["decoder.layers.0.multihead_attn", "decoder.layers.1.multihead_attn"]
    assert len(rec.tokens[0]) == 6 and len(rec.decoder_tokens[0]) == 4
    assert_clean(model)
    assert torch.backends.mha.get_fastpath_enabled() == fast
    with torch.no_grad():
        torch.testing.assert_close(model(src, tgt, tgt_mask=mask), out)


class Callers(nn.Module):
    """Three callers of attention, asking for no weights, averaged weights and per-head weights."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.c = (nn.MultiheadAttention(8, 2, batch_first=True) for _ in range(3))
        self.got: list[Any] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, w1 = self.a(x, x, x, need_weights=False)
        out, w2 = self.b(out, out, out)
        out, w3 = self.c(out, x, x, None, True, None, False)  # positional: need_weights, average_attn_weights
        self.got = [w1, w2, w3]
        return out


def test_plain_callers_get_what_they_asked_for() -> None:
    torch.manual_seed(0)
    model, x = Callers().eval(), torch.randn(2, 5, 8)
    with torch.no_grad():
        before = model(x)
    plain = [None if w is None else w.clone() for w in model.got]
    rec = ts.attention(model, x, dtype="float32")
    assert model.got[0] is None and plain[0] is None
    torch.testing.assert_close(model.got[1], plain[1])  # averaged over heads, N x T x T
    torch.testing.assert_close(model.got[2], plain[2])  # per head
    assert model.got[1].shape == (2, 5, 5) and model.got[2].shape == (2, 2, 5, 5)
    # layers group by path (a layer index taken out): unrelated modules are groups of their own, named by path
    assert [(g.name, g.role, g.layers) for g in rec.groups] == [("self", "self", ["a"]), ("b", "self", ["b"]),
                                                                ("cross", "cross", ["c"])]
    np.testing.assert_allclose(rec.group("cross").maps[0], plain[2].numpy(), rtol=1e-6)
    with torch.no_grad():
        torch.testing.assert_close(model(x), before)


def test_plain_vit() -> None:
    model, x = make("vit", batch=2)  # its blocks call attention with need_weights=False
    with torch.no_grad():
        before = model(x)
    rec = ts.attention(model, x, dtype="float32")
    with torch.no_grad():
        torch.testing.assert_close(model(x), before)
    g = rec.group()
    assert g.maps.shape == (2, 2, 4, 65, 65) and rec.grid == [8, 8] and rec.prefix == 1
    ref = reference_weights(model, (x,))
    np.testing.assert_allclose(g.maps[1], ref["blocks.1.attn"].numpy(), rtol=1e-6, atol=1e-7)


def test_encoder_with_padding_and_a_record_that_logs_and_reads_back_typed(tmp_path) -> None:
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True)
    model = nn.TransformerEncoder(layer, 3).eval()
    x = torch.randn(2, 5, 16)
    pad = torch.tensor([[False] * 5, [False] * 3 + [True] * 2])
    rec = ts.attention(model, {"src": x, "src_key_padding_mask": pad}, tokens=list("abcde"))
    g = rec.group()
    assert g.name == "self" and g.maps.shape == (3, 2, 4, 5, 5) and g.maps.dtype == np.float16
    assert np.all(g.maps[:, 1, :, :, 3:] == 0)  # padded keys get no attention
    run = ts.init(project="p", dir=tmp_path)
    run.log_record(rec, key="attention")
    run.finish()
    store = ts.open(tmp_path)
    back = store.latest(store.runs()[0].id, "attention.maps")
    assert type(back) is type(rec) and back.to_json() == rec.to_json()
    np.testing.assert_array_equal(back.group().maps, g.maps)
    again = rebuild(rec.kind, *rec.to_dict())
    assert again.tokens == rec.tokens and again.group().layers == g.layers


class HandWrittenAttention(nn.Module):
    def __init__(self, dim: int = 8) -> None:
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        return torch.softmax(q @ k.transpose(1, 2), -1) @ v


def test_errors_say_which_layers_and_why() -> None:
    model = nn.Sequential(nn.Linear(8, 8), HandWrittenAttention(), nn.Linear(8, 2))
    with pytest.raises(ValueError, match=r"1 \(HandWrittenAttention\) compute attention themselves"):
        ts.attention(model, torch.randn(1, 4, 8))

    class Wrapper(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = hf_model("bert")

        def forward(self, ids: torch.Tensor) -> Any:
            return self.encoder(ids).logits

    with pytest.raises(ValueError, match=r"'encoder' is a Hugging Face model.*ts\.attention\(model\.encoder"):
        ts.attention(Wrapper(), token_ids(1, 4))
    with pytest.raises(ValueError, match="has no attention layer"):
        ts.attention(nn.Linear(3, 2), torch.randn(1, 3))
    with pytest.raises(ValueError, match="tokens: 3 tokens for sample 0, but the self attention has 7 queries"):
        ts.attention(hf_model("gpt2"), token_ids(1, 7), tokens=["a", "b", "c"])
    with pytest.raises(ValueError, match="dtype"):
        ts.attention(hf_model("gpt2"), token_ids(1, 7), dtype="int8")


@pytest.mark.parametrize("fail", [False, True])
def test_hooks_come_off_and_memory_stays_flat(fail: bool) -> None:
    model, x = make("vit", batch=1, size=16)
    assert isinstance(model, TinyViT)
    if fail:
        handle = model.blocks[1].register_forward_pre_hook(lambda m, a: (_ for _ in ()).throw(RuntimeError("boom")))
        with pytest.raises(RuntimeError, match="boom"):
            ts.attention(model, x)
        handle.remove()
        assert_clean(model)
        return

    def live() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, torch.Tensor))

    ts.attention(model, x)
    before = live()
    for _ in range(3):
        ts.attention(model, x)
    assert live() <= before
    assert_clean(model)


def test_older_transformers_without_set_attn_implementation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before ``set_attn_implementation`` (transformers < 4.48), the configs are switched directly."""
    model = hf_model("bert")
    before = config_state(model)
    monkeypatch.setattr(type(model), "set_attn_implementation", None)
    rec = ts.attention(model, token_ids(1, 5), dtype="float32")
    assert rec.group().maps.shape == (2, 1, 4, 5, 5) and config_state(model) == before
