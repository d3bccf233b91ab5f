"""The Scalars panel's order and honesty in headless Chromium: the user's keys first, in collapsible
sections by prefix (train/, val/, the others, keys with no prefix, then torchscope's system/), pinned
charts on top, both remembered; smoothing that never misleads (the raw values stay drawn under a
debiased EMA, a sparse series is drawn as logged unless asked); "1 run".

Screenshots (desktop and phone) go to test-artifacts/dashboard/.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import torchscope as ts

from .conftest import Server, shot

N = 3000  # train/loss: more points than a chart's buckets (downsampled)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[Server]:
    dir = tmp_path_factory.mktemp("sections") / "tsruns"
    with ts.init(project="sections", name="cnn", dir=dir) as run:
        for s in range(N):
            loss = math.exp(-s / 800) + 0.05 * math.sin(s / 7)
            run.log({"train/loss": loss, "train/acc": 1 - loss / 2, "gan/d_loss": 0.7 + 0.1 * math.sin(s / 50),
                     "zeta/aux": s / N}, step=s)
            if s % 300 == 299:  # ten points: a validation set seen once an epoch
                e = s // 300
                run.log({"val/acc": 0.7 + 0.03 * e, "epoch": e, "system/cpu": 40 + e,
                         "watch/fc/grad_norm": 1.0 / (e + 1)}, step=s)
    srv = Server(Path(dir))
    yield srv
    srv.stop()


def _open(page, server, state=None):
    if state is not None:  # set once: a reload keeps what the page saved
        page.add_init_script(f"if (!sessionStorage.getItem('set')) {{ sessionStorage.setItem('set', 1); "
                             f"localStorage.setItem('torchscope.panel.scalars', {state!r}); }}")
    page.goto(server.url + "#scalars")
    page.wait_for_selector('.card[data-key="train/loss"][data-state="drawn"]', timeout=15000)


def _sections(page):
    return page.locator(".scalar-section").evaluate_all(
        "(ss) => ss.map((s) => [s.dataset.section, s.open,"
        " [...s.querySelectorAll('.card')].map((c) => c.dataset.key)])")


def test_the_users_keys_come_first_by_section(page, server):
    _open(page, server, "{}")
    got = _sections(page)
    assert [(name, keys) for name, _, keys in got] == [
        ("train", ["train/acc", "train/loss"]), ("val", ["val/acc"]), ("gan", ["gan/d_loss"]), ("zeta", ["zeta/aux"]),
        ("", ["epoch"]), ("system", ["system/cpu"])]  # watch/ stays hidden (the Health panel's)
    assert page.locator(".scalar-section summary").all_inner_texts()[:2] == ["train/ 2 charts", "val/ 1 chart"]
    box = page.locator('.card[data-key="train/loss"]').bounding_box()
    assert box["y"] + box["height"] < 900  # on the first screen
    status = page.locator(".toolbar .count").inner_text()
    assert "· 1 run" in status and "runs" not in status
    shot(page, "scalars-sections")
    assert not page.errors


def test_a_section_folds_and_stays_folded(page, server):
    _open(page, server, "{}")
    page.locator('.scalar-section[data-section="gan"] > summary').click()
    assert not page.locator('.card[data-key="gan/d_loss"]').is_visible()
    page.reload()
    page.wait_for_selector('.card[data-key="train/loss"][data-state="drawn"]', timeout=15000)
    folded = {name: open_ for name, open_, _ in _sections(page)}
    assert folded["gan"] is False and folded["train"] is True
    assert page.locator('.card[data-key="gan/d_loss"]').get_attribute("data-state") == "idle"  # not loaded while folded
    page.locator('.scalar-section[data-section="gan"] > summary').click()
    page.wait_for_selector('.card[data-key="gan/d_loss"][data-state="drawn"]', timeout=10000)


def test_a_pinned_chart_goes_to_the_top_and_stays(page, server):
    _open(page, server, "{}")
    page.locator('.card[data-key="epoch"] button.pin').click()
    first = _sections(page)[0]
    assert first[0] == "\u0000pinned" and first[2] == ["epoch"]
    assert page.locator(".scalar-section summary").first.inner_text() == "pinned 1 chart"
    page.reload()
    page.wait_for_selector('.card[data-key="train/loss"][data-state="drawn"]', timeout=15000)
    assert _sections(page)[0][2] == ["epoch"]
    assert page.locator('.card[data-key="epoch"] button.pin').get_attribute("aria-pressed") == "true"
    shot(page, "scalars-pinned")
    page.locator('.card[data-key="epoch"] button.pin').click()
    assert [keys for name, _, keys in _sections(page) if name == ""] == [["epoch"]]


VIEW = """(key) => { const c = window.torchscope.charts.get(key);
  return { labels: c.u.series.map((s) => s.label), runs: c.view.map((r) => ({ smoothed: r.smoothed, ds: r.downsampled,
    raw: r.ys, smooth: r.smooth })) }; }"""


def test_smoothing_never_misleads(page, server):
    _open(page, server, '{"smoothing": 0.6}')
    page.wait_for_selector('.card[data-key="val/acc"][data-state="drawn"]')
    dense = page.evaluate(VIEW, "train/loss")
    (run,) = dense["runs"]
    assert run["ds"] and run["smoothed"]
    assert "cnn" in dense["labels"] and "cnn (smoothed)" in dense["labels"]  # the raw values stay drawn
    assert run["smooth"][0] == run["raw"][0]  # debiased: the first smoothed value is the first value
    sparse = page.evaluate(VIEW, "val/acc")
    (run,) = sparse["runs"]
    assert not run["smoothed"] and run["smooth"] == run["raw"]  # ten points: drawn as logged
    assert "cnn (smoothed)" not in sparse["labels"]
    assert run["raw"][-1] == pytest.approx(0.97)
    box = page.locator('.card[data-key="val/acc"] .u-over').bounding_box()
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    read = page.locator('.card[data-key="val/acc"] .readout').inner_text()
    assert re.search(r"cnn:\s*0\.97$", read) and "(" not in read  # one value: the logged one
    shot(page, "scalars-sparse")
    page.locator("input.smooth-sparse").check()  # asked for: smoothed too
    page.wait_for_function("() => window.torchscope.charts.get('val/acc').view[0].smoothed")
    run = page.evaluate(VIEW, "val/acc")["runs"][0]
    assert run["smooth"][-1] < run["raw"][-1]


def test_the_same_on_a_phone(browser, server):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    try:
        _open(page, server, "{}")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        assert [s[0] for s in _sections(page)][:2] == ["train", "val"]
        shot(page, "phone-scalars-sections")
    finally:
        ctx.close()
