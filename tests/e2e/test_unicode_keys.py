"""Keys, run names and texts in any script, end to end: logged through the tracker, drawn by the
dashboard in headless Chromium (charts, the key filter, the exact CSV download named after the key),
and kept by the static report (its Scalars section with the same charts, nothing asked that it lacks).

Found by the read-side review: ``train/übung`` cost the report its whole Scalars section (a non-ASCII
Content-Disposition), and ``train/损失``'s CSV answered 400."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import torchscope as ts

from .conftest import Server, offline_report

KEYS = ["train/übung", "train/损失", "val/خسارة", "val/потеря", "misc/λ 🔥"]
STEPS = 40


def value(k: int, s: int) -> float:
    return float((k + 1) * 100 + s)


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[dict[str, Any]]:
    dir = tmp_path_factory.mktemp("e2e_unicode") / "tsruns"
    with ts.init(project="多语言", name="übung-λ", dir=dir) as run:
        for s in range(STEPS):
            run.log({key: value(k, s) for k, key in enumerate(KEYS)}, step=s)
        run.log_text("notes/注释", "**粗体** and עברית", step=0)
    server = Server(dir)
    yield {"dir": dir, "id": run.id, "url": server.url}
    server.stop()


def _open(page: Any, url: str) -> None:
    page.add_init_script("""if (!sessionStorage.getItem("u")) { sessionStorage.setItem("u", "1");
      localStorage.setItem("torchscope.panel.scalars", JSON.stringify({smoothing: 0})); }""")
    page.goto(url + "#scalars")


def _sel(key: str) -> str:
    return f".card[data-key={json.dumps(key, ensure_ascii=False)}]"


def _chart(page: Any, key: str) -> dict[str, Any]:
    card = page.locator(_sel(key))
    card.wait_for(timeout=15000)
    card.scroll_into_view_if_needed()  # cards are drawn as they come into view
    page.wait_for_selector(_sel(key) + '[data-state="drawn"]', timeout=15000)
    return page.evaluate("""key => { const c = window.torchscope.charts.get(key);
      return { csv: c.csv.href, download: c.csv.download, title: c.card.innerText,
               ys: c.series.map((s) => s.ys) }; }""", key)


def test_the_dashboard_draws_every_script_and_downloads_exact_csv(page, scripts):
    _open(page, scripts["url"])
    for k, key in enumerate(KEYS):
        chart = _chart(page, key)
        assert key in chart["title"]
        assert chart["ys"] == [[value(k, s) for s in range(STEPS)]]
        resp = httpx.get(chart["csv"], timeout=10)
        assert resp.status_code == 200, (key, resp.text)
        assert "filename*=UTF-8''" in resp.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(resp.text)))
        assert [float(r["value"]) for r in rows] == [value(k, s) for s in range(STEPS)]
    assert "übung-λ" in page.inner_text("body")  # the run's name in the run selector
    assert not page.errors


def test_the_key_filter_finds_keys_in_any_script(page, scripts):
    _open(page, scripts["url"])
    _chart(page, "train/损失")
    page.fill(".toolbar input[type=search]", "损失")
    page.wait_for_function("() => [...document.querySelectorAll('.grid .card')].filter((c) => "
                           "c.offsetParent !== null).length === 1", timeout=5000)
    shown = page.eval_on_selector_all(".grid .card", "cs => cs.filter((c) => c.offsetParent !== null)"
                                                     ".map((c) => c.dataset.key)")
    assert shown == ["train/损失"]
    assert not page.errors


def test_the_report_keeps_them_all(browser, scripts, tmp_path: Path):
    from torchscope.report import build_report

    lines: list[str] = []
    path = build_report(scripts["dir"], tmp_path / "报告.html", panels=["scalars", "text"], progress=lines.append)
    assert not any("left out" in line for line in lines), lines
    with offline_report(browser, path) as pg:
        for k, key in enumerate(KEYS):
            pg.locator("#scalars " + _sel(key)).scroll_into_view_if_needed()
            pg.wait_for_selector("#scalars " + _sel(key) + "[data-state=drawn]", timeout=15000)
            ys = pg.evaluate("key => window.torchscope.charts.get(key).series.map((s) => s.ys)", key)
            assert ys == [[value(k, s) for s in range(STEPS)]]
        assert "粗体" in pg.inner_text("body")
        assert pg.evaluate("window.torchscope.report.log") == [] and pg.errors == []
