"""The dashboard and the report over the PostgreSQL team store, end to end: a run logged with
``store=URL`` (keys in any script), ``torchscope serve URL`` in a subprocess, headless Chromium
drawing its charts, ``torchscope report URL`` kept offline; the database password in none of them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import torchscope as ts

from ..conftest import child_env, drop_pg_schema, new_pg_schema
from .conftest import Server, offline_report

KEYS = ["train/loss", "train/übung", "val/损失"]
STEPS = 60
PASSWORD = ":torchscope@"  # the test server's password, as it appears in the URL


@pytest.fixture(scope="module")
def team(chromium_path: str) -> Iterator[dict[str, Any]]:
    url = new_pg_schema("e2e")
    with ts.init(project="team", name="on-postgres", store=url, config={"lr": 0.01}) as run:
        for s in range(STEPS):
            run.log({k: float(i * 1000 + s) for i, k in enumerate(KEYS)}, step=s)
        run.log_text("notes", "**shared** with the team", step=0)
    server = Server(url)  # type: ignore[arg-type]  # a URL where a directory usually goes
    yield {"url": url, "id": run.id, "server": server}
    server.stop()
    drop_pg_schema(url)


def test_the_dashboard_draws_a_postgres_store(page, team):
    page.add_init_script("localStorage.setItem('torchscope.panel.scalars', JSON.stringify({smoothing: 0}))")
    page.goto(team["server"].url + "#scalars")
    for i, key in enumerate(KEYS):
        sel = f".card[data-key={json.dumps(key, ensure_ascii=False)}]"
        page.locator(sel).scroll_into_view_if_needed(timeout=15000)
        page.wait_for_selector(sel + '[data-state="drawn"]', timeout=15000)
        ys = page.evaluate("key => window.torchscope.charts.get(key).series.map((s) => s.ys)", key)
        assert ys == [[float(i * 1000 + s) for s in range(STEPS)]]
    assert "on-postgres" in page.inner_text("body")
    health = httpx.get(team["server"].url + "api/health", timeout=10).text
    assert PASSWORD not in page.content() + health and "***" in health
    assert not page.errors


def test_serve_prints_no_password(team):
    out = subprocess.run([sys.executable, "-m", "torchscope", "runs", team["url"]], env=child_env(),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "on-postgres" in out.stdout and PASSWORD not in out.stdout + out.stderr


def test_the_report_of_a_postgres_store(browser, team, tmp_path: Path):
    out = subprocess.run([sys.executable, "-m", "torchscope", "report", team["url"], "-o", str(tmp_path / "r.html")],
                         env=child_env(), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert PASSWORD not in out.stdout + out.stderr
    html = (tmp_path / "r.html").read_text()
    assert PASSWORD not in html
    with offline_report(browser, tmp_path / "r.html") as pg:
        sel = "#scalars .card[data-key='train/loss']"
        pg.locator(sel).scroll_into_view_if_needed()
        pg.wait_for_selector(sel + "[data-state=drawn]", timeout=15000)
        assert "shared" in pg.inner_text("body")
        assert pg.evaluate("window.torchscope.report.log") == [] and pg.errors == []


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("pg_ctlcluster") is None,
                    reason="stops the test server: needs root and Debian's pg_ctlcluster")
def test_the_database_going_away_shows_a_banner_and_the_page_recovers(page, team):
    page.goto(team["server"].url + "#scalars")
    page.wait_for_selector(".card[data-key='train/loss'][data-state='drawn']", timeout=15000)
    page.wait_for_selector("#live.on", timeout=10000)
    cluster = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True).stdout.split()
    subprocess.run(["pg_ctlcluster", cluster[0], cluster[1], "stop", "-m", "fast"], check=True, capture_output=True)
    try:
        banner = page.wait_for_selector("#store-banner", timeout=20000)
        assert "cannot be read" in banner.inner_text() and PASSWORD not in banner.inner_text()
    finally:
        subprocess.run(["pg_ctlcluster", cluster[0], cluster[1], "start"], check=True, capture_output=True)
    page.wait_for_selector("#store-banner", state="detached", timeout=30000)
    page.wait_for_selector(".card[data-key='train/loss'][data-state='drawn']", timeout=15000)
    assert not page.errors
