"""``add_custom_scalars`` layouts in the Scalars panel, in headless Chromium over ``torchscope serve``: two
runs written through ``torchscope.SummaryWriter`` (add_scalar + add_custom_scalars: a multiline chart of
a regex, and an invalid one; a margin chart; a category with a hostile title). The layout's categories
come first, one section each, before the ordinary sections; the multiline chart overlays every matching
key of every run, each line its own colour or dash and named "key · run"; the margin chart draws its
value line and a shaded band from lower to upper (read back from uPlot and from the canvas' pixels);
the same in a static report. Screenshots go to test-artifacts/dashboard/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import torchscope as ts
from torchscope import SummaryWriter

from ..server.util import XSS
from .conftest import Server, offline_report, shot

STEPS = 60
LAYOUT = {"Losses": {"every loss": ["Multiline", [r"loss/.*", "([bad"]]},
          "Accuracy": {"acc band": ["Margin", ["acc/mean", "acc/lo", "acc/hi"]]},
          XSS: {XSS: ["Multiline", ["lr"]]}}
CUSTOM = ["\u0000custom/Losses", "\u0000custom/Accuracy", f"\u0000custom/{XSS}"]


def mean(s: int) -> float:
    return s / STEPS


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("layout") / "runs"
    for name, scale in (("a", 1.0), ("b", 0.5)):
        w = SummaryWriter(str(root / name))
        for s in range(STEPS):
            w.add_scalar("loss/train", scale / (s + 1), s)
            w.add_scalar("loss/val", scale / (s + 2), s)
            w.add_scalar("other/loss", 0.3, s)  # "loss/.*" matches at the start of a key, as TensorBoard's
            w.add_scalar("acc/mean", mean(s), s)
            w.add_scalar("acc/lo", mean(s) - 0.2, s)
            w.add_scalar("acc/hi", mean(s) + 0.2, s)
            w.add_scalar("lr", 0.1, s)
        if name == "a":
            w.add_custom_scalars(LAYOUT)
        w.close()
    ids = {r.name: r.id for r in ts.open(root).runs()}
    server = Server(root)
    yield {"dir": root, "ids": ids, "url": server.url}
    server.stop()


SECTIONS = """(root) => [...document.querySelectorAll(root + ' .scalar-section')].map((s) => [s.dataset.section,
  s.querySelector('.section-title').textContent, [...s.querySelectorAll('.card')].map((c) => c.dataset.key)])"""
CHART = """(id) => { const c = window.torchscope.charts.get(id);
  return { state: c.card.dataset.state, keys: c.keys, title: c.titleEl.textContent, tip: c.titleEl.title,
    series: c.series.map((s) => ({ key: s.key, id: s.id, name: s.name, color: s.color, dash: s.dash || null,
      ys: s.ys })),
    labels: c.u.series.slice(1).map((s) => s.label), bands: c.u.bands.map((b) => b.series) }; }"""
# the canvas' least opaque pixel in a 5x5 square at (x value, y value): 0 where nothing is drawn there
ALPHA = """([id, x, y]) => { const u = window.torchscope.charts.get(id).u;
  const px = Math.round(u.valToPos(x, "x", true)), py = Math.round(u.valToPos(y, "y", true));
  const d = u.ctx.getImageData(px - 2, py - 2, 5, 5).data; let min = 255;
  for (let i = 3; i < d.length; i += 4) min = Math.min(min, d[i]); return min; }"""


def _drawn(page: Any, id: str, root: str = "") -> None:
    page.wait_for_selector(f'{root} .card[data-key="{id}"][data-state="drawn"]', timeout=15000)


def _check(page: Any, ids: dict[str, str], root: str = "") -> None:
    """The layout's sections first, their charts right, the band drawn (the page and the report alike)."""
    for id in ("custom:0/0", "custom:1/0", "custom:2/0"):
        _drawn(page, id, root)
    got = page.evaluate(SECTIONS, root)
    assert [s[0] for s in got[:3]] == CUSTOM
    assert [s[1] for s in got[:3]] == ["Losses", "Accuracy", XSS]  # a hostile title is text
    assert [s[2] for s in got[:3]] == [["custom:0/0"], ["custom:1/0"], ["custom:2/0"]]
    assert [s[0] for s in got[3:]] == ["acc", "loss", "other", ""]  # the ordinary sections follow
    assert page.locator(f"{root} .scalar-sections img").count() == 0

    multi = page.evaluate(CHART, "custom:0/0")
    assert multi["title"] == "every loss" and multi["keys"] == ["loss/train", "loss/val"]
    assert "([bad: not a valid regular expression, matched as literal text" in multi["tip"]
    lines = {(s["key"], s["id"]): s for s in multi["series"]}
    assert sorted(lines) == sorted((k, ids[r]) for k in ("loss/train", "loss/val") for r in "ab")
    assert lines[("loss/train", ids["b"])]["name"] == "loss/train · b"
    assert lines[("loss/val", ids["a"])]["ys"] == [1 / (s + 2) for s in range(STEPS)]
    assert len({(s["color"], json.dumps(s["dash"])) for s in multi["series"]}) == 4  # each line its own look
    assert lines[("loss/train", ids["a"])]["color"] != lines[("loss/val", ids["a"])]["color"]  # a colour per key
    assert lines[("loss/train", ids["a"])]["dash"] != lines[("loss/train", ids["b"])]["dash"]  # a dash per run

    margin = page.evaluate(CHART, "custom:1/0")
    assert margin["keys"] == ["acc/mean", "acc/lo", "acc/hi"]
    assert len(margin["bands"]) == 2  # one band per run, from the upper key's line to the lower's
    for hi, lo in margin["bands"]:
        assert margin["labels"][hi - 1].endswith("acc/hi") and margin["labels"][lo - 1].endswith("acc/lo")
    at = STEPS // 2
    inside = page.evaluate(ALPHA, ["custom:1/0", at, mean(at) + 0.1])
    outside = page.evaluate(ALPHA, ["custom:1/0", at, mean(at) + 0.5])
    assert inside > 0 and outside == 0, (inside, outside)  # the band is shaded, and only there
    assert page.evaluate(CHART, "custom:2/0")["keys"] == ["lr"]


