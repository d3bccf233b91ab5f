"""The Health panel's rank selector in headless Chromium over ``torchscope serve``: one run logged by two
ranks (through the tracker, ``all_ranks=True``), each watching its own copy of a model whose rank-1 copy
outputs NaN at one step, and a one-process watched run. The two-rank run shows the selector; rank 1's heat
map shows the NaN that rank 0's lacks; the histograms and graph colours follow the rank; every alarm says
its rank, and clicking rank 1's alarm switches to rank 1 at its layer and step; its Scalars link opens
rank 1's chart. The one-process run shows no selector; a static report hides it and keeps rank 0."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..server.ranks import NAN_AT, NAN_LAYER, WATCH_EVERY, WATCH_STEPS, fill_watched_ranks
from .conftest import Server, offline_report, shot


@pytest.fixture(scope="module")
def wranked(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[dict[str, Any]]:
    dir = tmp_path_factory.mktemp("e2e-health-ranks") / "tsruns"
    ids = fill_watched_ranks(dir)
    server = Server(dir)
    yield {"dir": dir, "ids": ids, "url": server.url}
    server.stop()


def _open(page: Any, url: str, project: str) -> list[str]:
    """Open the Health panel on ``project``'s runs; returns the list the panel's API requests go to."""
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/health/" in r.url else None)
    runs = json.dumps({"project": project})
    page.add_init_script(f"localStorage.setItem('torchscope.runs', {json.dumps(runs)})")
    page.goto(url + "#health")
    page.wait_for_function("() => window.torchscope.health?.matrix", timeout=15000)
    return requests


def _at_rank(page: Any, rank: int, stat: str | None = None) -> None:
    """Wait until the heat map shows ``rank`` (and ``stat``)."""
    page.wait_for_function("([rank, stat]) => { const hl = window.torchscope.health; return hl.rank === rank && "
                           "hl.matrix.rank === rank && (!stat || hl.matrix.stat === stat) && "
                           "hl.overview.rank === rank; }", arg=[rank, stat], timeout=10000)


# the heat map's cells: value (NaN as "NaN"), the colour drawn and the colour its scale gives the value
CELLS = """() => { const hm = window.torchscope.health.heat, g = hm.geometry(), m = hm.m;
  const ctx = hm.canvas.getContext("2d"), dpr = window.devicePixelRatio || 1, out = [];
  for (let r = 0; r < m.layers.length; r++) for (let i = 0; i < m.steps.length; i++) {
    const [x, y, w, h] = hm.rect(g, r, i), v = m.values[r][i];
    const px = ctx.getImageData(Math.floor((x + w / 2) * dpr), Math.floor((y + h / 2) * dpr), 1, 1).data;
    out.push({ layer: m.layers[r], step: m.steps[i], value: Number.isNaN(v) ? "NaN" : v, pixel: [px[0], px[1], px[2]],
               expected: hm.scale.colour(v) });
  }
  return { stat: m.stat, rank: m.rank, cells: out }; }"""


def _cells(page: Any) -> dict[str, Any]:
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return page.evaluate(CELLS)


def _nan_cells(data: dict[str, Any]) -> set[tuple[str, int]]:
    return {(c["layer"], c["step"]) for c in data["cells"] if c["value"] == "NaN"}


def test_a_one_process_run_shows_no_rank_selector(page, wranked):
    requests = _open(page, wranked["url"], "solo-health")
    assert page.locator(".toolbar .rank-pick").count() == 1
    assert not page.locator(".toolbar .rank-pick").is_visible()
    assert page.evaluate("() => window.torchscope.health.overview.ranks") == [0]
    assert "rank" not in page.locator(".heat-card h3").inner_text()
    assert "rank " not in page.locator(".alarm-card").inner_text()
    assert not any("rank=" in u for u in requests)  # rank 0: the requests made before ranks existed
    assert not page.errors


def test_two_ranks_show_the_selector_and_rank_1s_nan(page, wranked):
    requests = _open(page, wranked["url"], "ddp-health")
    pick = page.locator(".toolbar .rank-pick")
    assert pick.is_visible()
    assert page.eval_on_selector(".toolbar select.health-rank", "s => [...s.options].map((o) => o.value)") == ["0", "1"]
    assert page.input_value(".toolbar select.health-rank") == "0"
    page.select_option(".toolbar select.health-stat", "act_mean")
    _at_rank(page, 0, "act_mean")
    rank0 = _cells(page)
    assert rank0["rank"] == 0 and _nan_cells(rank0) == set()  # rank 0's model never saw a NaN
    assert sorted({c["step"] for c in rank0["cells"]}) == list(range(0, WATCH_STEPS, WATCH_EVERY))
    # a cell selected before the switch stays selected (its histograms reload for rank 1)
    box = page.evaluate("""(step) => { const hm = window.torchscope.health.heat, g = hm.geometry();
      const [x, y, w, h] = hm.rect(g, hm.m.layers.indexOf("3"), hm.m.steps.indexOf(step));
      return { x: x + w / 2, y: y + h / 2 }; }""", NAN_AT + WATCH_EVERY)
    page.locator("canvas.heatmap").click(position=box)
    page.wait_for_selector("canvas.hist-bars", timeout=5000)
    page.select_option(".toolbar select.health-rank", "1")
    _at_rank(page, 1, "act_mean")
    rank1 = _cells(page)
    assert (NAN_LAYER, NAN_AT) in _nan_cells(rank1)
    nan = next(c for c in rank1["cells"] if (c["layer"], c["step"]) == (NAN_LAYER, NAN_AT))
    assert max(abs(a - b) for a, b in zip(nan["pixel"], nan["expected"])) <= 2  # drawn as NaN (red)
    before = [c for c in rank1["cells"] if c["step"] < NAN_AT]
    assert before and all(c["value"] != "NaN" for c in before)
    assert "rank 1" in page.locator(".heat-card h3").inner_text()
    sel = page.evaluate("() => window.torchscope.health.selected")
    assert sel["layer"] == "3" and sel["step"] == NAN_AT + WATCH_EVERY
    page.wait_for_function("() => document.querySelectorAll('canvas.hist-bars').length === 4")
    hists = [u for u in requests if "/api/health/histograms" in u]
    assert "rank=1" in hists[-1] and not any("rank=" in u for u in hists[:-1])
    assert any("/api/health/matrix" in u and "rank=1" in u for u in requests)
    assert any("/api/health/overview" in u and "rank=1" in u for u in requests)
    # the graph is coloured from rank 1's matrix: the NaN layer's node is red at the NaN step
    page.wait_for_selector(".hg[data-state='ready']", timeout=10000)
    page.locator("input.health-step").press("Home")
    for _ in range(NAN_AT // WATCH_EVERY):
        page.locator("input.health-step").press("ArrowRight")
    page.wait_for_function(f"() => window.torchscope.health.selected.step === {NAN_AT}")
    values = page.evaluate("""() => { const g = window.torchscope.health.graph;
      return [...g.values.entries()].map(([id, e]) => [id, e.layer, Number.isNaN(e.value) ? "NaN" : e.value]); }""")
    assert any(layer == NAN_LAYER and v == "NaN" for _, layer, v in values)
    shot(page, "health-rank-1")
    # back to rank 0: no NaN anywhere
    page.select_option(".toolbar select.health-rank", "0")
    _at_rank(page, 0, "act_mean")
    assert _nan_cells(_cells(page)) == set()
    assert not page.errors


def test_alarms_say_their_rank_and_a_click_switches_to_it(page, wranked):
    _open(page, wranked["url"], "ddp-health")
    _at_rank(page, 0)
    alarms = page.locator("li.alarm")
    assert alarms.count() >= 3
    for i in range(alarms.count()):  # only rank 1 raised alarms: each says so
        li = alarms.nth(i)
        assert li.get_attribute("data-rank") == "1" and "rank 1 · " in li.locator(".where").inner_text()
    grad = page.locator('li.alarm[data-type="nonfinite_grad"]')
    assert f"step {NAN_AT}" in grad.inner_text()
    grad.locator("button.alarm-main").click()
    _at_rank(page, 1)
    page.wait_for_function(f"() => window.torchscope.health.selected?.step === {NAN_AT}")
    sel = page.evaluate("""() => { const hl = window.torchscope.health, m = hl.matrix, s = hl.selected;
      const v = s.layer === null ? null : m.values[m.layers.indexOf(s.layer)][m.steps.indexOf(s.step)];
      return { layer: s.layer, step: s.step, stat: m.stat, nan: Number.isNaN(v) }; }""")
    assert sel == {"layer": "3", "step": NAN_AT, "stat": "grad_norm", "nan": True}  # the first NaN gradient
    assert page.input_value(".toolbar select.health-rank") == "1"
    assert page.locator('li.alarm.active[data-type="nonfinite_grad"]').count() == 1  # kept across the redraw
    # the chart link of rank 1's loss alarm opens rank 1's Scalars chart, marked at that step
    link = page.locator('li.alarm[data-type="loss_divergence"] a.to-scalars')
    assert "rank=1" in link.get_attribute("href") and f"step={NAN_AT}" in link.get_attribute("href")
    link.click()
    page.wait_for_selector('.card[data-key="train/loss"][data-state="drawn"]', timeout=10000)
    assert page.input_value(".toolbar select.rank") == "1"
    page.wait_for_function("() => { const c = window.torchscope.charts.get('train/loss'); "
                           "return c.series.length === 1 && c.series[0].rank === 1; }", timeout=10000)
    assert page.evaluate("() => window.torchscope.charts.get('train/loss').mark") == NAN_AT
    assert not page.errors


def test_a_report_hides_the_selector_and_keeps_rank_0(browser, wranked, tmp_path: Path):
    from torchscope.report import build_report

    path = build_report(wranked["dir"], tmp_path / "report.html", runs=[wranked["ids"]["ddp"]],
                        panels=["health"], progress=None)  # the Health card's graph needs no Graph section
    with offline_report(browser, path) as pg:
        pg.wait_for_function("() => window.torchscope.health?.matrix", timeout=15000)
        assert not pg.locator("#health .rank-pick").is_visible()
        assert pg.evaluate("() => window.torchscope.health.rank") == 0
        assert pg.evaluate("() => window.torchscope.health.matrix.rank") == 0
        alarm = pg.locator('#health li.alarm[data-type="nonfinite_grad"]')
        assert "rank 1 · " in alarm.inner_text()
        assert pg.locator("#health li.alarm a.to-scalars").count() == 0  # rank 1's charts are not in a report
        alarm.locator("button.alarm-main").click()
        pg.locator("#health .heat-card .readout", has_text="not in this report").wait_for(timeout=5000)
        assert pg.evaluate("() => window.torchscope.health.rank") == 0
        assert pg.evaluate("window.torchscope.report.log") == [] and pg.errors == []  # nothing asked that it lacks
