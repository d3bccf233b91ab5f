"""The dashboard in headless Chromium over ``torchscope serve`` and a real logging process.

Values are read back from the page (chart data and hover read-outs), a point logged after the
page opened must appear within 2 s, and screenshots of every panel go to test-artifacts/.
"""

from __future__ import annotations

import itertools
import math
import re
import time

from .conftest import shot

XSS = "<img src=x onerror=alert(1)>"


def expected(lr: float, s: int) -> float:
    return math.exp(-s * lr / 50) + 0.01 * math.sin(s)


def _open(page, stack, panel, smoothing=None):
    if smoothing is not None:
        state = f"JSON.stringify({{smoothing: {smoothing}}})"
        page.add_init_script(f"localStorage.setItem('torchscope.panel.scalars', {state})")
    page.goto(stack[1].url + "#" + panel)


def _wait_chart(page, key):
    page.wait_for_selector(f'.card[data-key="{key}"][data-state="drawn"]', timeout=10000)


def _chart(page, key):
    return page.evaluate("""(key) => { const c = window.torchscope.charts.get(key);
      return { range: c.range, runs: c.series.map((s) => ({ name: s.name, n: s.xs.length, x0: s.xs[0],
        x1: s.xs[s.xs.length - 1], last: s.ys[s.ys.length - 1], max: Math.max(...s.maxs),
        ds: s.downsampled })) }; }""", key)


def test_scalars_draw_the_logged_series(page, stack):
    _open(page, stack, "scalars", smoothing=0)
    _wait_chart(page, "train/loss")
    data = _chart(page, "train/loss")
    runs = {r["name"]: r for r in data["runs"]}
    assert set(runs) == {"alpha", "beta", XSS}  # live-run has no train/loss
    assert runs["beta"]["x0"] < 10 and runs["beta"]["x1"] == 1999  # buckets end at their last point
    assert runs["beta"]["last"] == expected(0.01, 1999)
    assert runs["alpha"]["max"] == 1000.0  # the one-point spike survives downsampling
    assert page.locator(".card").count() == 3  # train/acc, train/loss, live/loss
    # hover read-out: every run's value at the hovered step
    box = page.locator('.card[data-key="train/loss"] .u-over').bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    text = page.locator('.card[data-key="train/loss"] .readout').inner_text()
    step = int(re.search(r"step (\d+)", text).group(1))
    assert 800 < step < 1200
    beta = float(re.search(r"beta:\s*(\S+)", text).group(1))
    alpha = float(re.search(r"alpha:\s*(\S+)", text).group(1))
    assert math.isclose(beta, expected(0.01, step), rel_tol=1e-5)  # bucket ends are real points
    assert math.isclose(alpha, expected(0.1, step), rel_tol=1e-5)
    assert XSS + ":" in text
    shot(page, "scalars")
    assert not page.errors


def test_zoom_requeries_at_pixel_resolution(page, stack):
    _open(page, stack, "scalars", smoothing=0.6)
    _wait_chart(page, "train/loss")
    box = page.locator('.card[data-key="train/loss"] .u-over').bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.38, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.40, y, steps=4)
    page.mouse.up()
    page.wait_for_function("() => { const c = window.torchscope.charts.get('train/loss'); return c.range && "
                           "c.series.length && c.series[0].xs[0] >= c.range[0] - 1; }", timeout=5000)
    data = _chart(page, "train/loss")
    lo, hi = data["range"]
    assert 600 < lo < hi < 900
    alpha = next(r for r in data["runs"] if r["name"] == "alpha")
    assert not alpha["ds"] and alpha["n"] == math.floor(hi) - math.ceil(lo) + 1  # every point in range
    if lo <= 777 <= hi:
        assert alpha["max"] == 1000.0
    href = page.locator('.card[data-key="train/loss"] a.csv').get_attribute("href")
    assert "lo=" in href and "hi=" in href
    shot(page, "scalars-zoomed")


