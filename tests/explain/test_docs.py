"""The examples of explanations beyond images and of attention maps, in the README and
docs/explain.md, run as written (in a child process, in a fresh directory)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, child_env

SECTIONS = [  # (file, first heading, the heading after the section)
    ("README.md", "### Explain any input: tabular rows", "### Speed and memory against Captum"),
    ("docs/explain.md", "## Explain any input: tabular rows", "## Attention maps"),
    ("docs/explain.md", "## Attention maps", "## Detections and segmentation"),
]


@pytest.mark.parametrize(("path", "first", "after"), SECTIONS, ids=[f"{p}:{h[:28]}" for p, h, _ in SECTIONS])
def test_examples_run(path: str, first: str, after: str, tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    text = (ROOT / path).read_text(encoding="utf-8")
    section = text[text.index(first):text.index(after)]
    code = "\n".join(re.findall(r"```python\n(.*?)```", section, re.S))
    assert "ts." in code
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=child_env(), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert any(tmp_path.iterdir())  # the examples save their views
