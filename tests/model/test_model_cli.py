"""``torchscope summary`` and ``torchscope graph`` on models named as a module, a file or ``demo``."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from torchscope.cli import main

NETS = textwrap.dedent('''
    import torch
    from torch import nn
    from helper import WIDTH          # a sibling module: the file's folder is on sys.path while it loads

    class Net(nn.Module):
        def __init__(self, width=WIDTH, classes=10):
            super().__init__()
            self.conv = nn.Conv2d(3, width, 3, padding=1)
            self.head = nn.Linear(width, classes)

        def forward(self, x):
            return self.head(self.conv(x).mean((2, 3)))

    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(100, 8)
            self.lin = nn.Linear(8 + 4, 2)

        def forward(self, tokens, extra):
            return self.lin(torch.cat([self.emb(tokens).mean(1), extra], 1))

    def small():
        return Net(width=4)

    instance = Net(width=6)
    NOT_A_MODEL = 3

    if __name__ == "__main__":
        raise SystemExit("must not run")
''')


@pytest.fixture
def nets(tmp_path: Path) -> Path:
    (tmp_path / "helper.py").write_text("WIDTH = 8\n")
    path = tmp_path / "nets.py"
    path.write_text(NETS)
    return path


def test_summary_of_the_demo_model_needs_no_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "demo"]) == 0
    out = capsys.readouterr().out
    # the tour's model on one 28 x 28 MNIST digit: 16 maps of 28 x 28, pooled to 14 x 14, then to 4 x 4
    assert "TourCNN" in out and "Total params: 38,282" in out and "1×16×28×28" in out and "1×16×14×14" in out
    assert "1×32×4×4" in out and "8×8" not in out


def test_summary_of_a_class_in_a_file_with_kwargs(nets: Path, capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    assert main(["summary", f"{nets}:Net", "--input-size", "2,3,16,16", "--kwargs", '{"width": 5, "classes": 7}',
                 "-o", str(tmp_path / "s.json")]) == 0
    out = capsys.readouterr().out
    conv, head = 3 * 5 * 9 + 5, 5 * 7 + 7
    assert f"Total params: {conv + head:,}" in out and "2×5×16×16" in out and "2×7" in out
    saved = json.loads((tmp_path / "s.json").read_text())
    assert saved["model"] == "Net" and saved["rows"][0]["output_shapes"] == [[2, 7]]


@pytest.mark.parametrize("name, params", [("small", 3 * 4 * 9 + 4 + 4 * 10 + 10),
                                          ("instance", 3 * 6 * 9 + 6 + 6 * 10 + 10),
                                          ("Net", 3 * 8 * 9 + 8 + 8 * 10 + 10)])
def test_a_function_an_instance_or_a_class(nets: Path, name: str, params: int,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", f"{nets}:{name}", "--input-size", "1x3x8x8"]) == 0
    assert f"Total params: {params:,}" in capsys.readouterr().out


def test_several_inputs_with_their_dtypes(nets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", f"{nets}:TwoInputs", "--input-size", "2,5", "--input-size", "2,4",
                 "--dtype", "int64", "--dtype", "float32"]) == 0
    out = capsys.readouterr().out
    assert "2×5×8" in out and "Total params: 826" in out


@pytest.mark.parametrize("suffix, marker", [(".svg", "<svg"), (".html", "<html"), (".dot", "digraph")])
def test_graph_files(nets: Path, tmp_path: Path, suffix: str, marker: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"g{suffix}"
    assert main(["graph", f"{nets}:Net", "--input-size", "1,3,8,8", "-o", str(out), "--expand-all"]) == 0
    text = out.read_text()
    assert marker in text and "conv" in text and "head" in text
    assert "nodes shown" in capsys.readouterr().out


def test_autograd_graph_names_the_parameters(nets: Path, tmp_path: Path) -> None:
    out = tmp_path / "ag.dot"
    assert main(["graph", f"{nets}:Net", "--input-size", "1,3,8,8", "--autograd", "-o", str(out)]) == 0
    text = out.read_text()
    assert "conv.weight" in text and "ConvolutionBackward0" in text and "AddmmBackward0" in text


def test_module_path_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "torchscope.demo:TourCNN", "--kwargs", '{"in_channels": 3}',
                 "--input-size", "1,3,12,12"]) == 0
    assert "1×16×12×12" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["summary", "nets"], "write MODULE:NAME"),
    (["summary", "{nets}:Missing", "--input-size", "1,3,8,8"], "has no 'Missing'; it has Net, TwoInputs, instance"),
    (["summary", "{nets}:NOT_A_MODEL", "--input-size", "1,3,8,8"], "is a int, not a model"),
    (["summary", "{nets}:Net"], "pass the input's shape: --input-size"),
    (["summary", "{nets}:Net", "--input-size", "1,a"], "whole numbers separated by commas"),
    (["summary", "{nets}:Net", "--input-size", "1,3,8,8", "--kwargs", "{width: 3}"], "not valid JSON"),
    (["summary", "{nets}:Net", "--input-size", "1,3,8,8", "--kwargs", '{"depth": 3}'], "Its signature: Net(width=8"),
    (["summary", "{nets}:instance", "--input-size", "1,3,8,8", "--kwargs", '{"width": 3}'], "already a model instance"),
    (["summary", "{nets}:Net", "--input-size", "1,3,8,8", "--dtype", "float33"], "unknown dtype 'float33'"),
    (["summary", "{nets}:TwoInputs", "--input-size", "2,5", "--input-size", "2,4", "--dtype", "int64",
      "--dtype", "int64", "--dtype", "int64"], "3 --dtype for 2 --input-size"),
    (["graph", "{nets}:Net", "--input-size", "1,3,8,8", "-o", "g.txt"], "write one of .svg"),
    (["summary", "no_such_module_xyz:Net"], "no module named 'no_such_module_xyz'"),
    (["summary", "missing_file.py:Net"], "no such file"),
])
def test_clear_errors(nets: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([a.replace("{nets}", str(nets)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith(f"torchscope {argv[0]}: error:")


def test_a_failing_forward_pass_returns_1_and_says_where(nets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.warns(RuntimeWarning, match="capture stopped inside conv"):
        code = main(["summary", f"{nets}:Net", "--input-size", "1,4,8,8"])  # 4 channels into a 3-channel conv
    assert code == 1
    assert "PARTIAL: capture stopped inside conv (Conv2d)" in capsys.readouterr().out