def test_live_point_appears_within_two_seconds(page, stack):
    logger, _ = stack
    _open(page, stack, "scalars", smoothing=0)
    _wait_chart(page, "live/loss")
    page.wait_for_selector("#live.on", timeout=5000)
    t0 = time.time()
    logger.log(500, 0.123456)
    page.wait_for_function("() => window.torchscope.charts.get('live/loss').series.some("
                           "(s) => s.ys.includes(0.123456) && s.xs.includes(500))", timeout=2000)
    assert time.time() - t0 < 2.0
    shot(page, "scalars-live")


def test_survives_server_restart(page, stack):
    logger, server = stack
    _open(page, stack, "scalars", smoothing=0)
    _wait_chart(page, "live/loss")
    page.wait_for_selector("#live.on", timeout=5000)
    server.stop()
    page.wait_for_selector("#live.off", timeout=5000)
    logger.log(600, 0.654321)  # logged while the server is down
    server.start()
    page.wait_for_selector("#live.on", timeout=10000)
    page.wait_for_function("() => { const c = window.torchscope.charts.get('live/loss');"
                           " return c && c.series.some((s) => s.ys.includes(0.654321)); }", timeout=5000)


def test_images_panel(page, stack):
    _open(page, stack, "images")
    page.wait_for_selector('.card[data-key="samples"] figure img')
    figs = page.locator('.card[data-key="samples"] figure[data-run]')
    assert figs.count() == 3 and figs.first.get_attribute("data-step") == "20"
    page.wait_for_function("() => [...document.querySelectorAll('figure img')]"
                           ".every((i) => i.complete && i.naturalWidth === 12)")
    slider = page.locator('.card[data-key="samples"] input[type=range]')
    slider.evaluate("(s) => { s.value = 0; s.dispatchEvent(new Event('input')); }")
    assert figs.first.get_attribute("data-step") == "0"
    assert "0 (1/3)" in page.locator(".step-label").inner_text()
    figs.first.locator("img").click()
    assert page.locator(".lightbox img").is_visible()
    shot(page, "images")


def test_histograms_panel(page, stack):
    _open(page, stack, "histograms")
    page.wait_for_selector("canvas.heatmap")
    assert page.locator("canvas.ridges").count() == 3
    assert page.locator("canvas.heatmap").first.get_attribute("data-steps") == "3"
    box = page.locator("canvas.heatmap").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.5)
    assert re.search(r"step 20 · value ≈ \S+ · count", page.locator(".hist-run .readout").first.inner_text())
    painted = page.locator("canvas.heatmap").first.evaluate(
        "(c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 0; i < d.length; i += 4)"
        " if (d[i + 3] && !(d[i] > 240 && d[i+1] > 240)) n++; return n; }")
    assert painted > 1000
    shot(page, "histograms")


def test_text_panel_renders_markdown_safely(page, stack):
    _open(page, stack, "text")
    page.wait_for_selector(".markdown strong")
    assert "bold 0" in page.locator(".markdown strong").all_inner_texts()
    assert page.locator(".markdown script").count() == 0
    assert "<script>" in page.locator(".markdown").first.inner_text()  # shown as text
    hrefs = page.locator(".markdown a").evaluate_all("(as) => as.map((a) => a.getAttribute('href'))")
    assert "https://pytorch.org" in hrefs and not any(h.startswith("javascript") for h in hrefs)
    assert page.evaluate("() => window.__xss") is None
    shot(page, "text")


