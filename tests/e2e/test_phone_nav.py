"""Every panel is reachable from the header at any width and with any number of panels, in headless
Chromium. A desktop keeps a tab strip: the tabs that do not fit go, in order, into a "More" menu at its
end (a 1280 px desktop never tips into the phone menu, even with ten panels more); where even a few tabs would
not fit (a phone) one button naming the current panel opens every panel in a grid. No link is cut,
hidden under the "live" badge or scrolled out of sight. Extra panels are fake entries added to the
server's panel list (each opens the Text panel's module). Screenshots go to test-artifacts/dashboard/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


# Each link, and the "More" button when shown: can a tap at its centre reach it (the topmost element
# there is it), is it wholly in the viewport, and does it keep clear of the live badge?
REACH = """() => { const live = document.getElementById("live").getBoundingClientRect();
  const more = document.getElementById("nav-more");
  const els = [...document.querySelectorAll("nav a"), ...(more.offsetParent ? [more] : [])];
  return els.map((a) => { const r = a.getBoundingClientRect();
    const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    return { panel: a.dataset.panel || "more", hit: !!top && a.contains(top),
      inside: r.width > 0 && r.x >= 0 && r.y >= 0 && r.right <= innerWidth && r.bottom <= innerHeight,
      clear: r.right <= live.left || r.left >= live.right || r.bottom <= live.top || r.top >= live.bottom }; }); }"""
STRIP = "() => [...document.querySelectorAll('nav > a')].filter((a) => a.offsetParent).map((a) => a.dataset.panel)"


def _context(browser: Any, width: int, height: int, phone: bool) -> Any:
    extra = {"device_scale_factor": 2, "is_mobile": True, "has_touch": True} if phone else {}
    return browser.new_context(viewport={"width": width, "height": height}, **extra)


def _with_fake_panels(page: Any, n: int) -> None:
    """The server's panel list plus ``n`` fake panels (each opens the Text panel's module)."""
    def handle(route: Any) -> None:
        got = route.fetch().json()
        got["panels"] += [{"name": f"fake{i}", "title": f"Fake panel {i}", "order": 500 + i,
                           "module": "panels/text/panel.js", "error": None} for i in range(n)]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(got))
    page.route("**/api/panels", handle)


def _open(page: Any, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_selector("nav a", state="attached")
    page.wait_for_timeout(200)
    return page.evaluate("() => window.torchscope.state.panels.map((p) => p.name)")


def _reachable(page: Any) -> list[str]:
    """Open the menu the header shows (the phone menu or "More"); then every link must be reachable."""
    if page.locator("#nav-menu").is_visible():
        page.locator("#nav-menu").click()
        page.wait_for_selector("nav a", state="visible")
    elif page.locator("#nav-more").is_visible():
        page.locator("#nav-more").click()
        page.wait_for_selector("#nav-more-list a", state="visible")
    got = page.evaluate(REACH)
    assert got and all(g["hit"] and g["inside"] and g["clear"] for g in got), [g for g in got if not all(g.values())]
    return [g["panel"] for g in got if g["panel"] != "more"]


@pytest.mark.parametrize(("width", "height", "phone", "fakes"),
                         [(390, 844, True, 0), (820, 1180, True, 0), (1280, 900, False, 0), (1280, 800, False, 10),
                          (390, 844, True, 10)],
                         ids=["phone", "tablet", "desktop", "desktop-10-more-panels", "phone-10-more-panels"])
def test_every_panel_is_reachable(browser: Any, server: Server, width: int, height: int, phone: bool,
                                  fakes: int) -> None:
    ctx = _context(browser, width, height, phone)
    page = ctx.new_page()
    try:
        _with_fake_panels(page, fakes)
        panels = _open(page, server.url + "#scalars")
        assert len(panels) >= 16 + fakes
        live = page.locator("#live").bounding_box()
        assert live["x"] + live["width"] <= width  # the badge itself is whole
        if width == 390:
            assert page.locator("#nav-menu").inner_text().startswith("Scalars")
            menu = page.locator("#nav-menu").bounding_box()
            assert menu["x"] + menu["width"] <= live["x"]  # the button keeps clear of the badge
        if width >= 1280:  # a desktop keeps its tab strip, whatever the number of panels
            assert not page.locator("#nav-menu").is_visible()
            strip = page.evaluate(STRIP)
            assert strip == panels[:len(strip)] and len(strip) >= 8  # the first panels, in order, as tabs
            assert page.locator("#nav-more").is_visible() == (len(strip) < len(panels))
        assert sorted(_reachable(page)) == sorted(panels)
        shot(page, f"nav-{width}" + (f"-{len(panels)}-panels" if fakes else ""))
        if page.locator("#nav-menu").is_visible():  # a tap on a panel opens it and closes the menu
            page.locator('nav a[data-panel="text"]').click()
            page.wait_for_function("() => location.hash === '#text'")
            assert not page.locator('nav a[data-panel="text"]').is_visible()
            assert page.locator("#nav-menu").inner_text().startswith("Text")
            assert page.locator("#nav-menu").get_attribute("aria-expanded") == "false"
    finally:
        ctx.close()


def test_a_panel_in_more_is_named_there_when_open(browser: Any, server: Server) -> None:
    ctx = _context(browser, 1280, 800, False)
    page = ctx.new_page()
    try:
        _with_fake_panels(page, 10)
        panels = _open(page, server.url + "#scalars")
        strip = page.evaluate(STRIP)
        hidden = [p for p in panels if p not in strip]
        assert hidden and page.locator("#nav-more").inner_text() == "More ▾"
        page.locator("#nav-more").click()
        page.locator(f'#nav-more-list a[data-panel="{hidden[-1]}"]').click()
        page.wait_for_function(f"() => location.hash === '#{hidden[-1]}'")
        page.wait_for_timeout(150)
        more = page.locator("#nav-more")
        assert more.inner_text() == "Fake panel 9 ▾" and "active" in (more.get_attribute("class") or "")
        assert not page.locator("#nav-more-list").is_visible()  # a choice closes the menu
        assert not page.locator("#nav-menu").is_visible()  # and the strip stays a strip
        assert _reachable(page)  # every link still in reach, none under the badge
        shot(page, "nav-1280-more-open")
        page.keyboard.press("Escape")
        assert not page.locator("#nav-more-list").is_visible()
    finally:
        ctx.close()


def test_the_menu_closes_on_escape_and_outside_taps(browser: Any, server: Server) -> None:
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
