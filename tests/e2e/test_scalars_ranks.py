"""The Scalars panel's rank selector in headless Chromium over ``torchscope serve``: a run logged by two
ranks (through the tracker, ``all_ranks=True``) shows the selector, a one-process run does not; rank 1
draws rank 1's values (read back from the chart and from its CSV link), "all ranks" draws both, the
choice survives a reload, a zoom and live points; a static report of the runs hides it and draws rank 0."""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import torchscope as ts

from ..server.ranks import STEPS, as_rank, fill_ranks, loss, solo_loss
from .conftest import Server, offline_report, shot

SERIES = """key => { const c = window.torchscope.charts.get(key);
  return { state: c.card.dataset.state, range: c.range, csv: c.csv.href,
    series: c.series.map((s) => ({ id: s.id, rank: s.rank, name: s.name, color: s.color, xs: s.xs, ys: s.ys,
      dash: s.dash || null })),
    lines: c.u.series.slice(1).map((s) => ({ label: s.label, dash: s.dash || null })) }; }"""


@pytest.fixture(scope="module")
def ranked(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[dict[str, Any]]:
    dir = tmp_path_factory.mktemp("e2e_ranks") / "tsruns"
    ids = fill_ranks(dir)
    server = Server(dir)
    yield {"dir": dir, "ids": ids, "url": server.url}
    server.stop()


def _open(page: Any, url: str, project: str, hash: str = "#scalars", state: dict[str, Any] | None = None) -> None:
    """Open the dashboard on ``hash`` showing ``project``'s runs (all: ""), with the panel's saved state
    (no smoothing, plus ``state``), set once per tab: a reload keeps what the page saved since."""
    runs, panel = json.dumps({"project": project}), json.dumps({"smoothing": 0, **(state or {})})
    page.add_init_script(f"""if (!sessionStorage.getItem("ranks-test")) {{ sessionStorage.setItem("ranks-test", "1");
      localStorage.setItem("torchscope.runs", {json.dumps(runs)});
      localStorage.setItem("torchscope.panel.scalars", {json.dumps(panel)}); }}""")
    page.goto(url + hash)


def _drawn(page: Any, key: str = "train/loss") -> None:
    page.wait_for_selector(f'.card[data-key="{key}"][data-state="drawn"]', timeout=10000)


def _series(page: Any, key: str = "train/loss") -> dict[str, Any]:
    return page.evaluate(SERIES, key)


def _wait_ranks(page: Any, ranks: list[int], key: str = "train/loss") -> dict[str, Any]:
    """Wait until the chart shows exactly these ranks' series, drawn; then return it."""
    page.wait_for_function("([key, want]) => { const c = window.torchscope.charts.get(key); return c && c.u && "
                           "c.card.dataset.state === 'drawn' && JSON.stringify(c.series.map((s) => s.rank)) === "
                           "JSON.stringify(want); }", arg=[key, ranks], timeout=10000)
    return _series(page, key)


def _pick(page: Any, value: str) -> None:
    page.select_option(".toolbar select.rank", value)


def test_one_process_run_shows_no_rank_selector(page, ranked):
    _open(page, ranked["url"], "solo")
    _drawn(page)
    data = _series(page)
    assert [(s["id"], s["rank"]) for s in data["series"]] == [(ranked["ids"]["solo"], 0)]
    assert data["series"][0]["ys"] == [solo_loss(s) for s in range(STEPS)]
    assert page.locator(".toolbar .rank-pick").count() == 1 and not page.locator(".toolbar .rank-pick").is_visible()
    assert "rank" not in page.inner_text(".toolbar .count")
    assert not page.locator(".toolbar .watch-toggle").is_visible()  # no watch/ keys either: nothing new to see
    assert "rank=" not in data["csv"]  # rank 0: the requests are the ones made before ranks existed
    assert page.locator(".card").count() == 1
    assert not page.errors


def test_rank_1_draws_rank_1_values(page, ranked):
    ddp = ranked["ids"]["ddp"]
    _open(page, ranked["url"], "ddp")
    _drawn(page)
    pick = page.locator(".toolbar .rank-pick")
    assert pick.is_visible()
    assert page.eval_on_selector(".toolbar select.rank", "s => [...s.options].map((o) => [o.value, o.text])") == [
        ["0", "0"], ["1", "1"], ["all", "all ranks"]]
    assert page.input_value(".toolbar select.rank") == "0"
    data = _series(page)
    assert [(s["id"], s["rank"]) for s in data["series"]] == [(ddp, 0)]
    assert data["series"][0]["ys"] == [loss(0, s) for s in range(STEPS)]
    assert page.locator('.card[data-key="grad/local"]').count() == 0  # rank 1's key: not at rank 0
    _pick(page, "1")
    data = _wait_ranks(page, [1])
    (s1,) = data["series"]
    assert s1["id"] == ddp and s1["xs"] == list(range(STEPS)) and s1["ys"] == [loss(1, s) for s in range(STEPS)]
    assert "rank 1" in page.inner_text(".toolbar .count")
    # the CSV link asks for rank 1: every stored point, exact
    assert "rank=1" in data["csv"]
    rows = list(csv.DictReader(io.StringIO(httpx.get(data["csv"], timeout=10).text)))
    assert [(r["run"], int(r["step"]), float(r["value"])) for r in rows] == [(ddp, s, loss(1, s)) for s in range(STEPS)]
    # rank 1's own key is there now, drawn with its values
    _drawn(page, "grad/local")
    grad = _wait_ranks(page, [1], "grad/local")
    assert grad["series"][0]["ys"] == [7.0 + s for s in range(STEPS)]
    # hover: the read-out says rank 1's value
    box = page.locator('.card[data-key="train/loss"] .u-over').bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    item = page.locator('.card[data-key="train/loss"] .readout .item')
    assert item.count() == 1 and item.get_attribute("data-rank") == "1"
    step = int(page.locator('.card[data-key="train/loss"] .readout .x').inner_text().split()[-1])
    assert math.isclose(float(item.locator("b").inner_text()), loss(1, step), rel_tol=1e-6)
    shot(page, "scalars-rank-1")
    assert not page.errors


def test_the_rank_survives_a_zoom_and_a_reload(page, ranked):
    _open(page, ranked["url"], "ddp")
    _drawn(page)
    _pick(page, "1")
    _wait_ranks(page, [1])
    box = page.locator('.card[data-key="train/loss"] .u-over').bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.30, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.50, y, steps=4)
    page.mouse.up()
    page.wait_for_function("() => { const c = window.torchscope.charts.get('train/loss'); return c.range && "
                           "c.card.dataset.state === 'drawn' && c.series.length && "
                           "c.series[0].xs[0] >= c.range[0] - 1; }", timeout=5000)
    data = _series(page)
    lo, hi = data["range"]
    (s1,) = data["series"]
    assert s1["rank"] == 1 and 0 < lo < hi < STEPS - 1
    assert s1["xs"] == list(range(math.ceil(lo), math.floor(hi) + 1))  # the zoom re-query: rank 1, every point
    assert s1["ys"] == [loss(1, s) for s in s1["xs"]]
    assert "rank=1" in data["csv"] and "lo=" in data["csv"]
    page.reload()
    _drawn(page)
    assert page.input_value(".toolbar select.rank") == "1"
    assert _wait_ranks(page, [1])["series"][0]["ys"][-1] == loss(1, STEPS - 1)


