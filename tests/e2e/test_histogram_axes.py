"""The Histograms panel's axes and key filter in headless Chromium: nice ticks (1, 2 or 5 times a
power of ten, one format per axis), no label cut by its canvas (the old left margin cut
``-1.2900e-4`` to ``.2900e-4``), and a filter box over many keys that is remembered. Screenshots of
desktop and phone go to test-artifacts/dashboard/."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import torchscope as ts

from .conftest import Server, shot

SCALES = {"tiny": 1.3e-4, "unit": 1.0, "wide": 2.5e6, "offset": 0.02}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[Server]:
    dir = tmp_path_factory.mktemp("hist") / "tsruns"
    rng = np.random.default_rng(0)
    with ts.init(project="hist", name="cnn", dir=dir) as run:
        for s in range(0, 12000, 1000):
            for name, scale in SCALES.items():
                x = rng.standard_normal(400) * scale / 3 + (1000.0 if name == "offset" else 0.0)
                run.log_histogram(f"{name}/weight", x, step=s, bins=30)
            for i in range(24):  # many keys: the filter's reason to be
                run.log_histogram(f"layers.{i}.grad", rng.standard_normal(100) * (i + 1), step=s, bins=10)
    srv = Server(Path(dir))
    yield srv
    srv.stop()


def _labels(page, key):
    return page.locator(f'.card[data-key="{key}"] canvas.hist').evaluate_all(
        "(cs) => cs.map((c) => ({ kind: c.classList.contains('ridges') ? 'ridges' : 'heatmap', width: c.clientWidth,"
        " labels: JSON.parse(c.dataset.labels || 'null') }))")


def _nice(values: list[float]) -> bool:
    if len(values) < 2:
        return True
    step = values[1] - values[0]
    mant = step / 10 ** math.floor(math.log10(step))
    return any(math.isclose(mant, m, rel_tol=1e-6) for m in (1, 2, 5, 10)) and all(
        math.isclose(b - a, step, rel_tol=1e-6) for a, b in itertools.pairwise(values))


EDGE_INK = """(c) => { const g = c.getContext("2d"), d = g.getImageData(0, 0, c.width, c.height).data, w = c.width;
  let n = 0; const cols = Math.ceil(2 * (window.devicePixelRatio || 1)), edge = [...Array(cols).keys()];
  for (let y = 0; y < c.height; y++) for (const x of [...edge, ...edge.map((i) => w - 1 - i)])
    if (d[4 * (y * w + x) + 3] > 60) n++;
  return n; }"""


def test_ticks_are_nice_and_no_label_is_cut(page, server):
    page.goto(server.url + "#histograms")
    for name in SCALES:
        page.wait_for_selector(f'.card[data-key="{name}/weight"] canvas.heatmap', timeout=30000)
    for name in SCALES:  # nothing drawn on a canvas's first and last two pixel columns: no text runs off it
        ink = page.locator(f'.card[data-key="{name}/weight"] canvas.hist').evaluate_all(f"(cs) => cs.map({EDGE_INK})")
        assert ink == [0, 0], name
    for name in SCALES:
        for canvas in _labels(page, f"{name}/weight"):
            labels = canvas["labels"]
            assert labels, (name, canvas["kind"])
            for lab in labels:  # every label inside its canvas
                assert lab["left"] >= 0 and lab["right"] <= canvas["width"] + 0.5, (name, canvas["kind"], lab)
            numbers = [float(lab["text"]) for lab in labels if lab["axis"] == "value"]
            assert len(numbers) >= 2 and _nice(sorted(numbers)), (name, canvas["kind"], [lab["text"] for lab in labels])
    texts = [lab["text"] for c in _labels(page, "tiny/weight") for lab in c["labels"] if lab["axis"] == "value"]
    assert "1e-4" in texts or "-1e-4" in texts or "5e-5" in texts, texts  # short, exact labels
    assert not [t for t in texts if "0000" in t or t.startswith(".")]
    shot(page, "histograms-axes")
    assert not page.errors


def test_the_key_filter_narrows_many_cards_and_is_remembered(page, server):
    page.goto(server.url + "#histograms")
    page.wait_for_selector(".toolbar input.filter")
    page.locator("input.filter").fill("")
    page.wait_for_selector('.card[data-key="layers.0.grad"] canvas.heatmap', timeout=15000)
    assert page.locator(".hist-grid > .card").count() == 28
    page.locator("input.filter").fill(r"layers\.1\d")
    page.wait_for_function("() => document.querySelectorAll('.hist-grid > .card:not([hidden])').length === 10")
    assert "10 of 28 keys · 1 run" in page.locator(".toolbar .count").inner_text()
    page.reload()
    page.wait_for_selector('.card[data-key="layers.19.grad"] canvas.heatmap', timeout=15000)
    assert page.locator("input.filter").input_value() == r"layers\.1\d"
    visible = page.locator(".hist-grid > .card:not([hidden])").evaluate_all("(cs) => cs.map((c) => c.dataset.key)")
    assert visible == [f"layers.{i}.grad" for i in range(10, 20)]
    page.locator("input.filter").fill("nothing-like-this")
    page.wait_for_selector(".no-match")
    page.locator("input.filter").fill("")


def test_phone(browser, server):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    try:
        page.goto(server.url + "#histograms")
        page.wait_for_selector(".toolbar input.filter")
        page.locator("input.filter").fill("tiny")
        page.wait_for_selector('.card[data-key="tiny/weight"] canvas.heatmap', timeout=15000)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        for canvas in _labels(page, "tiny/weight"):
            assert all(lab["left"] >= 0 and lab["right"] <= canvas["width"] + 0.5 for lab in canvas["labels"])
        shot(page, "phone-histograms-axes")
    finally:
        ctx.close()
