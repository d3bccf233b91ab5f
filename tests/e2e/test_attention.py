"""The Attention panel in headless Chromium over ``torchscope serve`` (a child process) on the store of
tests/server/test_attention_panel.fill: the model view draws and opens a head, hovering a token
isolates its lines (read back from the canvas' pixels), the 2,048-token heat map draws (its time
printed, not asserted) and zooms, the ViT rollout and cross-attention, a phone, and the static
report opened from ``file://``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ..conftest import ROOT
from ..server.test_attention_panel import LONG, fill
from ..server.util import XSS
from .conftest import Server, offline_report

ARTIFACTS = ROOT / "test-artifacts" / "attention"

# the alpha of the line canvas at x = 1 (where a query's lines start) for each query row
ROW_ALPHA = """(c) => { const ctx = c.getContext("2d"), d = window.devicePixelRatio || 1, out = [];
  const n = c.height / (18 * d);
  for (let i = 0; i < n; i++) out.push(ctx.getImageData(Math.round(d), Math.round((i + 0.5) * 18 * d), 1, 1).data[3]);
  return out; }"""
COLOURS = """(c) => { const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data, s = new Set();
  for (let k = 0; k < d.length; k += 4) s.add((d[k] << 16) | (d[k + 1] << 8) | d[k + 2]); return s.size; }"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[tuple[str, Path, dict[str, Any]]]:
    dir = tmp_path_factory.mktemp("e2e_attention") / "tsruns"
    logged = fill(dir)
    server = Server(dir)
    yield server.url, dir, logged
    server.stop()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_record(page: Any, url: str, run: str, record: str, **state: Any) -> None:
    """The panel on a record (its saved state, as a user who picked it before would have it)."""
    page.goto(url + "api/health")  # the dashboard's origin, without loading the dashboard
    page.evaluate("(s) => localStorage.setItem('torchscope.panel.attention', s)",
                  json.dumps({"run": run, "record": record, **state}))
    page.goto(url + "#attention")
    page.wait_for_selector(".att-mv[data-drawn]", timeout=20000)
    page.wait_for_selector("canvas.att-heat[data-drawn]", timeout=20000)


def test_model_view_opens_a_head_and_hovering_a_token_isolates_its_lines(page: Any, served: Any) -> None:
    url, _, logged = served
    open_record(page, url, logged["text"], "attention/encoder@3")
    thumbs = page.eval_on_selector_all(".att-thumb", "els => els.map((e) => [+e.dataset.layer, +e.dataset.head])")
    assert thumbs == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert all(n > 4 for n in page.eval_on_selector_all(".att-thumb canvas", f"els => els.map({COLOURS})"))
    page.wait_for_selector("canvas.att-lines[data-lines]")
    page.click('.att-thumb[data-layer="0"][data-head="1"]')  # open layer 0, head 1
    page.wait_for_function("() => document.querySelector('canvas.att-heat')?.dataset.drawn && "
                           "document.querySelector('.att-heat-note').textContent.startsWith('head 1')")
    assert "Head view · layer 0" in page.inner_text(".att-card:nth-child(2) h3")
    assert page.eval_on_selector_all(".att-chip.on", "els => els.map((e) => e.textContent)") == ["h1"]
    page.mouse.move(5, 5)  # the head view scrolls under the pointer: away from its tokens
    page.wait_for_function("() => document.querySelector('canvas.att-lines').dataset.focus === '' && "
                           "document.querySelector('canvas.att-lines').dataset.lines > 0")
    canvas = page.query_selector("canvas.att-lines")
    before = canvas.evaluate(ROW_ALPHA)
    assert len(before) == 10 and all(a > 0 for a in before), before  # every query's lines
    token = page.query_selector('.att-tokens.left .att-tok[data-i="3"]')
    assert token.inner_text() == XSS and not page.alerts  # a hostile token is text
    token.hover()
    page.wait_for_function("() => document.querySelector('canvas.att-lines').dataset.focus === 'q3'")
    after = canvas.evaluate(ROW_ALPHA)
    assert after[3] > 0 and all(a == 0 for i, a in enumerate(after) if i != 3), after
    assert int(canvas.get_attribute("data-lines")) <= 10
    # the keys are shaded by the weight query 3 gives them; the strongest says its weight
    want = logged["recs"]["encoder"].group().maps[0, 0, 1, 3].astype(np.float64)
    j = int(want.argmax())
    title = page.get_attribute(f'.att-tokens.right .att-tok[data-i="{j}"]', "title")
    assert abs(float(title.split(": ")[1].split(" ")[0]) - want[j]) <= want.max() / 255 + 1e-3, title
    shot(page, "head-isolated")
    page.mouse.move(5, 5)  # leaving the head view shows every line again
    page.wait_for_function("() => document.querySelector('canvas.att-lines').dataset.focus === ''")
    assert all(a > 0 for a in canvas.evaluate(ROW_ALPHA))
    assert not page.errors


