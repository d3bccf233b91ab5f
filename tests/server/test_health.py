"""The Health panel's API over a store written by a real ``run.watch`` training run."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import torchscope as ts
from torchscope.server import create_app

from .util import ServerThread
from .watched import DEAD_LAYER, EVERY, STEPS, train_poisoned, train_watched


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    dir = tmp_path_factory.mktemp("health") / "tsruns"
    info = train_watched(dir)
    plain = ts.init(dir=dir, project="health", name="plain")
    plain.log({"x": 1.0}, step=0)
    plain.finish()
    info["plain"] = plain.id
    info["poisoned"] = train_poisoned(dir, at=10)
    return dir, info


@pytest.fixture(scope="module")
def hc(watched: tuple[Path, dict[str, Any]]) -> Iterator[httpx.Client]:
    with ServerThread(create_app(watched[0], warm=False)) as url, httpx.Client(base_url=url, timeout=10) as c:
        yield c


def _num(v: Any) -> float:
    return float(v) if not isinstance(v, str) else float(v.replace("Infinity", "inf"))


def test_runs_say_which_were_watched(hc, watched):
    info = watched[1]
    body = hc.get("/api/health/runs", params={"run": [info["id"], info["plain"], "nope"]}).json()
    by = {r["run"]: r for r in body["runs"]}
    assert by[info["id"]]["layers"] == 5 and by[info["id"]]["alarms"] >= 1
    assert by[info["plain"]] == {"run": info["plain"], "layers": 0, "alarms": 0}
    assert "nope" not in by


def test_overview_lists_layers_stats_and_the_dead_relu_alarm(hc, watched):
    info = watched[1]
    body = hc.get("/api/health/overview", params={"run": info["id"]}).json()
    assert body["layers"] == info["layers"]
    assert set(body["stats"]) == {"act_mean", "act_std", "act_zero", "dead", "grad_norm", "weight_norm",
                                  "update_ratio"}
    assert body["counts"]["grad_norm"] == 3 and body["counts"]["dead"] == 5  # Linear vs every layer
    assert body["lr"] == ["watch/lr/group0"]
    assert body["histograms"] == {"0": 4, "2": 4, "4": 4}  # weight, bias, and their gradients
    dead = [a for a in body["alarms"] if a["type"] == "dead_relu"]
    assert len(dead) == 1
    assert dead[0]["layer"] == DEAD_LAYER and dead[0]["key"] == f"watch/{DEAD_LAYER}/dead"
    assert dead[0]["step"] == 0 and _num(dead[0]["value"]) == 1.0
    assert hc.get("/api/health/overview", params={"run": "nope"}).status_code == 404


@pytest.mark.parametrize("stat", ["grad_norm", "dead", "act_mean"])
def test_matrix_holds_the_logged_values(hc, watched, stat):
    dir, info = watched
    body = hc.get("/api/health/matrix", params={"run": info["id"], "stat": stat}).json()
    store = ts.open(dir)
    assert body["steps"] == list(range(0, STEPS, EVERY)) and not body["downsampled"]
    assert body["scale"] == {"grad_norm": "log", "dead": "fraction", "act_mean": "linear"}[stat]
    expected_layers = ["0", "2", "4"] if stat == "grad_norm" else info["layers"]
    assert body["layers"] == expected_layers
    for layer, row in zip(body["layers"], body["values"]):
        s = store.scalars(info["id"], f"watch/{layer}/{stat}")
        assert [_num(v) for v in row] == pytest.approx(s.value.tolist(), nan_ok=True)
    if stat == "dead":
        assert all(_num(v) == 1.0 for v in body["values"][body["layers"].index(DEAD_LAYER)])


def test_matrix_downsamples_to_cols(hc, watched):
    info = watched[1]
    body = hc.get("/api/health/matrix", params={"run": info["id"], "stat": "weight_norm", "cols": 2}).json()
    assert body["downsampled"] and len(body["steps"]) == 2 and body["steps"][-1] == STEPS - EVERY
    for lo, v, hi in zip(body["min"][0], body["values"][0], body["max"][0]):
        assert _num(lo) <= _num(v) <= _num(hi)
    assert hc.get("/api/health/matrix", params={"run": info["id"], "stat": "bogus"}).status_code == 400


def test_histograms_at_the_nearest_logged_step(hc, watched):
    dir, info = watched
    body = hc.get("/api/health/histograms", params={"run": info["id"], "layer": "2", "step": 12}).json()
    got = {(p["param"], p["kind"]): p for p in body["params"]}
    assert set(got) == {("weight", "weight"), ("weight", "grad"), ("bias", "weight"), ("bias", "grad")}
    assert [p["param"] for p in body["params"]][:2] == ["bias", "bias"] or body["params"][0]["kind"] == "weight"
    assert all(p["step"] == 10 for p in body["params"])  # 12 -> the sample at step 10
    store = ts.open(dir)
    ref = next(e for e in store.histograms(info["id"], "watch/2/weight") if e.step == 10)
    w = got[("weight", "weight")]
    assert w["counts"] == ref.counts.tolist() and math.isclose(_num(w["lo"]), ref.lo)
    empty = hc.get("/api/health/histograms", params={"run": info["id"], "layer": "1", "step": 0}).json()
    assert empty["params"] == []  # a ReLU has no parameters


def test_nan_travels_as_a_string_and_its_alarm_names_the_layer(hc, watched):
    rid = watched[1]["poisoned"]
    body = hc.get("/api/health/matrix", params={"run": rid, "stat": "act_mean"}).json()
    row = body["values"][body["layers"].index("2")]  # the poisoning layer's own output
    assert row[body["steps"].index(10)] == "NaN"
    assert all(isinstance(v, float) for i, v in enumerate(row) if body["steps"][i] < 10)
    alarms = hc.get("/api/health/overview", params={"run": rid}).json()["alarms"]
    first = next(a for a in alarms if a["type"] == "nonfinite_output")
    assert first["layer"] == "2" and first["step"] == 10
