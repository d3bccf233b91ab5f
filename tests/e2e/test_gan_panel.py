"""The GAN panel in headless Chromium over ``torchscope serve`` (a child process) on a store filled
by a real tiny ``ts.gan.train_dcgan`` run (tests/server/test_gan_panel.train_gan): scrubbing and
playing the fixed-noise timeline changes the grid shown, the curves, metrics and alarms are the
logged ones, a latent slider move fetches a new image, a prototype request shows an image and a
score, a counterfactual shows its strip and probabilities, the GIF download holds one frame per
checkpoint, and a run without a classifier says so. Screenshots go to test-artifacts/gan/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import torchscope as ts

from ..conftest import ROOT
from ..server.test_gan_panel import train_gan
from .conftest import Server

ARTIFACTS = ROOT / "test-artifacts" / "gan"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    dir = tmp_path_factory.mktemp("e2e_gan") / "tsruns"
    ids = train_gan(dir)
    server = Server(dir)
    yield server.url, dir, ids
    server.stop()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def shown(page: Any) -> dict[str, Any]:
    return page.evaluate("""() => { const img = document.querySelector('img.gan-grid-img');
      return { src: img.getAttribute('src'), step: img.dataset.step,
               label: document.querySelector('.gan-step').textContent,
               loaded: img.complete && img.naturalWidth > 0,
               value: document.querySelector('input.gan-scrub').value }; }""")


GRID_LOADED = "() => { const i = document.querySelector('img.gan-grid-img'); return i.complete && i.naturalWidth > 0; }"
PIXELS = """() => { const i = document.querySelector('img.gan-grid-img'); const c = document.createElement('canvas');
  c.width = i.naturalWidth; c.height = i.naturalHeight; const x = c.getContext('2d'); x.drawImage(i, 0, 0);
  return Array.from(x.getImageData(0, 0, c.width, c.height).data.slice(0, 4000)).join(','); }"""
EXPLORER_LOADED = """() => { const i = document.querySelector('img.gan-explore-img');
  return i && i.complete && i.naturalWidth === 64; }"""
STEP_IS = "() => document.querySelector('img.gan-grid-img').dataset.step === '{}'"


def test_scrubbing_the_timeline_changes_the_grid(page: Any, served: tuple[str, Any, dict[str, Any]]) -> None:
    url, dir, ids = served
    page.goto(url + "#gan")
    page.wait_for_function("() => window.torchscope.gan?.data && document.querySelector('img.gan-grid-img')?.complete"
                           " && document.querySelector('img.gan-grid-img').naturalWidth > 0", timeout=20000)
    steps = [e.step for e in ts.open(dir).images(ids["gan"], "gan/samples", with_data=False)]
    first = shown(page)
    assert first["step"] == str(steps[-1]) and f"step {steps[-1]}" in first["label"]  # opens on the newest grid
    assert f"step={steps[-1]}" in first["src"] and f"run={ids['gan']}" in first["src"]
    seen = {}
    for i in (0, 3):  # drag the scrubber: the img src and step change and the new grid loads
        page.eval_on_selector("input.gan-scrub", f"e => {{ e.value = {i}; e.dispatchEvent(new Event('input')); }}")
        page.wait_for_function(GRID_LOADED)
        s = shown(page)
        assert s["step"] == str(steps[i]) and f"step={steps[i]}" in s["src"] and s["loaded"]
        assert f"step {steps[i]} · {i + 1} / {len(steps)}" in s["label"]
        seen[i] = page.evaluate(PIXELS)
    assert seen[0] != seen[3]  # different pixels, not just a different address
    # the D outputs chart marks the step shown; the curves are the logged series
    charts = page.evaluate("""() => Object.fromEntries(Object.entries(window.torchscope.gan.charts).map(([k, c]) =>
      [k, { marks: c.marks, labels: c.opts.series.map((s) => s.label), state: c.el.dataset.state,
            points: Number(c.el.dataset.points) }]))""")
    assert all(charts[k]["marks"] == [steps[3]] for k in ("loss", "d", "grad")), charts
    d = charts["d"]
    assert d["labels"] == ["D(x)", "D(G(z))"] and d["state"] == "drawn" and d["points"] > 0
    shot(page, "gan-desktop")
    # play runs the timeline to its end
    page.click("button.gan-play")
    page.wait_for_function(STEP_IS.format(steps[-1]), timeout=10000)
    page.wait_for_function("() => document.querySelector('button.gan-play').textContent.endsWith('play')")
    assert not page.errors


def test_curves_hover_zoom_and_reset(page: Any, served: tuple[str, Any, dict[str, Any]]) -> None:
    """The loss curves are uPlot charts with the Scalars handling: a hover reads the logged values at
    that step, a drag zooms the steps, a double-click shows them all again."""
    url, dir, ids = served
    page.goto(url + "#gan")
    page.wait_for_selector(".lc[data-chart=loss][data-state=drawn]", timeout=20000)
    store = ts.open(dir)
    d_loss, g_loss = (store.scalars(ids["gan"], k) for k in ("gan/d_loss", "gan/g_loss"))
    over = page.locator(".lc[data-chart=loss] .u-over")
    box = over.bounding_box()
    scale = ("() => { const u = document.querySelector('.lc[data-chart=loss]').chart.u; "
             "return [u.scales.x.min, u.scales.x.max]; }")
    lo, hi = page.evaluate(scale)
    step = d_loss.step[len(d_loss) // 2]
    page.mouse.move(box["x"] + box["width"] * (step - lo) / (hi - lo), box["y"] + box["height"] / 2)
    text = page.inner_text(".lc[data-chart=loss] .lc-readout")
    assert f"step {step}" in text, text
    i = list(d_loss.step).index(step)
    for label, stored in (("D loss:", d_loss), ("G loss:", g_loss)):
        assert float(text.split(label)[1].split()[0]) == pytest.approx(float(stored.value[i]), rel=1e-5), text
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2, steps=6)
    page.mouse.up()
    zlo, zhi = page.evaluate(scale)
    assert lo < zlo < zhi < hi and page.get_attribute(".lc[data-chart=loss]", "data-zoomed") == "true"
    page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.evaluate(scale) == [lo, hi]
    assert not page.errors


def test_metrics_alarms_and_latent_slider(page: Any, served: tuple[str, Any, dict[str, Any]]) -> None:
    url = served[0]
    page.goto(url + "#gan")
    page.wait_for_selector("li.gan-alarm", timeout=20000)
    alarm = page.locator('li.gan-alarm[data-type="d_winning"]')
    assert "step 5" in alarm.inner_text() and "D(G(z)) pinned" in alarm.inner_text()
    alarm.click()  # shows the timeline at the alarm's step
    page.wait_for_function(STEP_IS.format(5))
    row = page.locator('table.gan-metrics tr[data-step="6"]').inner_text()
    assert "12.5" in row and "0.031" in row and "0.6" in row and "0.4" in row
    page.click("button.gan-explore-open")
    page.wait_for_function(EXPLORER_LOADED, timeout=20000)
    before = page.get_attribute("img.gan-explore-img", "src")
    assert page.locator("input.gan-slider").count() == 6
    page.eval_on_selector('input.gan-slider[data-i="0"]',
                          "e => { e.value = 2.5; e.dispatchEvent(new Event('input')); }")
    page.wait_for_function(f"() => document.querySelector('img.gan-explore-img').getAttribute('src') !== {before!r}")
    assert "s=2.50%2C0.00" in page.get_attribute("img.gan-explore-img", "src")
    shot(page, "gan-explorer")
    assert not page.errors


READY = "() => window.torchscope.gan?.data && document.querySelector('button.gan-proto-go')"


def test_prototype_and_counterfactual_on_demand(page: Any, served: tuple[str, Any, dict[str, Any]]) -> None:
    page.goto(served[0] + "#gan")
    page.wait_for_function(READY, timeout=20000)
    page.select_option("select.gan-proto-class", "3")
    page.select_option("select.gan-proto-effort", "quick")
    page.click("button.gan-proto-go")
    page.wait_for_function("""() => { const i = document.querySelector('.gan-proto-result img.gan-proto-img');
      return i && i.complete && i.naturalWidth > 0; }""", timeout=30000)
    res = page.locator(".gan-proto-result")
    assert res.get_attribute("data-class") == "3" and 0 < float(res.get_attribute("data-score")) <= 1
    assert "'3'" in res.locator(".gan-score").inner_text() and "p = " in res.inner_text()
    assert page.evaluate("() => document.querySelector('img.gan-proto-mean').naturalWidth") == 96  # the real mean
    assert "done in" in page.locator(".gan-proto .gan-status").inner_text()
    page.select_option("select.gan-cf-source", "3")
    page.select_option("select.gan-cf-target", "8")
    page.select_option("select.gan-cf-effort", "quick")
    page.click("button.gan-cf-go")
    page.wait_for_selector(".gan-cf-strip figure img", timeout=30000)
    strip = page.locator(".gan-cf-strip")
    assert strip.get_attribute("data-source") == "3" and strip.get_attribute("data-target") == "8"
    assert strip.locator("figure").count() == 9 and "p('8')" in strip.inner_text()
    page.wait_for_selector(".gan-cf-chart .lc[data-state=drawn]")  # the probabilities along the path, on uPlot
    assert "p('8')" in page.get_attribute(".gan-cf-chart", "data-series")
    assert "reached" in page.locator(".gan-cf .gan-score").inner_text()
    page.locator(".gan-proto").scroll_into_view_if_needed()
    shot(page, "gan-lens")
    assert not page.errors


def test_timeline_gif_download(page: Any, served: tuple[str, Any, dict[str, Any]]) -> None:
    import io

    from PIL import Image

    url, dir, ids = served
    page.goto(url + "#gan")
    page.wait_for_function(READY, timeout=20000)
    with page.expect_download(timeout=30000) as info:
        page.click("button.gan-gif")
    download = info.value
    assert download.suggested_filename.endswith("-timeline.gif")
    gif = Image.open(io.BytesIO(Path(download.path()).read_bytes()))
    steps = [e.step for e in ts.open(dir).images(ids["gan"], "gan/samples", with_data=False)]
    assert gif.format == "GIF" and gif.n_frames == len(steps) == 7
    page.wait_for_function("() => document.querySelector('.gan-gif-note').textContent.includes('7 frames')")
    assert not page.errors


def test_a_run_without_a_classifier_says_so(page: Any, served: tuple[str, Any, dict[str, Any]]) -> None:
    page.goto(served[0] + "#gan")
    page.wait_for_function(READY, timeout=20000)
    page.select_option("select.gan-run", served[2]["nocls"])
    page.wait_for_function("() => document.querySelector('.gan-proto')?.textContent"
                           ".includes('no classifier checkpoint')")
    assert "save_checkpoint" in page.locator(".gan-cf").inner_text()
    assert page.locator("button.gan-proto-go").count() == 0
    assert not page.errors