def test_opening_another_head_leaves_the_old_view_alone(page: Any, served: Any) -> None:
    """Each head view counts its full draws (canvas data-drawn): opening a head replaces the view, and
    the old one, destroyed, draws no more (its observer would redraw every line as its canvas goes);
    the new one draws once at its width (setting its own height does not draw it again)."""
    url, _, logged = served
    open_record(page, url, logged["text"], "attention/encoder@3")
    page.wait_for_selector("canvas.att-lines[data-drawn]")
    page.evaluate("() => new Promise((ok) => setTimeout(ok, 300))")  # any redraw a resize would cause
    old = page.query_selector("canvas.att-lines")
    assert old.get_attribute("data-drawn") == "1"  # the first view, once: its height did not redraw it
    for layer, head in [(0, 1), (1, 0)]:  # a click without the pointer: no hover redraws
        page.eval_on_selector(f'.att-thumb[data-layer="{layer}"][data-head="{head}"]', "b => b.click()")
        page.wait_for_function(f"() => document.querySelector('.att-chip.on')?.dataset.head === '{head}' && "
                               f"document.querySelector('.att-card:nth-child(2)').dataset.layer === '{layer}'")
        page.evaluate("() => new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 300)))")
        new = page.query_selector("canvas.att-lines")
        assert not old.evaluate("(c) => c.isConnected")
        assert old.get_attribute("data-drawn") == "1", old.get_attribute("data-drawn")  # gone, and left alone
        assert page.eval_on_selector_all("canvas.att-lines", "els => els.length") == 1
        assert new.get_attribute("data-drawn") == "1", new.get_attribute("data-drawn")
        assert int(new.get_attribute("data-lines")) > 0
        old = new
    assert not page.errors


def test_a_long_sequence_falls_back_to_a_fast_heat_map_that_zooms(page: Any, served: Any) -> None:
    url, _, logged = served
    t0 = time.perf_counter()
    open_record(page, url, logged["text"], "attention/long@5")
    first = time.perf_counter() - t0
    heat = page.query_selector("canvas.att-heat")
    assert "2,048 tokens is past the head view's limit of 128" in page.inner_text(".att-fallback")
    assert heat.get_attribute("data-block") != "1,1"  # each pixel the largest of a block of weights
    assert "each pixel the largest of" in page.inner_text(".att-heat-note")
    drawn = float(heat.get_attribute("data-ms"))
    t1 = time.perf_counter()
    page.select_option(".att-card:nth-child(3) select[aria-label=head]", "1")
    page.wait_for_function("() => document.querySelector('.att-heat-note').textContent.startsWith('head 1')")
    switch = time.perf_counter() - t1
    again = float(page.get_attribute("canvas.att-heat", "data-ms"))
    print(f"\n{LONG}-token heat map: first paint {drawn:.0f} ms in the page ({first:.2f} s from navigation), "
          f"another head {again:.0f} ms ({switch:.2f} s from the click)")
    # head 1 is the mirror: the anti-diagonal's corner is bright, the middle of the top row dark
    px = heat.evaluate("(c) => [c.width, c.height, [...c.getContext('2d').getImageData(c.width - 1, 0, 1, 1).data], "
                       "[...c.getContext('2d').getImageData(c.width >> 1, 0, 1, 1).data]]")
    assert px[0] == px[1] and sum(px[2][:3]) > 2 * sum(px[3][:3]), px
    box = heat.bounding_box()
    page.mouse.move(box["x"] + 0.48 * box["width"], box["y"] + 0.48 * box["height"])  # the centre: both diagonals
    page.mouse.down()
    page.mouse.move(box["x"] + 0.52 * box["width"], box["y"] + 0.52 * box["height"], steps=4)
    page.mouse.up()
    page.wait_for_function("() => document.querySelector('canvas.att-heat').dataset.block === '1,1'")
    q0, q1, k0, k1 = map(int, heat.get_attribute("data-view").split(","))
    assert 930 < q0 < 1010 and 40 < q1 - q0 < 120 and 930 < k0 < 1010, (q0, q1, k0, k1)
    corner = heat.evaluate("(c) => [...c.getContext('2d').getImageData(c.width - 1, 0, 1, 1).data]")
    assert sum(corner[:3]) > 300  # the mirror's line, drawn at full resolution: one pixel per weight here
    assert "drag to zoom" in page.inner_text(".att-heat-note") and page.is_visible("text=reset zoom")
    shot(page, "long-zoomed")
    page.dblclick("canvas.att-heat")
    page.wait_for_function(f"() => document.querySelector('canvas.att-heat').dataset.view === '0,{LONG},0,{LONG}'")
    assert not page.errors


