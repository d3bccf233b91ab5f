"""The panel registry: every panel folder loads; a broken one is listed with its error, never fatal."""

from __future__ import annotations

import re
import sys

from torchscope.server import create_app, load_panels
from torchscope.server.registry import Panel


def test_builtin_panels_load():
    loaded = load_panels()
    core = ["scalars", "images", "histograms", "text", "config", "health"]  # other features add theirs
    assert [p.name for p in loaded if p.name in core] == core
    assert all(p.error is None for p in loaded if p.name in core)
    for p in loaded:
        if p.error is not None:
            continue
        assert isinstance(p.panel, Panel)
        source = (p.panel.folder / "panel.js").read_text()
        assert len(re.findall(r"^export (async )?function render\(el, api\)", source, re.M)) == 1
        assert (p.panel.folder / "README.md").is_file()


def test_broken_panel_is_skipped(tmp_path, monkeypatch):
    pkg = tmp_path / "fakepanels"
    (pkg / "good").mkdir(parents=True)
    (pkg / "bad").mkdir()
    (pkg / "nojs").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "good" / "__init__.py").write_text(
        "from torchscope.server.registry import Panel\nPANEL = Panel(name='good', title='Good', order=1)\n")
    (pkg / "good" / "panel.js").write_text("export function render(el, api) {}\n")
    (pkg / "bad" / "__init__.py").write_text("raise RuntimeError('boom')\n")
    (pkg / "nojs" / "__init__.py").write_text(
        "from torchscope.server.registry import Panel\nPANEL = Panel(name='nojs', title='No JS')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    loaded = load_panels("fakepanels")
    by = {p.name: p for p in loaded}
    assert by["good"].panel is not None and by["good"].to_json()["module"] == "panels/good/panel.js"
    assert "boom" in by["bad"].error and by["bad"].to_json()["module"] is None
    assert "panel.js" in by["nojs"].error
    sys.modules.pop("fakepanels", None)


def test_app_with_a_subset_of_panels(filled):
    app = create_app(filled[0], panels=["text"])
    assert [p.name for p in app.state.panels] == ["text"]
    assert "/api/scalars/series" not in app.state.openapi["paths"]