def test_all_ranks_overlay_each_rank_in_the_run_colour(page, ranked):
    ddp = ranked["ids"]["ddp"]
    _open(page, ranked["url"], "ddp")
    _drawn(page)
    _pick(page, "all")
    data = _wait_ranks(page, [0, 1])
    by = {s["rank"]: s for s in data["series"]}
    assert by[0]["id"] == by[1]["id"] == ddp
    assert by[0]["ys"] == [loss(0, s) for s in range(STEPS)] and by[1]["ys"] == [loss(1, s) for s in range(STEPS)]
    assert by[0]["name"] == "two-ranks · rank 0" and by[1]["name"] == "two-ranks · rank 1"
    # rank 0 solid, rank 1 dashed, both in the run's colour
    lines = {ln["label"]: ln for ln in data["lines"]}
    assert lines["two-ranks · rank 0"]["dash"] is None and lines["two-ranks · rank 1"]["dash"]
    assert by[0]["color"] == by[1]["color"]
    assert "rank=all" in data["csv"]
    rows = list(csv.DictReader(io.StringIO(httpx.get(data["csv"], timeout=10).text)))
    assert {(int(r["rank"]), int(r["step"]), float(r["value"])) for r in rows} == {
        (r, s, loss(r, s)) for r in (0, 1) for s in range(STEPS)}
    # every key of any rank: rank 1's own key too
    _drawn(page, "grad/local")
    assert page.locator(".card").count() == 2
    box = page.locator('.card[data-key="train/loss"] .u-over').bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    text = page.locator('.card[data-key="train/loss"] .readout').inner_text()
    assert "two-ranks · rank 0:" in text and "two-ranks · rank 1:" in text
    shot(page, "scalars-all-ranks")
    # back to one rank: one series again
    _pick(page, "0")
    assert _wait_ranks(page, [0])["series"][0]["ys"] == [loss(0, s) for s in range(STEPS)]
    assert page.locator('.card[data-key="grad/local"]').count() == 0
    assert not page.errors


