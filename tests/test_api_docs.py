"""The API reference builds from the docstrings (pdoc), and every public name is documented in it."""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path

import pytest

import torchscope as ts

pytest.importorskip("pdoc")
ROOT = Path(__file__).resolve().parents[1]


def _builder():
    spec = importlib.util.spec_from_file_location("build_api_docs", ROOT / "scripts" / "build_api_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_public_name_has_a_docstring():
    missing = [name for name in ts.__all__ if name != "__version__" and not inspect.getdoc(getattr(ts, name))]
    assert not missing, f"public names without a docstring: {missing}"


def test_api_reference_builds_with_every_public_name(tmp_path):
    index = _builder().build(tmp_path / "api")
    assert index.exists()
    page = (tmp_path / "api" / "torchscope.html").read_text()
    for name in ts.__all__:
        if name == "__version__" or inspect.ismodule(getattr(ts, name)):
            continue
        assert re.search(rf'id="{re.escape(name)}"', page), f"{name} is not in the reference"
    for module in ("track", "store", "records", "watch", "model", "evaluate", "explain", "gan", "data",
                   "integrations", "report", "server"):
        sub = tmp_path / "api" / "torchscope" / f"{module}.html"
        assert sub.exists(), f"no page for torchscope.{module}"
        assert len(re.sub(r"<[^>]+>", "", sub.read_text())) > 500, f"torchscope.{module}'s page is nearly empty"
