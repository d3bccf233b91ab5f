"""Inlining the dashboard's modules (``report/assets.py``) and escaping data into the page (``report/page.py``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from torchscope.report import assets
from torchscope.report.assets import PLACEHOLDER, collect_modules, rewrite
from torchscope.report.page import script_json
from torchscope.server.registry import load_panels


def test_import_specifiers_become_placeholders() -> None:
    src = ('import { h, message } from "../../static/dom.js";\n'
           "import uPlot from '../../static/vendor/uPlot.esm.js';\n"
           'import {\n  classColor,\n} from "../evaluation/charts.js";\n'
           'export { fmtNum } from "../../static/dom.js";\n'
           'const later = () => import("./draw.js");\n'
           'const css = new URL("./graph.css", import.meta.url).href;\n'
           'const text = "imported from \\"x\\"";\n')
    out, deps = rewrite("panels/graph/panel.js", src)
    assert deps == ["static/dom.js", "static/vendor/uPlot.esm.js", "panels/evaluation/charts.js",
                    "panels/graph/draw.js"]
    assert f'from "{PLACEHOLDER}static/dom.js";' in out and f'import("{PLACEHOLDER}panels/graph/draw.js")' in out
    assert 'from "../' not in out and "import.meta" not in out
    assert '"torchscope-report:/panels/graph/panel.js"' in out and 'imported from \\"x\\"' in out


@pytest.mark.parametrize("spec, error", [("dom.js", "not a relative path"), ("./nope.js", "does not exist")])
def test_bad_imports_are_refused(spec: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        rewrite("panels/graph/panel.js", f'import {{ x }} from "{spec}";')


def test_every_panel_bundles_dependencies_first() -> None:
    entries = ["report/shell.js", "report/ganlab.js"] + [f"panels/{p.name}/{p.panel.module}" for p in load_panels()
                                                         if p.panel is not None]
    modules = collect_modules(entries)
    ids = [m for m, _ in modules]
    assert len(ids) == len(set(ids)) and set(entries) <= set(ids) and "static/vendor/uPlot.esm.js" in ids
    for i, (mid, text) in enumerate(modules):
        for dep in re.findall(rf'"{PLACEHOLDER}([^"]+)"', text):
            assert dep in ids[:i], f"{mid} imports {dep} before it is loaded"


def test_an_import_cycle_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.js").write_text('import { b } from "./b.js";\nexport const a = 1;\n')
    (tmp_path / "b.js").write_text('import { a } from "./a.js";\nexport const b = 2;\n')
    monkeypatch.setitem(assets.ROOTS, "report", tmp_path)
    with pytest.raises(ValueError, match=r"import cycle: report/a\.js -> report/b\.js -> report/a\.js"):
        collect_modules(["report/a.js"])


def test_script_json_cannot_leave_its_script_element() -> None:
    hostile = {"name": "</script><script>alert(1)</script><!-- \u2028 & >", "n": [1.5, "NaN"]}
    text = script_json(hostile)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == hostile
