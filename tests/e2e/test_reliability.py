"""The Evaluation panel's reliability diagram in headless Chromium, read back from the drawing: each
bar rises to its bin's accuracy (also where accuracy exceeds confidence), the gap to the mean
confidence is shaded in a colour that shows on white, each bin's sample count is drawn and written
below the plot without touching a bar, and the caption says what is drawn. Screenshots of desktop
and phone go to test-artifacts/dashboard/."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

import torchscope as ts
from torchscope.evaluate import Calibration

from .conftest import ARTIFACTS, Server, shot

NAN = float("nan")
# ten bins: the low ones empty, one under-confident (accuracy 0.8 > confidence 0.55), the top ones over-confident
CAL = Calibration(edges=[i / 10 for i in range(11)],
                  accuracy=[NAN, NAN, NAN, 0.2, 0.35, 0.8, 0.62, 0.7, 0.74, 0.82],
                  confidence=[NAN, NAN, NAN, 0.36, 0.45, 0.55, 0.65, 0.75, 0.86, 0.97],
                  counts=[0, 0, 0, 12, 40, 95, 230, 610, 1480, 6100], ece=0.11, mce=0.25)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[Server]:
    dir = tmp_path_factory.mktemp("rel") / "tsruns"
    with ts.init(project="rel", name="cnn", dir=dir) as run:
        run.log_record(CAL, key="eval", step=1)
    srv = Server(Path(dir))
    yield srv
    srv.stop()


CARD = '[data-section="calibration"]'


def _drawn(page):
    return page.evaluate("""(card) => {
      const svg = document.querySelector(card + " svg.chart"), box = svg.querySelector(".axes rect.box").getBBox();
      const acc = (r) => { const b = r.getBBox(); return (box.y + box.height - b.y) / box.height; };
      const bins = {};
      for (const r of svg.querySelectorAll("rect.acc")) bins[r.dataset.bin] = { top: acc(r) };
      for (const r of svg.querySelectorAll("rect.gap")) { const b = r.getBBox();
        Object.assign(bins[r.dataset.bin], { gapHi: (box.y + box.height - b.y) / box.height,
          gapLo: (box.y + box.height - b.y - b.height) / box.height, side: r.dataset.side }); }
      const counts = [...svg.querySelectorAll("rect.count")].map((r) => ({ n: +r.dataset.count, y: r.getBBox().y }));
      const labels = [...svg.querySelectorAll("text.count-label")].map((t) => t.textContent);
      return { bins, counts, labels, plotBottom: box.y + box.height }; }""", CARD)


def test_bars_are_accuracy_and_the_gap_is_the_distance_to_confidence(page, server):
    page.goto(server.url + "#evaluation")
    page.wait_for_selector(f"{CARD} svg.chart rect.acc", timeout=15000)
    got = _drawn(page)
    assert sorted(got["bins"]) == ["3", "4", "5", "6", "7", "8", "9"]
    for b, d in got["bins"].items():
        acc, conf = CAL.accuracy[int(b)], CAL.confidence[int(b)]
        assert d["top"] == pytest.approx(acc, abs=0.005), b  # up to the accuracy, never stopping at the confidence
        assert d["gapLo"] == pytest.approx(min(acc, conf), abs=0.005)
        assert d["gapHi"] == pytest.approx(max(acc, conf), abs=0.005)
        assert d["side"] == ("under" if acc >= conf else "over")
    # the counts: a bar per bin below the plot (never under an accuracy bar) and the number written
    assert [c["n"] for c in got["counts"]] == CAL.counts
    assert all(c["y"] > got["plotBottom"] for c in got["counts"])
    assert got["labels"] == ["0", "0", "0", "12", "40", "95", "230", "610", "1.5k", "6.1k"]
    caption = page.inner_text(f"{CARD} .rel-caption")
    assert "rises to its bin's accuracy" in caption and "hatched" in caption and "number of samples" in caption
    shot(page, "evaluation-reliability")
    assert not page.errors


def _pixel(page, at):
    """The colour drawn at a point of the plot, ``at`` = (confidence, accuracy), from a screenshot."""
    from PIL import Image

    x, y = page.evaluate("""([card, cx, cy]) => { const svg = document.querySelector(card + " svg.chart");
      const b = svg.querySelector(".axes rect.box").getBBox(), m = svg.getScreenCTM();
      const p = new DOMPoint(b.x + cx * b.width, b.y + (1 - cy) * b.height).matrixTransform(m);
      return [p.x, p.y]; }""", [CARD, *at])
    img = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    return img.getpixel((round(x), round(y)))


def test_the_gap_and_the_counts_show_on_white(page, server):
    page.goto(server.url + "#evaluation")
    page.wait_for_selector(f"{CARD} svg.chart", timeout=15000)
    page.locator(f"{CARD} svg.chart").scroll_into_view_if_needed()
    # bin 0.9-1.0: accuracy 0.82, mean confidence 0.97: the gap above the bar, on the white plot
    blank, gap = _pixel(page, (0.2, 0.9)), _pixel(page, (0.95, 0.9))
    assert sum(blank) > 740 and sum(blank) - sum(gap) > 90, (blank, gap)
    # the count strip: drawn below the plot, where no bar covers it
    rects = page.evaluate(f"""() => {{ const svg = document.querySelector('{CARD} svg.chart');
      const b = svg.querySelector('.axes rect.box').getBBox();
      return [...svg.querySelectorAll('rect.count')].map((r) => r.getBBox().y - (b.y + b.height)); }}""")
    assert len(rects) == len(CAL.counts) and min(rects) > 0


def test_the_diagram_on_a_phone(browser, server):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    try:
        page.goto(server.url + "#evaluation")
        page.wait_for_selector(f"{CARD} svg.chart rect.acc", timeout=15000)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        page.locator(CARD).screenshot(path=str(ARTIFACTS / "phone-evaluation-reliability.png"))
    finally:
        ctx.close()
