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

from .zoo import HF, ZOO

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


MODELS = [name for name in ZOO if name not in HF]  # Hugging Face output depends on its version


@pytest.mark.parametrize("model", MODELS)
def test_summary_text(model: str) -> None:
    check(f"summary_{model}.txt", tsm.summary(*ZOO[model]()).text() + "\n")


@pytest.mark.parametrize("model", MODELS)
def test_graph_json_and_svg(model: str) -> None:
    g = tsm.graph(*ZOO[model]())
    check(f"graph_{model}.json", json.dumps(g.to_dict()[0], indent=0, sort_keys=True) + "\n")
    check(f"graph_{model}.svg", g.svg())


def test_graph_expanded_svg_and_dot() -> None:
    g = tsm.graph(*ZOO["resnet18"]()).expand("layer2.0")
    check("graph_resnet18_layer2.svg", g.svg())
    check("graph_unet.dot", tsm.graph(*ZOO["unet"]()).to_dot())


def test_autograd_svg() -> None:
    model, x = ZOO["tied"]()
    out = model(x)
    check("autograd_tied.svg", tsm.autograd_graph(out, params=dict(model.named_parameters())).svg())
    torch.manual_seed(0)
