"""Every zoo model: graph captured, parameters counted once, FLOPs equal to FlopCounterMode."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import torchscope.model as tsm
from torchscope.model._tree import make_call
from torchscope.model.capture import capture, extra_flop_formulas
from torchscope.model.graph import build_graph
from torchscope.model.summary import summarize
from torchscope.records import rebuild

from .zoo import HF, ZOO


def _available(name: str) -> bool:
    if name not in HF:
        return True
    try:
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


NAMES = [pytest.param(n, marks=pytest.mark.skipif(not _available(n), reason="transformers not installed"))
         for n in ZOO]


@pytest.fixture(scope="module", params=NAMES)
def captured(request):
    model, x = ZOO[request.param]()
    args, kwargs = make_call(model, x)
    cap = capture(model, args, kwargs)
    return request.param, model, args, kwargs, cap


def test_graph_is_captured_completely(captured):
    name, model, _, _, cap = captured
    assert cap.error is None, cap.error
    kinds = {n.kind for n in cap.nodes}
    assert {"input", "output", "op", "module"} <= kinds
    has_in = {e.dst for e in cap.edges}
    for n in cap.nodes:
        if n.kind == "output":
            assert n.id in has_in, f"{name}: output {n.name} is not connected"
    g = build_graph(model, cap)
    v = g.view()
    assert v.nodes and v.edges
    ids = [n["id"] for n in g.nodes]
    assert ids == list(range(len(ids)))
    assert all(n["parent"] is None or 0 <= n["parent"] < len(ids) for n in g.nodes)


def test_summary_counts_each_parameter_once(captured):
    _, model, _, _, cap = captured
    s = summarize(model, cap)
    unique = {id(p): p.numel() for p in model.parameters()}
    assert s.total_params == sum(unique.values())
    assert s.trainable_params + s.frozen_params == s.total_params
    assert s.rows[0]["params"] == s.total_params


def test_flops_equal_flop_counter_mode(captured):
    _, model, args, kwargs, cap = captured
    was = model.training
    model.eval()
    try:
        # grad on: PyTorch's standard (non-fused) path; plus the CPU attention formula PyTorch lacks
        with FlopCounterMode(display=False, custom_mapping=extra_flop_formulas()) as counter:
            model(*args, **kwargs)
    finally:
        model.train(was)
    assert cap.total_flops == counter.get_total_flops()
    assert sum(n.flops for n in cap.nodes if n.kind == "op") == cap.total_flops
    assert cap.nodes[0].flops == cap.total_flops


def test_renderings_are_valid(captured):
    _, model, _, _, cap = captured
    g = build_graph(model, cap)
    for view in (g, g.expand_all()):
        ET.fromstring(view.svg())
        dot = view.to_dot()
        assert dot.startswith("digraph") and dot.count("{") == dot.count("}")
        pos = view.layout()
        assert len(pos["nodes"]) == len(view.view().nodes)
    data, blobs = g.to_dict()
    back = rebuild(g.kind, json.loads(json.dumps(data)), blobs)
    assert isinstance(back, tsm.ModelGraph) and back.nodes == g.nodes
    s = summarize(model, cap)
    assert isinstance(rebuild(s.kind, *s.to_dict()), tsm.ModelSummary)
    assert "Total params" in s.text() and "<table" in s._repr_html_()


def test_autograd_graph_names_every_parameter(captured):
    name, model, args, kwargs, _ = captured
    model.eval()
    with torch.enable_grad():
        out = model(*args, **kwargs)
    g = tsm.autograd_graph(out, params=dict(model.named_parameters()))
    named = {n["name"] for n in g.nodes if n["kind"] == "param"}
    used = {k for k, p in model.named_parameters() if p.requires_grad}
    assert named <= used | {""}
    assert named, name
    ET.fromstring(g.svg())


def test_attention_counts_on_cpu_too():
    q = torch.randn(2, 4, 16, 8)

    class Attn(torch.nn.Module):
        def forward(self, q):
            return torch.nn.functional.scaled_dot_product_attention(q, q, q)

    cap = capture(Attn(), (q,), {})
    with FlopCounterMode(display=False) as plain:
        Attn()(q)
    expected = 2 * 2 * 4 * 16 * 16 * 8 * 2  # QK^T and AV: 2 flops per multiply-add
    assert cap.total_flops == expected
    assert plain.get_total_flops() in (0, expected)  # 0 where PyTorch's registry lacks the CPU kernel
