"""The reading side never imports torch: ``import torchscope``, typed records read back, the dashboard
(``create_app``, every panel, a real ``torchscope serve``) and ``torchscope report``.

Each check runs in a fresh interpreter and looks at ``sys.modules`` (or ``-X importtime``) at the end.
What does import torch, by design: writing (``ts.init``), computing records (``ts.graph``...), and the
dashboard features that run a model: the GAN lab, the GAN panel's latent explorer and lens (they
rebuild a generator from its checkpoint), and the report's GAN section, which pre-renders that
explorer.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import child_env, run_python

HEAVY = ("torch", "httpx", "httpx2")  # what a reader must not load: torch, and the test client's HTTP stack


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with one run of every kind of data the panels read, records included (no GAN, no alarms)."""
    import torch

    import torchscope as ts

    d = tmp_path_factory.mktemp("imports") / "tsruns"
    run = ts.init(project="p", name="r", dir=d, config={"lr": 0.1, "depth": 2})
    for i in range(20):
        run.log({"train/loss": 1 / (i + 1), "train/übung": float(i)}, step=i)
    rng = np.random.default_rng(0)
    run.log_image("samples", rng.integers(0, 255, (8, 8, 3), dtype=np.uint8), step=0)
    run.log_histogram("weights", rng.normal(size=500), step=0)
    run.log_text("notes", "hello", step=0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    run.log_graph(model, torch.zeros(1, 4))
    y = rng.integers(0, 3, 60)
    ev = ts.evaluate(y_true=y, y_pred=(y + (rng.random(60) < 0.2)) % 3, class_names=["a", "b", "c"])
    run.log_record(ev.confusion_matrix(), key="confusion")
    run.log_record(ev.per_class(), key="per_class")
    run.log_record(ts.data.class_balance(ts.data.load(rng.normal(size=(30, 4)), rng.integers(0, 3, 30))))
    run.finish()
    return d


def _no_heavy_modules(code: str, *args: str) -> dict[str, bool]:
    """Run ``code`` in a fresh interpreter, then report which of HEAVY it loaded."""
    tail = f"\nimport json as _j, sys as _s\nprint('LOADED=' + _j.dumps({{m: m in _s.modules for m in {HEAVY!r}}}))\n"
    out = run_python(textwrap.dedent(code) + tail, *args, timeout=240).stdout
    line = next(line for line in out.splitlines() if line.startswith("LOADED="))
    return json.loads(line[len("LOADED="):])


def test_import_torchscope_does_not_import_torch():
    loaded = _no_heavy_modules("import torchscope as ts; ts.open; ts.Record; ts.errors")
    assert loaded == dict.fromkeys(HEAVY, False)


def test_torch_users_still_load_on_first_use():
    code = """
    import sys, torchscope as ts
    assert "torch" not in sys.modules
    assert ts.init.__name__ == "init" and ts.Run.__name__ == "Run" and "torch" in sys.modules
    from torchscope import SummaryWriter
    assert SummaryWriter.__name__ == "SummaryWriter"
    """
    run_python(code)


def test_records_read_back_typed_without_torch(small_store: Path):
    code = """
    import sys, torchscope as ts
    store = ts.open(sys.argv[1])
    (run,) = store.runs()
    kinds = {}
    for entry in store.records(run.id):
        rec = entry.record
        kinds[entry.kind] = type(rec).__name__
    print(sorted(kinds.items()))
    assert kinds == {"model.summary": "ModelSummary", "model.graph": "ModelGraph", "eval.confusion": "ConfusionMatrix",
                     "eval.per_class": "PerClass", "data.class_balance": "ClassBalance"}, kinds
    """
    assert _no_heavy_modules(code, str(small_store))["torch"] is False


def test_every_builtin_record_class_loads_without_torch():
    code = """
    import sys
    from torchscope.records import BUILTIN_KINDS, record_class
    for kind in BUILTIN_KINDS:
        if kind != "health.alarm":
            assert record_class(kind).kind == kind
            assert "torch" not in sys.modules, f"reading a {kind} record imported torch"
    """
    assert _no_heavy_modules(code)["torch"] is False


def test_health_alarm_record_class_loads_without_torch():
    loaded = _no_heavy_modules("from torchscope.records import record_class; record_class('health.alarm')")
    assert loaded["torch"] is False


def test_dashboard_app_and_every_panel_load_without_torch(small_store: Path):
    # TestClient needs httpx (a dev extra): the check is on torch here; the report below checks httpx too
    code = """
    import sys
    from starlette.testclient import TestClient
    from torchscope.server.app import create_app

    app = create_app(sys.argv[1], warm=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:  # the lifespan too: every panel's setup
        runs = client.get("/api/runs").json()["runs"]
        assert [r["name"] for r in runs] == ["r"], runs
        panels = client.get("/api/panels").json()["panels"]
        assert {p["name"] for p in panels} >= {"scalars", "graph", "evaluation", "data", "gan", "ganlab"}
        assert [p for p in panels if p["error"]] == []
        rid = runs[0]["id"]
        assert client.get("/api/scalars/keys", params={"run": rid}).status_code == 200
        assert client.get("/api/graph/index", params={"run": rid}).status_code == 200
    """
    assert _no_heavy_modules(code, str(small_store))["torch"] is False


def test_report_builds_without_torch_or_httpx(small_store: Path, tmp_path: Path):
    out = tmp_path / "out.html"
    code = """
    import runpy, sys
    sys.argv = ["torchscope", "report", sys.argv[1], "-o", sys.argv[2], "-q"]
    try:
        runpy.run_module("torchscope", run_name="__main__")
    except SystemExit as exc:
        assert exc.code == 0, exc.code
    """
    loaded = _no_heavy_modules(code, str(small_store), str(out))
    assert loaded == dict.fromkeys(HEAVY, False)
    html = out.read_text(encoding="utf-8")
    for section in ('"name":"scalars"', '"name":"graph"', '"name":"evaluation"', '"name":"data"'):
        assert section in html


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_torchscope_serve_answers_without_importing_torch(small_store: Path, tmp_path: Path):
    port = _free_port()
    log = tmp_path / "importtime.txt"
    started = time.perf_counter()
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "torchscope", "serve", str(small_store),
                                 "--port", str(port)], stdout=subprocess.DEVNULL, stderr=err, env=child_env())
    try:
        deadline = started + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/runs", timeout=5) as r:
                    runs = json.loads(r.read())["runs"]
                break
            except OSError:
                assert proc.poll() is None, log.read_text()[-2000:]
                assert time.perf_counter() < deadline, "torchscope serve did not answer within 60 s"
                time.sleep(0.05)
        print(f"torchscope serve: first answer {time.perf_counter() - started:.2f} s after start")
        assert [r["name"] for r in runs] == ["r"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    imported = [line.rsplit("|", 1)[-1].strip() for line in log.read_text().splitlines() if "|" in line]
    assert imported and "torchscope.server.app" in imported
    assert [m for m in imported if m.split(".")[0] in HEAVY] == []


def test_a_submodule_read_first_does_not_hide_its_function():
    code = """
    import torchscope as ts
    import torchscope.data.profile, torchscope.model.graph, torchscope.gan.timeline, torchscope.explain.topk
    from torchscope.records import record_class
    record_class("data.profile")
    assert callable(ts.data.profile) and ts.data.profile.__name__ == "profile"
    assert ts.model.graph.__name__ == "graph" and ts.gan.timeline.__name__ == "timeline"
    import torchscope.explain as explain_package
    assert explain_package.topk.__name__ == "topk"
    """
    run_python(code)
