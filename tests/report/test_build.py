"""The demo's report as a file (``report/build.py``): size, policy, escaping, and the answers it holds
decoded in Python and compared with the store (no browser)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import math
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np

import torchscope as ts
from torchscope.report.plans._util import evenly, plural

from .conftest import HOSTILE, SPIKE_AT, read_snapshot


def test_one_file_with_one_script_and_a_strict_policy(report: dict[str, Any]) -> None:
    html = report["path"].read_text()
    size = report["path"].stat().st_size
    assert size < 8e6, f"the demo's report is {size / 1e6:.1f} MB"
    scripts = re.findall(r"<script([^>]*)>", html)
    assert sorted(scripts) == sorted([' type="application/json" id="ts-report"', ' type="module"',
                                      ' type="application/json" id="ts-modules"', ' type="text/plain" id="ts-pack-z"',
                                      ' type="text/plain" id="ts-pack-r"'])
    loader = re.search(r'<script type="module">(.*?)</script>', html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(loader.encode()).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert f"script-src 'sha256-{digest}' blob:;" in csp and "default-src 'none'" in csp
    assert "connect-src data: blob:" in csp and "http" not in csp
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing from the network
    # hostile user text only ever appears escaped
    assert HOSTILE not in html and "<script>alert" not in html and "&lt;img src=x" in html  # (the <title>)
    assert report["lines"][0].startswith("report of 8 runs") and report["lines"][-1].startswith("wrote ")


def _frame(buf: bytes) -> dict[str, Any]:
    (n,) = struct.unpack("<I", buf[:4])
    head = json.loads(buf[4:4 + n])
    off = 4 + n + (-(4 + n) % 8)
    for run in head["runs"]:
        run["cols"] = {}
        for c in head["cols"]:
            run["cols"][c] = np.frombuffer(buf, "<f8", run["n"], off)
            off += run["n"] * 8
    return head


def test_series_and_csv_answers_are_the_store(report: dict[str, Any]) -> None:
    meta = read_snapshot(report["path"].read_text())
    store = ts.open(report["dir"])
    hostile, answers = report["hostile"], meta["answers"]
    ids = tuple(("run", r["id"]) for r in meta["runs"])
    key = ("bin", "scalars/series", tuple(sorted((("buckets", "1024"), ("format", "bin"), ("key", "long/signal"),
                                                  ("x", "step"), *ids))))
    frame = _frame(answers[key])
    (run,) = [r for r in frame["runs"] if r["run"] == hostile]
    expect = store.scalars(hostile, "long/signal", downsample=1024)
    assert run["downsampled"] and run["total"] == 50_000 and run["n"] == len(expect) <= 1024
    assert np.array_equal(run["cols"]["step"], expect.step) and np.array_equal(run["cols"]["max"], expect.max)
    i = int(np.argmax(run["cols"]["max"]))  # the spike's bucket (a bucket's step is its last point's)
    assert run["cols"]["max"][i] == 40.0 and run["cols"]["step"][i - 1] < SPIKE_AT <= run["cols"]["step"][i]
    csvs = {dict(k[2])["key"]: v for k, v in answers.items() if k[1] == "scalars/csv"}
    every = {k.key for rid in (*report["runs"], hostile) for k in store.keys(rid, "scalar")}
    assert set(csvs) == every  # every key of every run
    for name in ("long/signal", "train/loss", "val/acc"):
        rows = list(csv.reader(io.StringIO(csvs[name].decode())))[1:]
        for rid in (*report["runs"], hostile):
            mine = [r for r in rows if r[0] == rid]
            try:
                s = store.scalars(rid, name)
            except KeyError:
                assert not mine
                continue
            assert [int(r[2]) for r in mine] == s.step.tolist()
            got, want = [float(r[4]) for r in mine], s.value.tolist()
            assert all((math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(got, want)) and len(got) == len(want)


def test_answers_are_kept_once_and_indexed_by_request(report: dict[str, Any]) -> None:
    meta = read_snapshot(report["path"].read_text())
    spans = {(pack, off, n) for _, _, _, _, pack, off, n in meta["entries"]}
    # x=wall_time and x=relative are the same bytes: one copy for both
    assert len(spans) < len(meta["entries"])
    assert all("host" not in r for r in meta["runs"])  # a report travels: not the machine's name
    assert {s["name"] for s in meta["skipped"]} == set()  # the demo plus the hostile run fill every panel
    assert set(meta["fuzzy"]) >= {"scalars/series", "images/blob", "gan/sample"}


def test_small_helpers() -> None:
    assert evenly(list(range(10)), 3) == [0, 4, 9] and evenly([1, 2], 5) == [1, 2] and evenly([1, 2, 3], 1) == [3]
    assert plural(1, "key") == "1 key" and plural(2000, "point") == "2,000 points"


def test_a_health_only_report_keeps_the_graph_its_card_draws(demo_store: dict[str, Any], tmp_path: Path) -> None:
    from torchscope.report import build_report

    path = build_report(demo_store["dir"], tmp_path / "health.html", runs=[demo_store["demo"]], panels=["health"])
    meta = read_snapshot(path.read_text())
    asked = {(p, dict(pairs).get("key"), dict(pairs).get("base")) for _, p, pairs, *_ in meta["entries"]}
    assert any(p == "graph/record" and key for p, key, _ in asked)  # the Health card's graph, by its key
    assert {b for p, key, b in asked if p == "graph/layout" and key} == {"default", "all", "none"}