def test_config_panel(page, stack):
    _open(page, stack, "config")
    page.wait_for_selector("table.config tbody tr")
    assert page.locator("table.config tbody tr").count() == 4
    page.locator('th[data-col="c:lr"]').click()
    names = page.locator("table.config tbody tr td:first-child").all_inner_texts()
    assert [n.strip() for n in names] == ["beta", XSS, "alpha", "live-run"]  # lr ascending
    head = page.locator("table.config thead").inner_text()
    assert "train/loss (last)" in head and "summary.best_loss" in head
    assert page.locator("svg.parcoords polyline").count() == 4
    assert "4 runs · 2 parameters (2 differ)" in page.inner_text(".cfg-count")
    # the columns: the parameters that differ, then the headline metrics; reordered, removed, added
    axes = "() => [...document.querySelectorAll('svg.parcoords .pc-axis')].map((g) => g.dataset.col)"
    assert page.evaluate(axes) == ["c:lr", "c:width", "m:train/acc", "m:train/loss"]
    page.click('.cfg-chip[data-col="m:train/loss"] button[aria-label^="move train/loss left"]')
    assert page.evaluate(axes) == ["c:lr", "c:width", "m:train/loss", "m:train/acc"]
    page.click('.cfg-chip[data-col="c:width"] button[aria-label="remove width"]')
    assert page.evaluate(axes) == ["c:lr", "m:train/loss", "m:train/acc"]
    assert "width" not in page.locator("table.config thead").inner_text()
    page.select_option("select.cfg-add", "m:live/loss")
    assert page.evaluate(axes) == ["c:lr", "m:train/loss", "m:train/acc", "m:live/loss"]
    shot(page, "config")
    page.reload()  # the choice is kept
    page.wait_for_selector("svg.parcoords")
    assert page.evaluate(axes) == ["c:lr", "m:train/loss", "m:train/acc", "m:live/loss"]
    page.click(".cfg-columns button:has-text('defaults')")
    assert page.evaluate(axes)[:2] == ["c:lr", "c:width"]


def test_parallel_coordinates_stay_readable_with_many_axes(page, stack):
    """57 columns with long names: the axes keep their spacing (the chart scrolls), no title overlaps
    another, each is cut to its slot with the whole name in its tooltip."""
    _open(page, stack, "config")
    page.wait_for_selector("svg.parcoords")
    got = page.evaluate("""async () => {
      const { parcoords } = await import("/panels/config/parcoords.js");
      const cols = Array.from({ length: 57 }, (_, i) => ({ id: `c:${i}`,
        label: `optimizer.param_group_${i}.learning_rate`, get: (r) => r.v * (i + 1) }));
      const rows = [1, 2, 3].map((v) => ({ run: String(v), name: `run ${v}`, v }));
      const box = document.createElement("div"); box.style.width = "900px"; document.body.append(box);
      const svg = parcoords(cols, rows, () => "#333", { width: 900 }); box.append(svg);
      const t = [...svg.querySelectorAll(".pc-title")].map((e) => { const b = e.getBBox();
        return [b.x, b.x + b.width, e.firstChild.textContent, e.querySelector("title").textContent]; });
      box.remove();
      return { width: +svg.getAttribute("width"), t }; }""")
    t = got["t"]
    assert len(t) == 57 and got["width"] >= 57 * 110
    assert all(a[1] + 4 <= b[0] for a, b in itertools.pairwise(t)), "titles overlap"
    assert all(x[3].startswith("optimizer.param_group_") and x[2].endswith("…") for x in t)


def test_run_named_like_html_is_text(page, stack):
    _open(page, stack, "scalars")
    page.wait_for_selector("li.run")
    names = page.locator("li.run .name").all_inner_texts()
    assert XSS in names
    assert page.locator('img[src="x"]').count() == 0
    for panel in ("images", "config", "text"):
        page.goto(stack[1].url + "#" + panel)
        page.wait_for_timeout(400)
    assert page.alerts == [] and page.locator('img[src="x"]').count() == 0


