"""Fixtures for the report tests: the tour's runs (every panel populated) plus a hostile run, its
report built once, and headless Chromium opening it from ``file://`` with the network off."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ..conftest import ROOT, copy_tour
from ..e2e.conftest import browser, chromium_path  # noqa: F401  (the same headless Chromium, per module)

ARTIFACTS = ROOT / "test-artifacts" / "report"
HOSTILE = "<img src=x onerror=alert(1)>"
SPIKE_AT = 31_337


def log_hostile(dir: Path) -> str:
    """A second run named like an XSS probe: NaN/Inf points, a long series with one spike, HTML text, detections,
    media with hostile captions, console output and the code's state."""
    import torchscope as ts

    with ts.init(dir=dir, project="demo", name=HOSTILE, tags=["</script><script>alert(2)</script>"],
                 config={"lr": 0.01, "note": "<!-- --><script>alert(3)</script>"}, console=True, code=True) as run:
        print(f"epoch 1 {HOSTILE}")  # captured into the run (the Console panel)
        for step in range(120):
            loss = math.nan if step == 50 else (math.inf if step == 60 else 2.0 / (1 + step))
            run.log({"train/loss": loss}, step=step)
        values = np.sin(np.arange(50_000) / 500.0)
        values[SPIKE_AT] = 40.0
        for step, v in enumerate(values.tolist()):
            run.log({"long/signal": v}, step=step)
        run.log_text("notes", "**bold** <b>not html</b> <script>alert(4)</script>", step=3)
        img = np.kron(np.eye(8), np.ones((8, 8)))
        run.log_image("detections/sample", img, step=7, boxes=[[4, 4, 40, 40], [20, 10, 60, 50]], labels=[1, 2],
                      scores=[0.9, 0.4], class_names=["bg", "cat", "dog"])
        frames = np.repeat(np.linspace(0, 1, 6)[:, None, None, None], 3, axis=1) * np.ones((6, 3, 16, 16))
        run.log_video("media/clip", frames, fps=4, step=8)
        run.log_audio("media/tone", np.sin(np.arange(4000) / 8.0).astype(np.float32), sample_rate=8000, step=8)
        run.log_points("media/cloud", np.random.default_rng(0).normal(size=(100, 3)), step=8)
        return run.id


@pytest.fixture(scope="session")
def demo_store(quick_tour: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    dir = copy_tour(quick_tour, tmp_path_factory.mktemp("report") / "tsruns")  # a hostile run is logged into it
    tour = quick_tour["tour"]
    hostile = log_hostile(dir)
    return {"dir": dir, "demo": tour.cnn.id, "gan": tour.gan.id, "runs": [r.id for r in tour.runs],
            "losses": [tour.cnn.id, tour.cnn_slow.id, tour.diverged.id], "hostile": hostile}


@pytest.fixture(scope="session")
def report(demo_store: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import time

    from torchscope.report import build_report

    out = tmp_path_factory.mktemp("report_out") / "report.html"
    lines: list[str] = []
    t = time.perf_counter()
    path = build_report(demo_store["dir"], out, progress=lines.append)
    return {**demo_store, "path": path, "lines": lines, "seconds": time.perf_counter() - t}


@pytest.fixture
def open_report(browser: Any) -> Iterator[Any]:  # noqa: F811  (the fixture imported above)
    """``page = open_report(path)``: the report from file:// with the network off, ready; requests recorded."""
    contexts = []

    def go(path: Path, width: int = 1280) -> Any:
        ctx = browser.new_context(viewport={"width": width, "height": 900}, offline=True, accept_downloads=True)
        contexts.append(ctx)
        pg = ctx.new_page()
        pg.requests, pg.errors, pg.dialogs = [], [], []
        pg.on("request", lambda r: pg.requests.append(r.url))
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
        pg.goto(path.resolve().as_uri())
        pg.wait_for_selector("#report[data-state=ready]", timeout=30000)
        return pg

    yield go
    for ctx in contexts:
        ctx.close()


def read_snapshot(html: str) -> dict[str, Any]:
    """The report's meta JSON, with ``answers``: ``{(how, path, sorted pairs): bytes}`` decoded from its packs."""
    import base64
    import gzip
    import json
    import re

    def script(id: str) -> str:
        m = re.search(rf'<script type="[^"]+" id="{id}">(.*?)</script>', html, re.S)
        assert m, id
        return m.group(1)

    meta = json.loads(script("ts-report"))
    packs = {"z": gzip.decompress(base64.b64decode(script("ts-pack-z"))), "r": base64.b64decode(script("ts-pack-r"))}
    meta["answers"] = {(how, path, tuple(tuple(p) for p in sorted(pairs))): packs[pack][off:off + n]
                       for how, path, pairs, _, pack, off, n in meta["entries"]}
    return meta


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)