def test_a_deep_link_picks_the_rank(page, ranked):
    _open(page, ranked["url"], "ddp", hash="#scalars?rank=all")
    _drawn(page)
    assert page.input_value(".toolbar select.rank") == "all"
    _wait_ranks(page, [0, 1])


def test_both_runs_selected_one_rank_each(page, ranked):
    ids = ranked["ids"]
    _open(page, ranked["url"], "")
    _drawn(page)
    assert page.locator(".toolbar .rank-pick").is_visible()  # one run of the two has two ranks
    data = _wait_ranks(page, [0, 0])
    assert {s["id"] for s in data["series"]} == {ids["ddp"], ids["solo"]}
    _pick(page, "1")
    data = _wait_ranks(page, [1])  # the one-process run has no rank 1
    assert data["series"][0]["id"] == ids["ddp"]


def test_live_points_of_rank_1(page, ranked):
    """A running two-rank run: with rank 1 chosen, points logged after the page opened arrive as rank 1's
    (the live events carry rank 0's points: they must not be appended to rank 1's line)."""
    runs = []
    for rank in (1, 0):
        with as_rank(rank):
            runs.append(ts.init(project="live", name="live-ranks", dir=ranked["dir"], all_ranks=True,
                                flush_interval=0.1))
    r1, r0 = runs
    try:
        for step in range(20):
            r0.log({"live/loss": loss(0, step)}, step=step)
            r1.log({"live/loss": loss(1, step)}, step=step)
        time.sleep(0.5)
        _open(page, ranked["url"], "live", state={"rank": 1})  # as left by an earlier visit
        _drawn(page, "live/loss")
        assert _wait_ranks(page, [1], "live/loss")["series"][0]["ys"] == [loss(1, s) for s in range(20)]
        for step in range(20, 40):
            r0.log({"live/loss": loss(0, step)}, step=step)
            r1.log({"live/loss": loss(1, step)}, step=step)
        page.wait_for_function("() => { const c = window.torchscope.charts.get('live/loss'); "
                               "return c.series.length && c.series[0].xs[c.series[0].xs.length - 1] === 39; }",
                               timeout=10000)
        (s1,) = _series(page, "live/loss")["series"]
        assert s1["rank"] == 1 and s1["xs"] == list(range(40)) and s1["ys"] == [loss(1, s) for s in range(40)]
        assert page.input_value(".toolbar select.rank") == "1"
    finally:
        r1.finish()
        r0.finish()


def test_a_report_hides_the_selector_and_draws_rank_0(browser, ranked, tmp_path: Path):
    from torchscope.report import build_report

    path = build_report(ranked["dir"], tmp_path / "report.html", runs=[ranked["ids"]["ddp"]], panels=["scalars"],
                        progress=None)
    with offline_report(browser, path) as pg:
        pg.wait_for_selector('#scalars .card[data-key="train/loss"][data-state=drawn]', timeout=10000)
        assert not pg.locator("#scalars .rank-pick").is_visible()
        data = pg.evaluate(SERIES, "train/loss")
        assert [s["rank"] for s in data["series"]] == [0]
        assert data["series"][0]["ys"] == [loss(0, s) for s in range(STEPS)]
        assert pg.locator('#scalars .card[data-key="grad/local"]').count() == 0  # rank 1's: not in a report
        assert pg.evaluate("window.torchscope.report.log") == [] and pg.errors == []  # nothing asked that it lacks