def test_phone_layout(browser, stack):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    try:
        for panel in ("scalars", "images", "histograms", "text", "config"):
            page.goto(stack[1].url + "#" + panel)
            page.wait_for_selector(".panel-body .card", timeout=10000)
            page.wait_for_timeout(300)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, panel
            shot(page, f"phone-{panel}")
        page.goto(stack[1].url + "#scalars")
        _wait_chart(page, "train/loss")
        xs = page.locator(".grid .card").evaluate_all("(cs) => cs.map((c) => c.getBoundingClientRect().x)")
        assert len(set(round(x) for x in xs)) == 1  # charts stack in one column
        assert page.locator("aside#runs").bounding_box()["x"] < -100  # the run list is collapsed
        page.locator("#toggle-runs").click()
        page.wait_for_timeout(300)
        assert page.locator("aside#runs").bounding_box()["x"] >= -1
        shot(page, "phone-runs-open")
    finally:
        ctx.close()


def test_broken_panel_shows_a_message(page, stack):
    def panels(route):
        route.fulfill(json={"panels": [
            {"name": "broken", "title": "Broken", "order": 1, "module": None, "error": "RuntimeError: boom"},
            {"name": "missing", "title": "Missing", "order": 2, "module": "panels/missing/panel.js", "error": None},
            {"name": "text", "title": "Text", "order": 3, "module": "panels/text/panel.js", "error": None}]})

    page.route("**/api/panels", panels)
    page.goto(stack[1].url + "#broken")
    assert "boom" in page.locator(".panel-error").inner_text(timeout=5000)
    page.goto(stack[1].url + "#missing")
    page.wait_for_selector(".panel-error")
    assert "Missing panel failed" in page.locator(".panel-error").inner_text()
    page.locator('nav a[data-panel="text"]').click()
    page.wait_for_selector(".markdown")


def test_rename_and_archive_from_the_run_list(browser, stack):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    try:
        page.goto(stack[1].url + "#config")
        page.wait_for_selector("li.run")
        beta = page.locator("li.run", has_text="beta")
        beta.locator(".name").click()
        page.once("dialog", lambda d: d.accept("beta-renamed"))
        beta.locator("button", has_text="rename").click()
        page.wait_for_selector("li.run .name:text-is('beta-renamed')")
        row = page.locator("li.run", has_text="beta-renamed")
        row.locator("button", has_text="archive").click()
        page.wait_for_function("() => ![...document.querySelectorAll('li.run .name')]"
                               ".some((n) => n.textContent === 'beta-renamed')")
        page.once("dialog", lambda d: d.dismiss())  # deleting asks first; dismissing keeps the run
        page.locator("li.run", has_text="alpha").locator(".name").click()
        page.locator("li.run", has_text="alpha").locator("button", has_text="delete").click()
        page.wait_for_timeout(300)
        assert page.locator("li.run", has_text="alpha").count() == 1
        shot(page, "run-list")
    finally:
        ctx.close()


HIDE = """() => { Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
  document.dispatchEvent(new Event("visibilitychange")); }"""
SHOW = """() => { delete document.hidden; delete document.visibilityState;
  document.dispatchEvent(new Event("visibilitychange")); }"""


def test_background_tabs_let_their_live_stream_go(page, stack):
    """Six hidden tabs must not hold the six HTTP/1.1 connections a browser allows per server."""
    ctx = page.context
    tabs = []
    try:
        for _ in range(6):
            tab = ctx.new_page()
            tab.goto(stack[1].url + "#scalars")
            tab.wait_for_selector("#live.on", timeout=10000)
            tab.evaluate(HIDE)
            tabs.append(tab)
        time.sleep(6)  # past the 5 s grace period: their streams are closed now
        _open(page, stack, "scalars", smoothing=0)
        _wait_chart(page, "live/loss")  # would stall behind six open streams
        page.wait_for_selector("#live.on", timeout=5000)
        tabs[0].evaluate(SHOW)  # shown again: reconnects and catches up
        tabs[0].wait_for_selector("#live.on", timeout=5000)
        stack[0].log(700, 0.777)
        tabs[0].wait_for_function("() => { const c = window.torchscope.charts.get('live/loss');"
                                  " return c && c.series.some((s) => s.ys.includes(0.777)); }", timeout=8000)
    finally:
        for tab in tabs:
            tab.close()
