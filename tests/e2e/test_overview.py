"""The Overview in headless Chromium over the tour's store (``torchscope demo --quick``): the dashboard
opens on it, every card is drawn with its thumbnail and leads into its panel, on a desktop and a
phone screen, live as runs log, and in the static report from ``file://``. Screenshots go to
test-artifacts/dashboard/overview-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import torchscope as ts

from ..conftest import copy_tour
from .conftest import Server, offline_report, shot

STAGES = ["data", "projector", "model", "training", "health", "evaluation", "explain", "attention", "volumes", "gan",
          "ganlab"]
DRAWN = "() => { const c = [...document.querySelectorAll('.ov-card')]; return c.length === 11 && " \
        "c.every((e) => e.dataset.state !== 'pending'); }"


@pytest.fixture(scope="module")
def tour(quick_tour: dict[str, Any], tmp_path_factory: pytest.TempPathFactory,
         chromium_path: str) -> Iterator[dict[str, Any]]:
    dir = copy_tour(quick_tour, tmp_path_factory.mktemp("overview") / "tsruns")  # a live run is logged into it
    server = Server(dir)
    yield {"dir": dir, "tour": quick_tour["tour"], "url": server.url}
    server.stop()


def _layout_defects(page: Any) -> list[str]:
    """Text cut by its box or content wider than the screen, as a person would see them."""
    return page.evaluate("""() => {
      const out = [];
      if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push('page wider than the screen');
      for (const el of document.querySelectorAll('.ov-card h3, .ov-card p, .ov-intro, .ov-more')) {
        if (el.scrollWidth > el.clientWidth + 1) out.push('clipped: ' + el.textContent.slice(0, 40));
      }
      const cards = [...document.querySelectorAll('.ov-card')].map((c) => c.getBoundingClientRect());
      cards.forEach((a, i) => cards.slice(i + 1).forEach((b) => {
        if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
          out.push('cards overlap');
      }));
      return out; }""")


def test_the_dashboard_opens_on_the_overview(page: Any, tour: dict[str, Any]) -> None:
    page.goto(tour["url"])  # no panel named: the default
    page.wait_for_selector(".panel-body[data-panel=overview] .overview[data-state=ready]", timeout=30000)
    page.wait_for_function(DRAWN, timeout=30000)
    assert page.eval_on_selector("nav a", "a => [a.textContent, a.classList.contains('active')]") == ["Overview", True]
    cards = page.eval_on_selector_all(".ov-card", "els => els.map((e) => [e.dataset.stage, e.dataset.state, "
                                                  "e.getAttribute('href')])")
    assert [c[0] for c in cards] == STAGES and {c[1] for c in cards} == {"drawn"}, cards
    assert dict((c[0], c[2]) for c in cards)["model"] == "#graph"
    # every thumbnail shows something: pictures decoded, drawings with marks in them
    assert page.eval_on_selector_all(".ov-thumb img", "els => els.map((i) => i.complete && i.naturalWidth > 0)") == \
        [True] * 5  # data, explanations, attention, volumes, GAN
    marks = page.eval_on_selector_all(".ov-thumb svg", "els => els.map((s) => s.querySelectorAll("
                                                       "'path, circle, rect, text').length)")
    assert len(marks) == 6 and min(marks) > 0, marks
    lines = page.eval_on_selector_all(".ov-card[data-stage=training] svg path", "els => els.length")
    assert lines == 3  # the two lr-sweep runs and the diverging one
    assert "digits-cnn-diverges" in page.inner_text(".ov-card[data-stage=health]")
    assert page.errors == [] and _layout_defects(page) == []
    shot(page, "overview-desktop")
    page.click(".ov-card[data-stage=training]")
    page.wait_for_selector(".panel-body[data-panel=scalars]")
    assert page.url.endswith("#scalars")


def test_on_a_phone(browser: Any, tour: dict[str, Any]) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(tour["url"])
        page.wait_for_function(DRAWN, timeout=30000)
        widths = page.eval_on_selector_all(".ov-card", "els => els.map((e) => Math.round(e.getBoundingClientRect()"
                                                       ".width))")
        assert len(set(widths)) == 1 and 330 < widths[0] <= 390  # one column, the screen's width
        assert errors == [] and _layout_defects(page) == []
        shot(page, "overview-phone")
    finally:
        ctx.close()


def test_no_runs_selected_says_what_to_log(page: Any, tour: dict[str, Any]) -> None:
    page.goto(tour["url"] + "#overview")
    page.wait_for_function(DRAWN, timeout=30000)
    page.click("aside button:has-text('none')")
    page.wait_for_function("() => { const c = [...document.querySelectorAll('.ov-card')]; "
                           "return c.length === 11 && c.every((e) => e.dataset.state === 'empty'); }", timeout=10000)
    hints = page.eval_on_selector_all(".ov-card .ov-hint code", "els => els.map((e) => e.textContent)")
    assert len(hints) == 11 and any("run.watch(model)" in h for h in hints)
    assert "No runs selected" in page.inner_text(".ov-intro")
    page.click("aside button:has-text('all')")
    page.wait_for_function(DRAWN, timeout=10000)


def test_live_a_new_run_shows_up(page: Any, tour: dict[str, Any]) -> None:
    page.goto(tour["url"] + "#overview")
    page.wait_for_function(DRAWN, timeout=30000)
    with ts.init(project="demo", name="live-one", dir=tour["dir"]) as run:
        run.log({"train/loss": 3.0}, step=0)
        page.wait_for_function("() => document.querySelectorAll('.ov-card[data-stage=training] svg path').length "
                               "=== 4", timeout=20000)
        for step in range(1, 40):
            run.log({"train/loss": 3.0 / (1 + step)}, step=step)
        run.flush()
        page.wait_for_function("""() => { const p = [...document.querySelectorAll(
          '.ov-card[data-stage=training] svg path')].map((e) => e.getAttribute('d').split('L').length);
          return p.some((n) => n >= 40); }""", timeout=20000)  # the running run's new points, drawn
    run_id = run.id
    store = ts.open(tour["dir"])
    assert len(store.scalars(run_id, "train/loss")) == 40


def test_in_the_static_report(browser: Any, tour: dict[str, Any], tmp_path: Path) -> None:
    from torchscope.report import build_report

    path = build_report(tour["dir"], tmp_path / "r.html", runs=[r.id for r in tour["tour"].runs], progress=None)
    with offline_report(browser, path) as page:
        assert page.eval_on_selector("section.rp-section", "s => s.id") == "overview"  # the report's first section
        page.wait_for_function(DRAWN, timeout=20000)
        states = page.eval_on_selector_all("#overview .ov-card", "els => els.map((e) => e.dataset.state)")
        assert states == ["drawn"] * 11
        assert page.evaluate("window.torchscope.report.log") == [] and page.errors == []
        page.click("#overview .ov-card[data-stage=evaluation]")
        assert page.url.endswith("#evaluation")  # the card leads to the report's own section
