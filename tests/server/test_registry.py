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


def test_panel_state_is_set_up_with_the_app_and_torn_down_by_its_lifespan(store_dir):
    """No module-level singletons: the GAN lab's hub and the GAN panel's job queue belong to the app,
    made when it is created and stopped when it shuts down (``torchscope serve`` included)."""
    from starlette.testclient import TestClient

    import torchscope as ts
    from torchscope.server import create_app
    from torchscope.server.context import app_context

    with ts.init(dir=store_dir):
        pass
    apps = [create_app(store_dir, warm=False) for _ in range(2)]
    states = [app_context(a).state for a in apps]
    assert states[0]["ganlab"] is not states[1]["ganlab"] and states[0]["gan"] is not states[1]["gan"]
    hub = states[0]["ganlab"]
    with TestClient(apps[0], base_url="http://127.0.0.1") as client:
        sid = client.post("/api/ganlab/open", json={}).json()["session"]
        assert sid in hub.worker.sessions
    assert not hub.worker.sessions, "the lab sessions stop with the app"
    assert "ganlab" not in states[0] and "gan" not in states[0]


def test_a_failing_setup_is_reported_not_fatal(store_dir, monkeypatch):
    import dataclasses

    import torchscope as ts
    from torchscope.server import create_app
    from torchscope.server.panels import text

    def boom(ctx):
        raise RuntimeError("no luck")

    monkeypatch.setattr(text, "PANEL", dataclasses.replace(text.PANEL, setup=boom))
    with ts.init(dir=store_dir):
        pass
    app = create_app(store_dir, warm=False)
    (load,) = [p for p in app.state.panels if p.name == "text"]
    assert load.error == "setup failed: RuntimeError: no luck"
    assert any(p.name == "scalars" and p.error is None for p in app.state.panels)


def test_no_panel_imports_another_panels_code():
    """A panel is one folder: what two panels share lives in server/shared, not in one of them."""
    import re
    from pathlib import Path

    import torchscope.server.panels as panels

    root = Path(panels.__file__).parent
    names = {p.name for p in root.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    found = []
    for name in names:
        for py in (root / name).rglob("*.py"):
            text = py.read_text()
            for other in names - {name}:
                if re.search(rf"from \.\.{other}\b|panels\.{other}\b|from \.\.\s+import\s+{other}\b", text):
                    found.append(f"{py.relative_to(root)} imports panel {other}")
    assert found == []


def test_every_panel_brings_its_report_part_from_its_own_folder():
    """A panel is one folder: its routes, its module, its doc and its part of the static report."""
    from torchscope.server.registry import load_panels

    for p in load_panels():
        assert p.panel is not None, p.error
        assert callable(p.panel.report), p.name
        assert p.panel.report.__module__ == f"torchscope.server.panels.{p.name}.report"
