"""Golden files for the renderers: summary text, graph JSON, SVG and DOT.

Regenerate after an intended change with ``TORCHSCOPE_UPDATE_GOLDEN=1 pytest tests/model``
and look at the SVGs (``tests/model/golden/*.svg``) before committing them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

import torchscope.model as tsm

from .zoo import ZOO

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("TORCHSCOPE_UPDATE_GOLDEN") == "1"


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"golden file {name} was missing and has been written; check it and rerun")
        return
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from its golden file; rerun with TORCHSCOPE_UPDATE_GOLDEN=1 if intended"


@pytest.mark.parametrize(("model", "depth"), [("cnn", 3), ("resnet18", 2), ("tied", 3), ("nested", 4), ("lstm", 3),
                                              ("transformer", 3), ("dcgan_g", 2)])
def test_summary_text(model: str, depth: int) -> None:
    check(f"summary_{model}.txt", tsm.summary(*ZOO[model](), depth=depth).text() + "\n")


@pytest.mark.parametrize("model", ["cnn", "control_flow", "dict_out"])
def test_graph_json(model: str) -> None:
    g = tsm.graph(*ZOO[model]())
    check(f"graph_{model}.json", json.dumps(g.to_dict()[0], indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("model", ["cnn", "resnet18", "resnet50", "unet", "transformer", "dict_out", "dcgan_d",
                                   "functional"])
def test_graph_svg(model: str) -> None:
    check(f"graph_{model}.svg", tsm.graph(*ZOO[model]()).svg())


def test_graph_expanded_svg_and_dot() -> None:
    g = tsm.graph(*ZOO["resnet18"]()).expand("layer2.0")
    check("graph_resnet18_layer2.svg", g.svg())
    check("graph_unet.dot", tsm.graph(*ZOO["unet"]()).to_dot())


def test_autograd_svg() -> None:
    model, x = ZOO["tied"]()
    out = model(x)
    check("autograd_tied.svg", tsm.autograd_graph(out, params=dict(model.named_parameters())).svg())
    torch.manual_seed(0)
