"""The forward graph: folding, views, structures, control flow, RNNs, tied weights, DOT, logging."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pytest
import torch
from torch import nn

import torchscope as ts
import torchscope.model as tsm

from .zoo import ZOO


def _types(g: tsm.ModelGraph) -> list[str]:
    return [n["title"] for n in g.view().nodes]


def test_repeated_blocks_are_folded() -> None:
    g = tsm.graph(*ZOO["resnet50"]())
    repeats = {n["name"]: n["repeat"] for n in g.nodes if n["kind"] == "repeat"}
    assert repeats == {"layer1.1-2": 2, "layer2.1-3": 3, "layer3.1-5": 5, "layer4.1-2": 2}
    assert "Bottleneck ×5" in _types(g)
    t = tsm.graph(*ZOO["transformer"]())
    assert "TransformerEncoderLayer ×3" in _types(t.with_depth(2))
    unfolded = tsm.graph(*ZOO["resnet50"](), fold=False)
    assert not any(n["kind"] == "repeat" for n in unfolded.nodes)


def test_expand_and_collapse() -> None:
    g = tsm.graph(*ZOO["resnet18"](), depth=1)
    top = _types(g)
    assert "Sequential" in top and "Conv2d" in top
    deeper = g.expand("layer2")
    assert "BasicBlock" in _types(deeper) and len(_types(deeper)) > len(top)
    assert _types(deeper.collapse("layer2")) == top
    full = g.expand_all()
    assert "conv2d" in _types(full) and "Sequential" not in _types(full)
    with pytest.raises(KeyError):
        g.expand("nope")


def test_structured_inputs_and_outputs() -> None:
    g = tsm.graph(*ZOO["dict_out"]())
    names = {n["name"] for n in g.nodes if n["kind"] in ("input", "output")}
    assert names == {"x", "mask", "output['logits']", "output['aux']['boxes']", "output['aux']['features'][0]"}

    @dataclasses.dataclass
    class Out:
        a: torch.Tensor
        b: tuple

    class DC(nn.Module):
        def forward(self, x, *, scale=None):
            return Out(x * 2, (x + 1, {"z": x.sum()}))

    g2 = tsm.graph(DC(), (torch.ones(3),), kwargs={"scale": torch.ones(1)})
    outs = sorted(n["name"] for n in g2.nodes if n["kind"] == "output")
    assert outs == ["output.a", "output.b[0]", "output.b[1]['z']"]


def test_branch_actually_taken_is_recorded() -> None:
    model, _ = ZOO["control_flow"]()
    model.eval()
    for x in (torch.ones(1, 4), -10 * torch.ones(1, 4)):
        expected, h = [], x
        with torch.no_grad():
            for _ in range(2):
                expected.append("pos" if h.sum() > 0 else "neg")
                h = model.pos(h) if h.sum() > 0 else model.neg(h)
        g = tsm.graph(model, x)
        top = [n["name"] for n in g.nodes if n["kind"] == "module" and n["depth"] == 1]
        assert top == expected
    assert tsm.summary(model, x).unused == ["pos.weight", "pos.bias"]  # the branch not taken
    assert expected == ["neg", "neg"]  # the last input: the same module called twice gives two nodes
    assert [n["call"] for n in g.nodes if n["name"] == "neg" and n["kind"] == "module"] == [0, 1]
    assert [n["repeat"] for n in g.nodes if n["kind"] == "repeat"] == [2]  # folded: Sequential ×2


def test_rnn_and_tied_weights() -> None:
    g = tsm.graph(*ZOO["lstm"]())
    assert any(n["type"] == "lstm" for n in g.nodes)
    model, x = ZOO["tied"]()
    s = tsm.summary(model, x)
    assert s.shared == [["embed.weight", "decoder.weight"]]
    assert s.total_params == 64_000 + 64 * 64 + 64
    assert "Shared: embed.weight = decoder.weight" in s.text()
    g = tsm.graph(model, x).expand_all()
    uses = [n["param_names"] for n in g.nodes if n["kind"] == "op" and n["param_names"]]
    assert ["embed.weight"] in uses and ["embed.weight"] in uses[1:]  # the decoder reads the embedding matrix


def test_functional_ops_are_counted() -> None:
    s = tsm.summary(*ZOO["functional"]())
    assert s.total_flops > 0 and s.rows[0]["flops"] == s.total_flops
    g = tsm.graph(*ZOO["functional"]())
    assert {"matmul", "softmax", "gelu", "layer_norm"} <= {n["type"] for n in g.nodes}


def test_input_size_and_dtypes() -> None:
    model, _ = ZOO["cnn"]()
    s = tsm.summary(model, input_size=(1, 1, 28, 28))
    assert s.inputs == [{"name": "x", "shape": [1, 1, 28, 28], "dtype": "float32"}]
    lstm, _ = ZOO["lstm"]()
    s2 = tsm.summary(lstm, input_size=(2, 5), dtypes=[torch.long])
    assert s2.error is None and s2.rows[-1]["output_shapes"] == [[2, 5, 5]]
    with pytest.raises(ValueError):
        tsm.summary(model)


def test_summary_depth_and_html() -> None:
    s = tsm.summary(*ZOO["resnet18"]())
    assert len(s.text(depth=1).splitlines()) < len(s.text(depth=3).splitlines())
    assert "└─" in s.text() and "BasicBlock" in s._repr_html_()
    fig = s.figure()
    assert fig.get_size_inches()[1] > 1


def test_dot_and_html_exports(tmp_path) -> None:
    g = tsm.graph(*ZOO["unet"]())
    dot = g.to_dot()
    assert "subgraph cluster_" in dot and "->" in dot
    for ext in ("svg", "dot", "html", "json", "png"):
        path = g.save(tmp_path / f"g.{ext}")
        assert path.stat().st_size > 100
    ET.parse(tmp_path / "g.svg")
    assert "<script>" in (tmp_path / "g.html").read_text()


def test_log_graph_stores_both_records(tmp_path) -> None:
    run = ts.init(project="p", name="graph", dir=tmp_path)
    tsm.log_graph(run, *ZOO["cnn"]())
    run.finish()
    with ts.open(tmp_path) as store:
        g = store.latest(run.id, "model.graph")
        s = store.latest(run.id, "model.summary")
    assert isinstance(g, tsm.ModelGraph) and g.model == "CNN" and g.nodes
    assert isinstance(s, tsm.ModelSummary) and s.total_params == 26_730


def test_autograd_graph_with_dict_output() -> None:
    model, x = ZOO["dict_out"]()
    out = model(**x)
    g = tsm.autograd_graph(out, params=dict(model.named_parameters()))
    outs = {n["name"] for n in g.nodes if n["kind"] == "output"}
    assert outs == {"output['logits']", "output['aux']['boxes']", "output['aux']['features'][0]"}
    assert {"body.weight", "cls.weight", "box.bias"} <= {n["name"] for n in g.nodes}
    assert any(n["kind"] == "saved" for n in g.nodes)
    assert not any(n["kind"] == "saved" for n in tsm.autograd_graph(out, show_saved=False).nodes)
    with pytest.raises(ValueError):
        tsm.autograd_graph(torch.ones(2))


@pytest.mark.parametrize("model", ["resnet50", "unet", "transformer", "nested"])
def test_drawings_have_no_overlaps(model: str) -> None:
    from torchscope.model.svg import compute

    g = tsm.graph(*ZOO[model]())
    for view in (g.view(), g.expand_all().view()):
        lay = compute(view)
        boxes = [(lay.x[k] - lay.w[k] / 2, lay.y[k] - lay.h[k] / 2, lay.x[k] + lay.w[k] / 2, lay.y[k] + lay.h[k] / 2)
                 for k in range(len(view.nodes))]

        def hit(a, b) -> bool:
            return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

        for i, a in enumerate(boxes):
            assert not any(hit(a, b) for b in boxes[i + 1:]), view.nodes[i]["title"]
            for c, box in lay.clusters.items():  # a node never sits inside a cluster it does not belong to
                assert c in view.groups[i] or not hit(a, box), (view.nodes[i]["title"], view.clusters[c])


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_torchscript_submodules_do_not_break_capture() -> None:
    class Scripted(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = torch.jit.script(nn.Sequential(nn.Linear(2, 2), nn.ReLU()))
            self.b = nn.Linear(2, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.b(self.a(x))

    model = Scripted()
    g = tsm.graph(model, torch.ones(1, 2))
    assert g.error is None and "linear" in {n["type"] for n in g.nodes}
    assert tsm.summary(model, torch.ones(1, 2)).total_params == 9


def test_rnn_loops_fold_and_nothing_else_does() -> None:
    g = tsm.graph(*ZOO["gru_loop"]())
    assert [(n["name"], n["repeat"], n["params"]) for n in g.nodes if n["kind"] == "repeat"] == [("cell", 5, 720)]
    assert "GRUCell ×5" in _types(g)
    pytest.importorskip("transformers")
    bert = tsm.graph(*ZOO["bert"]())  # query/key/value look alike but do not feed each other: not folded
    assert [(n["name"], n["repeat"]) for n in bert.nodes if n["kind"] == "repeat"] == [("encoder.layer.0-1", 2)]
