"""The Health panel in headless Chromium over ``torchscope serve`` and a store written by a real
``run.watch`` training run (a tiny MLP with a dead ReLU layer, so a ``dead_relu`` alarm exists).

Values are read back from the page: the heat map's numbers and the colours of its canvas pixels
against the store, the alarm list, the cell an alarm selects, a layer's histograms, the deep link
to the Scalars chart, and the phone layout. Screenshots go to test-artifacts/dashboard/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import torchscope as ts

from ..server.watched import DEAD_LAYER, EVERY, STEPS, train_watched
from .conftest import Server, shot


@pytest.fixture(scope="module")
def health(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[tuple[Server, Path, str]]:
    dir = tmp_path_factory.mktemp("e2e-health") / "tsruns"
    run_id = train_watched(dir)["id"]
    server = Server(dir)
    yield server, dir, run_id
    server.stop()


def _open(page, health) -> None:
    page.goto(health[0].url + "#health")
    page.wait_for_function("() => window.torchscope.health?.matrix", timeout=15000)


PIXELS = """() => { const hm = window.torchscope.health.heat, g = hm.geometry(), m = hm.m;
  const ctx = hm.canvas.getContext("2d"), dpr = window.devicePixelRatio || 1, out = [];
  for (let r = 0; r < m.layers.length; r++) for (let i = 0; i < m.steps.length; i++) {
    const [x, y, w, h] = hm.rect(g, r, i);
    const px = ctx.getImageData(Math.floor((x + w / 2) * dpr), Math.floor((y + h / 2) * dpr), 1, 1).data;
    out.push({ layer: m.layers[r], step: m.steps[i], value: m.values[r][i], pixel: [px[0], px[1], px[2]],
               expected: hm.scale.colour(m.values[r][i]) });
  }
  return { stat: m.stat, scale: m.scale, cells: out }; }"""


def test_heat_map_cells_are_the_logged_values(page, health):
    _, dir, run_id = health
    _open(page, health)
    data = page.evaluate(PIXELS)
    assert data["stat"] == "grad_norm" and data["scale"] == "log"
    store = ts.open(dir)
    cells = data["cells"]
    assert {c["layer"] for c in cells} == {"0", "2", "4"}  # the Linear layers have gradients
    assert sorted({c["step"] for c in cells}) == list(range(0, STEPS, EVERY))
    for layer in ("0", "2", "4"):
        s = store.scalars(run_id, f"watch/{layer}/grad_norm")
        logged = dict(zip(s.step.tolist(), s.value.tolist()))
        for c in (c for c in cells if c["layer"] == layer):
            assert c["value"] == pytest.approx(logged[c["step"]], rel=1e-12)
    for c in cells:  # what is drawn is the scale's colour of that value
        assert max(abs(a - b) for a, b in zip(c["pixel"], c["expected"])) <= 2, c
    colours = {tuple(c["pixel"]) for c in cells if c["layer"] == "4"}
    assert len(colours) > 1  # the last layer's gradient norm varies over the steps: so do its colours
    shot(page, "health")
    assert not page.errors


def test_alarm_is_listed_and_selects_its_layer_and_step(page, health):
    _open(page, health)
    alarm = page.locator('li.alarm[data-type="dead_relu"]')
    assert alarm.count() == 1
    text = alarm.inner_text()
    assert "dead relu" in text and f"layer {DEAD_LAYER}" in text and "step 0" in text
    alarm.locator("button.alarm-main").click()
    page.wait_for_function("() => window.torchscope.health.selected && window.torchscope.health.matrix.stat === 'dead'")
    sel = page.evaluate("() => { const hl = window.torchscope.health; return { ...hl.selected, row: hl.heat.sel.row,"
                        " stat: document.querySelector('.health-stat').value, layers: hl.matrix.layers,"
                        " values: hl.matrix.values }; }")
    assert sel["layer"] == DEAD_LAYER and sel["step"] == 0 and sel["stat"] == "dead"
    assert sel["layers"][sel["row"]] == DEAD_LAYER
    assert all(v == 1.0 for v in sel["values"][sel["row"]])  # the whole row is dead
    page.locator(".hist-card", has_text="has no parameters").wait_for(timeout=5000)  # a ReLU
    shot(page, "health-alarm")
    assert not page.errors


def test_clicking_a_cell_shows_that_layers_histograms(page, health):
    _, dir, run_id = health
    _open(page, health)
    box = page.evaluate("""() => { const hm = window.torchscope.health.heat, g = hm.geometry();
      const [x, y, w, h] = hm.rect(g, hm.m.layers.indexOf("2"), hm.m.steps.indexOf(10));
      return { x: x + w / 2, y: y + h / 2 }; }""")
    page.locator("canvas.heatmap").click(position=box)
    page.wait_for_selector("canvas.hist-bars", timeout=5000)
    figs = page.evaluate("() => [...document.querySelectorAll('canvas.hist-bars')].map((c) => ({ ...c.dataset }))")
    assert {(f["param"], f["kind"]) for f in figs} == {("weight", "weight"), ("weight", "grad"), ("bias", "weight"),
                                                        ("bias", "grad")}
    assert all(f["step"] == "10" for f in figs)
    assert "Layer 2" in page.locator(".hist-card h3").inner_text()
    ref = next(e for e in ts.open(dir).histograms(run_id, "watch/2/weight.grad") if e.step == 10)
    assert ref.counts.sum() == 16 * 16  # the gradient of the 16x16 weight: every element counted
    shot(page, "health-histograms")
    assert not page.errors


def test_alarm_opens_the_scalars_chart_at_its_step(page, health):
    _open(page, health)
    page.locator('li.alarm[data-type="dead_relu"] a.to-scalars').click()
    key = f"watch/{DEAD_LAYER}/dead"
    page.wait_for_selector(f'.card[data-key="{key}"][data-state="drawn"]', timeout=10000)
    assert page.locator(".grid .card").count() == 1  # filtered to that one key
    assert page.locator("input.filter").input_value() == f"^watch/{DEAD_LAYER}/dead$"
    assert page.evaluate(f"() => window.torchscope.charts.get('{key}').mark") == 0
    assert page.evaluate("() => location.hash") == "#scalars"  # applied once, then dropped
    assert not page.errors


def test_phone_layout(browser, health):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _open(page, health)
    page.locator('li.alarm[data-type="dead_relu"] button.alarm-main').click()
    page.wait_for_function("() => window.torchscope.health.selected")
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 390  # nothing sticks out
    assert page.locator("canvas.heatmap").bounding_box()["width"] <= 370
    shot(page, "health-phone")
    ctx.close()
    assert not errors
