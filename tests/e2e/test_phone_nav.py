"""Every panel is reachable from the header at any width, in headless Chromium: the tab strip when
it fits, else a menu button naming the current panel that opens every panel in a grid; no link is
cut, hidden under the "live" badge or scrolled out of sight. Screenshots go to test-artifacts/dashboard/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import torchscope as ts

from .conftest import Server, shot


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[Server]:
    dir = tmp_path_factory.mktemp("nav") / "tsruns"
    with ts.init(project="nav", name="cnn", dir=dir) as run:
        run.log({"train/loss": 1.0}, step=0)
    srv = Server(Path(dir))
    yield srv
    srv.stop()


# Each link: can a tap at its centre reach it (the topmost element there is the link), is it wholly in
# the viewport, and does it keep clear of the live badge?
REACH = """() => { const live = document.getElementById("live").getBoundingClientRect();
  return [...document.querySelectorAll("nav a")].map((a) => { const r = a.getBoundingClientRect();
    const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    return { panel: a.dataset.panel, hit: !!top && a.contains(top), inside: r.width > 0 && r.x >= 0 && r.y >= 0
      && r.right <= innerWidth && r.bottom <= innerHeight,
      clear: r.right <= live.left || r.left >= live.right || r.bottom <= live.top || r.top >= live.bottom }; }); }"""


def _context(browser, width, height, phone):
    extra = {"device_scale_factor": 2, "is_mobile": True, "has_touch": True} if phone else {}
    return browser.new_context(viewport={"width": width, "height": height}, **extra)


def _reachable(page):
    """Open the menu when the strip gave way to it; then every link must be reachable."""
    if page.locator("#nav-menu").is_visible():
        page.locator("#nav-menu").click()
        page.wait_for_selector("nav a", state="visible")
    got = page.evaluate(REACH)
    assert got and all(g["hit"] and g["inside"] and g["clear"] for g in got), [g for g in got if not all(g.values())]
    return [g["panel"] for g in got]


@pytest.mark.parametrize(("width", "height", "phone"), [(390, 844, True), (820, 1180, True), (1280, 900, False)],
                         ids=["phone", "tablet", "desktop"])
def test_every_panel_is_reachable(browser, server, width, height, phone):
    ctx = _context(browser, width, height, phone)
    page = ctx.new_page()
    try:
        page.goto(server.url + "#scalars")
        page.wait_for_selector("nav a", state="attached")
        page.wait_for_timeout(200)
        panels = page.evaluate("() => window.torchscope.state.panels.map((p) => p.name)")
        live = page.locator("#live").bounding_box()
        assert live["x"] + live["width"] <= width  # the badge itself is whole
        if width == 390:
            assert page.locator("#nav-menu").inner_text().startswith("Scalars")
            menu = page.locator("#nav-menu").bounding_box()
            assert menu["x"] + menu["width"] <= live["x"]  # the button keeps clear of the badge
        if width >= 1280:
            assert not page.locator("#nav-menu").is_visible()  # a desktop keeps its tab strip
        assert _reachable(page) == panels
        shot(page, f"nav-{width}")
        if page.locator("#nav-menu").is_visible():  # a tap on a panel opens it and closes the menu
            page.locator('nav a[data-panel="text"]').click()
            page.wait_for_function("() => location.hash === '#text'")
            assert not page.locator('nav a[data-panel="text"]').is_visible()
            assert page.locator("#nav-menu").inner_text().startswith("Text")
            assert page.locator("#nav-menu").get_attribute("aria-expanded") == "false"
    finally:
        ctx.close()


def test_the_menu_closes_on_escape_and_outside_taps(browser, server):
    ctx = _context(browser, 390, 844, True)
    page = ctx.new_page()
    try:
        page.goto(server.url + "#scalars")
        page.wait_for_selector("nav a", state="attached")
        page.locator("#nav-menu").click()
        assert page.locator('nav a[data-panel="images"]').is_visible()
        shot(page, "phone-nav-open")
        page.keyboard.press("Escape")
        assert not page.locator('nav a[data-panel="images"]').is_visible()
        page.locator("#nav-menu").click()
        page.mouse.click(200, 700)
        assert not page.locator('nav a[data-panel="images"]').is_visible()
    finally:
        ctx.close()