def test_rollout_over_the_image_and_cross_attention(page: Any, served: Any) -> None:
    url, _, logged = served
    open_record(page, url, logged["vision"], "attention/vit@1")
    page.wait_for_selector('canvas.att-roll[data-drawn="image"]')
    assert "4 x 4 patches" in page.inner_text(".att-rollout")
    assert page.eval_on_selector("canvas.att-roll", COLOURS) > 4
    shot(page, "vit")
    open_record(page, url, logged["text"], "attention/seq2seq@4", group="cross")
    page.wait_for_selector("canvas.att-lines[data-lines]")
    left = page.eval_on_selector_all(".att-tokens.left .att-tok", "els => els.map((e) => e.textContent)")
    right = page.eval_on_selector_all(".att-tokens.right .att-tok", "els => els.map((e) => e.textContent)")
    assert left == list("VWXYZ") and right == list("abcdefg")
    assert page.input_value("select[aria-label=attention]") == "cross"
    assert not page.errors


def test_a_phone_shows_the_tour_like_record(browser: Any, served: Any) -> None:
    url, _, logged = served
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True)
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        open_record(page, url, logged["text"], "attention/encoder@3")
        page.wait_for_selector("canvas.att-lines[data-lines]")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.evaluate("[...document.querySelectorAll('.att-card')].every((c) => c.scrollWidth <= c.clientWidth)")
        page.tap('.att-tokens.left .att-tok[data-i="0"]')  # a tap isolates, as a hover does
        page.wait_for_function("() => document.querySelector('canvas.att-lines').dataset.focus === 'q0'")
        heat = page.query_selector("canvas.att-heat")
        heat.scroll_into_view_if_needed()
        box = heat.bounding_box()  # a tap on the heat map: that cell's weight
        page.touchscreen.tap(box["x"] + 0.05 * box["width"], box["y"] + 0.05 * box["height"])
        assert page.inner_text(".att-tip").startswith("query 0 “tok00” → key 0 “tok00”: ")
        assert "tap a cell for its weight" in page.inner_text(".att-heat-note")
        page.wait_for_selector(".att-tokens-view .att-word")
        shot(page, "phone")
        assert not errors
    finally:
        ctx.close()


def test_the_report_from_file(browser: Any, served: Any, tmp_path: Path) -> None:
    from torchscope.report import build_report

    _, dir, logged = served
    path = build_report(dir, tmp_path / "report.html", progress=None)
    with offline_report(browser, path) as page:
        page.wait_for_selector("#attention .att-mv[data-drawn]", timeout=20000)
        page.wait_for_selector("#attention canvas.att-heat[data-drawn]")
        assert page.evaluate("window.torchscope.report.log") == []  # the default view asked for nothing missing
        page.select_option("#attention select[aria-label=run]", logged["text"])  # every run's records are kept
        page.wait_for_selector("#attention .att-tokens-view .att-word")
        page.wait_for_selector("#attention .att-fallback")  # the long record, the newest
        page.wait_for_selector("#attention canvas.att-heat[data-drawn]")
        page.select_option("#attention select[aria-label=record]", "attention/encoder@3")
        page.wait_for_function("() => document.querySelector('#attention canvas.att-lines')?.dataset.lines > 0")
        page.select_option("#attention .att-card:nth-child(2) select[aria-label=layer]", "0")  # every layer is kept
        page.wait_for_function("() => document.querySelector('#attention .att-card:nth-child(2)').dataset.layer "
                               "=== '0'")
        page.select_option("#attention select[aria-label=sample]", "2")  # short records keep their samples
        page.wait_for_function("() => document.querySelector('#attention .att-tokens.left .att-tok')?.textContent "
                               "=== 'tok20' && document.querySelector('#attention canvas.att-lines').dataset.lines > 0")
        page.hover('#attention .att-tokens.left .att-tok[data-i="2"]')
        page.wait_for_function("() => document.querySelector('#attention canvas.att-lines').dataset.focus === 'q2'")
        assert page.evaluate("window.torchscope.report.log") == []
        page.evaluate("document.querySelector('#attention').scrollIntoView()")
        shot(page, "report")
        assert page.errors == []
