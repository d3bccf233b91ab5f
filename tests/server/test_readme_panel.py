"""The whole small panel of the README's "Writing a panel" (and docs/dashboard.md) runs: served by the app
and kept by the static report through its data function."""

from __future__ import annotations

import dataclasses
import re
import types
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from torchscope.report.plans import Context, Limits
from torchscope.report.snapshot import Snapshot
from torchscope.server import app as app_module
from torchscope.server.registry import Panel, PanelLoad, load_panels

from ..conftest import ROOT


def _example(doc: Path, heading: str) -> str:
    text = doc.read_text()
    section = text[text.index(heading):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


def test_the_docs_show_the_same_panel() -> None:
    assert _example(ROOT / "README.md", "### Writing a panel") == _example(ROOT / "docs/dashboard.md",
                                                                           "## Writing a panel")


def test_the_example_panel_serves_and_reports(filled: tuple[Path, dict[str, Any]], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("notes_panel")
    exec(compile(_example(ROOT / "README.md", "### Writing a panel"), "README.md (Writing a panel)", "exec"),
         module.__dict__)
    panel = module.PANEL
    assert isinstance(panel, Panel)
    (tmp_path / "panel.js").write_text("export function render(el, api) {}\n")
    notes = PanelLoad("notes", dataclasses.replace(panel, folder=tmp_path))
    monkeypatch.setattr(app_module, "load_panels", lambda only=None: [*load_panels(only=["text"]), notes])
    dir, ids = filled
    app = app_module.create_app(dir, warm=False)
    assert "/api/notes/entries" in app.state.openapi["paths"]
    runs = [ids["alpha"], ids["beta"]]
    with TestClient(app, base_url="http://127.0.0.1") as client:
        r = client.get("/api/notes/entries", params=[("key", "notes"), *(("run", i) for i in runs)])
        assert r.status_code == 200 and set(r.json()["runs"]) == set(runs)
        assert "**bold 0**" in r.json()["runs"][ids["alpha"]][0]
        assert client.get("/api/notes/entries", params={"run": runs[0]}).status_code == 400  # no key
    snap = Snapshot.of(app)
    ctx = Context(snap, app.state.context.provider, [{"id": i} for i in runs], Limits())
    assert panel.report is not None and panel.report(ctx) == "2 runs"
    assert [e["path"] for e in snap.entries.values()] == ["notes/entries"] and not snap.failed
