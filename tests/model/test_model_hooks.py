"""Every function that hooks a model leaves it exactly as it was, on success and on error."""

from __future__ import annotations

import gc
import tracemalloc
import warnings

import pytest
import torch
from torch import nn

import torchscope.model as tsm
from torchscope.model.capture import capture

from .zoo import CNN


class Boom(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = CNN()
        self.bad = nn.Linear(3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bad(self.net(x))  # 10 features into a 3-input layer: raises inside `bad`


class FakeRun:
    def __init__(self) -> None:
        self.records = []

    def log_record(self, record, step=None, key=None):
        self.records.append((key, record))


HOOKERS = {
    "capture": lambda m, x: capture(m, (x,), {}),
    "capture_train": lambda m, x: capture(m, (x,), {}, mode="train"),
    "summary": lambda m, x: tsm.summary(m, x),
    "summary_no_flops": lambda m, x: tsm.summary(m, x, flops=False),
    "summary_train": lambda m, x: tsm.summary(m, x, mode="train"),
    "graph": lambda m, x: tsm.graph(m, x),
    "log_graph": lambda m, x: tsm.log_graph(FakeRun(), m, x),
}


def _state(model: nn.Module):
    return ({k: v.clone() for k, v in model.state_dict().items()}, [m.training for m in model.modules()],
            torch.random.get_rng_state())


def _assert_clean(model: nn.Module, before) -> None:
    for m in model.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks and not m._backward_hooks
        assert not m._forward_hooks_with_kwargs and not m._forward_pre_hooks_with_kwargs
    from torch.nn.modules import module as mm

    assert not mm._global_forward_hooks and not mm._global_forward_pre_hooks
    assert not torch._C._is_torch_function_mode_enabled()
    sd, flags, rng = _state(model)
    assert flags == before[1]
    assert sd.keys() == before[0].keys()
    for k in sd:
        assert torch.equal(sd[k], before[0][k]), k
    assert torch.equal(rng, before[2])


@pytest.mark.parametrize("hooker", list(HOOKERS))
@pytest.mark.parametrize("fails", [False, True], ids=["ok", "error"])
def test_model_left_exactly_as_it_was(hooker: str, fails: bool) -> None:
    torch.manual_seed(0)
    model = Boom() if fails else CNN()
    model.train()
    model.net.features[0].eval() if fails else model.features[0].eval()  # mixed flags must come back as they were
    x = torch.randn(2, 1, 28, 28)
    before = _state(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        HOOKERS[hooker](model, x)
    _assert_clean(model, before)


def test_partial_graph_says_where_and_why() -> None:
    with pytest.warns(RuntimeWarning, match="bad"):
        g = tsm.graph(Boom(), torch.randn(2, 1, 28, 28))
    assert g.error and "bad (Linear)" in g.error and "linear" in g.error and "mat1 and mat2" in g.error
    names = {n["name"] for n in g.nodes}
    assert "net.classifier.4" in names  # what ran before the failure is kept
    assert "partial graph" in g.svg()
    with pytest.warns(RuntimeWarning):
        s = tsm.summary(Boom(), torch.randn(2, 1, 28, 28))
    assert s.error == g.error and "PARTIAL" in s.text()


def test_repeated_capture_does_not_grow_memory() -> None:
    model, x = CNN(), torch.randn(2, 1, 28, 28)
    for _ in range(3):
        tsm.graph(model, x)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(20):
        tsm.graph(model, x)
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert grown < 200_000, grown