def test_the_layout_comes_first(page, store):
    runs = json.dumps({"project": ""})
    page.add_init_script(f"localStorage.setItem('torchscope.runs', {json.dumps(runs)});"
                         "localStorage.setItem('torchscope.panel.scalars', '{\"smoothing\": 0}');")
    page.goto(store["url"] + "#scalars")
    _check(page, store["ids"])
    box = page.locator('.card[data-key="custom:1/0"] .u-over').bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    read = page.locator('.card[data-key="custom:1/0"] .readout').inner_text()
    assert re.search(r"\ba:\s*0\.48\d* \[0\.28\d* \.\. 0\.68\d*\]", read), read  # the value and its band, per run
    page.locator('.card[data-key="custom:0/0"] .u-over').hover()
    assert "loss/val · b" in page.locator('.card[data-key="custom:0/0"] .readout').inner_text()
    page.fill("input.filter", "acc/")  # a filter keeps the layout charts whose keys it matches
    page.wait_for_function("() => document.querySelectorAll('.scalar-section.custom').length === 1")
    assert page.evaluate(SECTIONS, "")[0][0] == "\u0000custom/Accuracy"
    page.fill("input.filter", "")
    page.wait_for_function("() => document.querySelectorAll('.scalar-section.custom').length === 3")
    shot(page, "scalars-custom-layout")
    assert not page.errors and not page.alerts


def test_the_report_shows_the_layout(browser, store, tmp_path: Path):
    from torchscope.report import build_report

    ids = store["ids"]
    path = build_report(store["dir"], tmp_path / "report.html", runs=[ids["a"], ids["b"]], panels=["scalars"],
                        progress=None)
    with offline_report(browser, path) as pg:
        _check(pg, ids, "#scalars")
        shot(pg, "report-scalars-custom-layout")
        assert "7 charts (and 3 custom), 840 points" in pg.inner_text("body")  # the contents say so
        assert pg.evaluate("window.torchscope.report.log") == [] and pg.errors == []  # nothing asked that it lacks
