"""The summary's own pass (module calls, no op graph): the same summary as from a full capture; what
cannot be counted is said (TorchScript, kernels without a formula), never a silent 0."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import torchscope.model as tsm
from torchscope.model import flops as flops_module
from torchscope.model._tree import make_call
from torchscope.model.capture import capture, extra_flop_formulas
from torchscope.model.summary import summarize

from .test_model_zoo import NAMES
from .zoo import ZOO


@pytest.mark.parametrize("count", [True, False], ids=["flops", "no-flops"])
@pytest.mark.parametrize("train", [True, False], ids=["from-train", "from-eval"])
@pytest.mark.parametrize("name", NAMES)
def test_summary_equals_the_one_from_a_full_capture(name: str, train: bool, count: bool) -> None:
    model, x = ZOO[name]()
    model.train(train)
    expected = summarize(model, capture(model, *make_call(model, x), flops=count)).to_dict()[0]
    assert tsm.summary(model, x, flops=count).to_dict()[0] == expected
    assert model.training == train


@pytest.mark.parametrize("name", NAMES)
def test_counting_the_whole_pass_gives_the_same_summary(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # what a model holding TorchScript (or an older torch) gets: FlopCounterMode over the whole pass,
    # each call's FLOPs between its two hooks
    model, x = ZOO[name]()
    expected = tsm.summary(model, x).to_dict()[0]
    monkeypatch.setattr(flops_module, "FAST_FLOPS", False)
    assert tsm.summary(model, x).to_dict()[0] == expected


class Scripted(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = torch.jit.script(nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64)))
        self.b = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(self.a(x))


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:`torch.jit.trace` is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:`torch.jit.trace_method` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("kind", ["partly scripted", "scripted", "traced"])
def test_torchscript_is_counted_and_said(kind: str) -> None:
    x = torch.randn(32, 64)
    plain = nn.Sequential(nn.Linear(64, 128), nn.ReLU())
    model = {"partly scripted": lambda: Scripted(), "scripted": lambda: torch.jit.script(plain),
             "traced": lambda: torch.jit.trace(plain, x)}[kind]()
    with FlopCounterMode(display=False) as counter:
        model(x)
    s = tsm.summary(model, x)
    assert s.total_flops == s.rows[0]["flops"] == counter.get_total_flops() > 0
    assert s.scripted == (["a"] if kind == "partly scripted" else [""])
    assert "TorchScript" in s.text() and "counted in the row that called it" in s.text()
    assert not s.unused  # what scripted code reads, no op shows
    g = capture(model, (x,), {})
    assert g.total_flops == g.nodes[0].flops == counter.get_total_flops()


class Bilinear(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pre = nn.Linear(4, 4)
        self.bil = nn.Bilinear(4, 4, 3)  # F.bilinear: a kernel (aten._trilinear) FlopCounterMode has no formula for

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.pre(x)
        return self.bil(h, h)


def test_a_kernel_without_formula_is_named_not_a_silent_zero() -> None:
    s = tsm.summary(Bilinear(), torch.randn(2, 4))
    assert s.total_flops == 2 * 2 * 4 * 4  # only the Linear
    assert [(u["module"], u["type"]) for u in s.uncounted] == [("bil", "Bilinear")]
    assert "`bilinear` multiplies bil.weight [3, 4, 4]" in s.uncounted[0]["why"]
    row = next(r for r in s.rows if r["name"] == "bil")
    assert row["uncounted"] and row["flops"] == 0
    assert s.rows[0]["uncounted"] and "uncounted" not in s.rows[1]  # the root holds it; pre counted all
    assert s.text().splitlines()[3].endswith("32 +?")
    text = s.text()
    assert "FLOPs not counted in bil (Bilinear)" in text and "+ what could not be counted" in text
    assert next(line.split()[-1] for line in text.splitlines() if "(Bilinear)" in line) == "?"


@torch.library.custom_op("torchscope_test::fused_scale", mutates_args=())
def fused_scale(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return x @ w.t()


@fused_scale.register_fake
def _(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return x.new_empty(x.shape[0], w.shape[0])


class Custom(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(3, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fused_scale(x, self.w)


def test_a_custom_kernel_is_named() -> None:
    s = tsm.summary(nn.Sequential(nn.Linear(4, 4), Custom()), torch.randn(2, 4))
    assert s.uncounted == [{"module": "1", "type": "Custom",
                            "why": "kernel torchscope_test.fused_scale has no FLOP formula"}]
    assert s.total_flops == 2 * 2 * 4 * 4
    assert tsm.summary(nn.Sequential(nn.Linear(4, 4), Custom()), torch.randn(2, 4), flops=False).uncounted == []


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="nn.LSTM reaches oneDNN's kernel on CPU")
def test_a_recurrent_kernel_without_its_formula_would_be_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(flops_module._EXTRA, "mkldnn_rnn_layer")  # as torch's registry alone
    s = tsm.summary(nn.LSTM(10, 20, batch_first=True), torch.randn(3, 7, 10))
    assert s.total_flops == 0 and [u["module"] for u in s.uncounted] == [""]
    assert "`lstm` multiplies weight_ih_l0 [80, 10]" in s.uncounted[0]["why"]


def test_transforms_of_weights_and_embeddings_are_not_flagged() -> None:
    class Odd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(10, 4)
            self.pos = nn.Parameter(torch.zeros(5, 4))
            self.w = nn.Parameter(torch.randn(4, 4))

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            h = self.emb(ids) + self.pos  # a table lookup and an addition: no product, nothing uncounted
            return h @ self.w.sign()  # a transform of a weight alone, then a counted product

    s = tsm.summary(Odd(), torch.zeros(2, 5, dtype=torch.long))
    assert s.uncounted == [] and s.total_flops == 2 * 10 * 4 * 4


def test_extra_formulas_reach_flop_counter_mode_too() -> None:
    with torch.no_grad(), FlopCounterMode(display=False, custom_mapping=extra_flop_formulas()) as c:
        nn.LSTM(10, 20)(torch.randn(7, 3, 10))
    assert c.get_total_flops() == 2 * 21 * 80 * 30
