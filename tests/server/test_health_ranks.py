"""The Health panel's ranks: every route reads the watch data of the rank asked for (``rank=``, default 0),
the overview lists the ranks with watch data and says the rank of each alarm; over a real store where two
ranks of one run (``ts.init(..., all_ranks=True)``, torchrun's variables) each watched their model and only
rank 1's model output NaN, served by a real server."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import torchscope as ts
from torchscope.server import create_app
from torchscope.server.panels.health.data import alarms, watch_keys

from .ranks import NAN_AT, NAN_LAYER, WATCH_EVERY, WATCH_STEPS, fill_watched_ranks
from .util import ServerThread

LAYERS = ["0", "1", "2", "3"]
ROUTES = ("/api/health/overview", "/api/health/matrix", "/api/health/histograms", "/api/health/graph_map")


@pytest.fixture(scope="module")
def wranked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    dir = tmp_path_factory.mktemp("health-ranks") / "tsruns"
    return dir, fill_watched_ranks(dir)


@pytest.fixture(scope="module")
def hr(wranked: tuple[Path, dict[str, str]]) -> Iterator[httpx.Client]:
    with ServerThread(create_app(wranked[0], warm=False)) as url, httpx.Client(base_url=url, timeout=10) as c:
        yield c


def _num(v: Any) -> float:
    return float(v) if not isinstance(v, str) else float(v.replace("Infinity", "inf"))


def _cell(body: dict[str, Any], layer: str, step: int) -> Any:
    return body["values"][body["layers"].index(layer)][body["steps"].index(step)]


def test_the_store_holds_two_watched_ranks_and_only_rank_1_alarmed(wranked):
    dir, ids = wranked
    store = ts.open(dir)
    rid = ids["ddp"]
    ranks = {k.rank for k in store.keys(rid) if k.key.startswith("watch/")}
    assert ranks == {0, 1}
    assert store.records(rid, kind="health.alarm", rank=0) == []
    assert store.records(rid, kind="health.alarm", rank=1)
    r0 = store.scalars(rid, f"watch/{NAN_LAYER}/act_mean", rank=0).value
    r1 = store.scalars(rid, f"watch/{NAN_LAYER}/act_mean", rank=1).value
    assert all(math.isfinite(v) for v in r0) and math.isnan(r1[NAN_AT // WATCH_EVERY])


def test_overview_lists_the_ranks_and_each_alarm_says_its_rank(hr, wranked):
    rid = wranked[1]["ddp"]
    body = hr.get("/api/health/overview", params={"run": rid}).json()
    assert body["rank"] == 0 and body["ranks"] == [0, 1] and body["layers"] == LAYERS
    assert body["alarms"] and {a["rank"] for a in body["alarms"]} == {1}  # rank 0 raised none
    out = next(a for a in body["alarms"] if a["type"] == "nonfinite_output")
    assert out["layer"] == NAN_LAYER and out["step"] == NAN_AT and out["rank"] == 1
    loss = next(a for a in body["alarms"] if a["type"] == "loss_divergence")
    assert loss["key"] == "train/loss" and loss["rank"] == 1
    # at rank 1: that rank's keys, the same alarms (every rank's)
    one = hr.get("/api/health/overview", params={"run": rid, "rank": 1}).json()
    assert one["rank"] == 1 and one["ranks"] == [0, 1] and one["layers"] == LAYERS
    assert one["alarms"] == body["alarms"] and one["lr"] == ["watch/lr/group0"]
    assert one["histograms"] == {"0": 4, "3": 4}
    # a one-process run: one rank, its alarms (none here) at rank 0
    solo = hr.get("/api/health/overview", params={"run": wranked[1]["solo"]}).json()
    assert solo["ranks"] == [0] and solo["layers"] == LAYERS and all(a["rank"] == 0 for a in solo["alarms"])
    # a rank without watch data: nothing to show, but no error
    none = hr.get("/api/health/overview", params={"run": rid, "rank": 7}).json()
    assert none["rank"] == 7 and none["layers"] == [] and none["stats"] == [] and none["ranks"] == [0, 1]


def test_rank_1_heat_map_shows_the_nan_and_rank_0s_does_not(hr, wranked):
    dir, ids = wranked
    rid, store = ids["ddp"], ts.open(dir)
    steps = list(range(0, WATCH_STEPS, WATCH_EVERY))
    got = {}
    for rank in (0, 1):
        body = hr.get("/api/health/matrix", params={"run": rid, "stat": "act_mean", "rank": rank}).json()
        assert body["rank"] == rank and body["layers"] == LAYERS and body["steps"] == steps
        for layer, row in zip(body["layers"], body["values"]):
            s = store.scalars(rid, f"watch/{layer}/act_mean", rank=rank)
            assert [_num(v) for v in row] == pytest.approx(s.value.tolist(), nan_ok=True)
        got[rank] = body
    assert _cell(got[1], NAN_LAYER, NAN_AT) == "NaN"
    assert all(isinstance(v, float) and math.isfinite(v) for row in got[0]["values"] for v in row)
    row = got[1]["values"][got[1]["layers"].index(NAN_LAYER)]
    assert all(isinstance(v, float) for v in row[:NAN_AT // WATCH_EVERY])  # finite before the NaN step
    default = hr.get("/api/health/matrix", params={"run": rid, "stat": "act_mean"}).json()
    assert default["values"] == got[0]["values"] and default["rank"] == 0  # no rank: rank 0, as before
    # the gradients of rank 1's last layer are NaN from that step; rank 0's are finite
    g1 = hr.get("/api/health/matrix", params={"run": rid, "stat": "grad_norm", "rank": 1}).json()
    g0 = hr.get("/api/health/matrix", params={"run": rid, "stat": "grad_norm"}).json()
    assert _cell(g1, "3", NAN_AT) == "NaN" and math.isfinite(_cell(g0, "3", NAN_AT))


def test_histograms_read_the_rank_asked_for(hr, wranked):
    dir, ids = wranked
    rid, store = ids["ddp"], ts.open(dir)
    step = NAN_AT + WATCH_EVERY  # after the NaN step: rank 1's weights are NaN, rank 0's are not
    answers = {}
    for rank in (0, 1):
        body = hr.get("/api/health/histograms", params={"run": rid, "layer": "3", "step": step, "rank": rank}).json()
        assert body["rank"] == rank
        got = {(p["param"], p["kind"]): p for p in body["params"]}
        assert set(got) == {("weight", "weight"), ("weight", "grad"), ("bias", "weight"), ("bias", "grad")}
        ref = next(e for e in store.histograms(rid, "watch/3/weight", rank=rank) if e.step == step)
        w = got[("weight", "weight")]
        assert w["step"] == step and w["counts"] == ref.counts.tolist()
        assert [_num(w["lo"]), _num(w["hi"])] == pytest.approx([ref.lo, ref.hi], nan_ok=True)
        answers[rank] = w
    assert math.isfinite(_num(answers[0]["lo"])) and answers[0]["counts"] != answers[1]["counts"]


def test_graph_map_maps_the_ranks_layers(hr, wranked):
    rid = wranked[1]["ddp"]
    for rank in (0, 1):
        body = hr.get("/api/health/graph_map", params={"run": rid, "rank": rank}).json()
        assert body["graph"] is not None and body["layers"] == LAYERS and body["unmatched"] == []
    none = hr.get("/api/health/graph_map", params={"run": rid, "rank": 7}).json()
    assert none["layers"] == [] and none["unmatched"] == []


def test_runs_count_every_ranks_alarms(hr, wranked):
    ids = wranked[1]
    n = len(hr.get("/api/health/overview", params={"run": ids["ddp"]}).json()["alarms"])
    body = hr.get("/api/health/runs", params={"run": [ids["ddp"], ids["solo"]]}).json()["runs"]
    assert body[0] == {"run": ids["ddp"], "layers": 4, "alarms": n} and n >= 3
    assert body[1]["run"] == ids["solo"] and body[1]["layers"] == 4
    at = {r: hr.get("/api/health/runs", params={"run": ids["ddp"], "rank": r}).json()["runs"][0] for r in (0, 1)}
    assert at[0]["alarms"] == 0 and at[1]["alarms"] == n and at[1]["layers"] == 4


def test_bad_ranks_are_refused(hr, wranked):
    rid = wranked[1]["ddp"]
    extra = {"/api/health/matrix": {"stat": "act_mean"}, "/api/health/histograms": {"layer": "3", "step": 10}}
    for bad in ("-1", "x", "1.5", "all", "100001"):
        for path in (*ROUTES, "/api/health/runs"):
            r = hr.get(path, params={"run": rid, "rank": bad, **extra.get(path, {})})
            assert r.status_code == 400, (path, bad)
    for path in ROUTES:  # the same requests with a good rank answer
        assert hr.get(path, params={"run": rid, "rank": 1, **extra.get(path, {})}).status_code == 200, path


def test_alarms_helper_says_each_alarms_rank(wranked):
    dir, ids = wranked
    store = ts.open(dir)
    keys = watch_keys(store, ids["ddp"], rank=1)
    assert keys.rank == 1 and keys.ranks == [0, 1] and keys.run_ranks == [0, 1] and keys.alarm_count >= 3
    assert watch_keys(store, ids["ddp"]).alarm_count == 0
    assert alarms(store, ids["ddp"]) == []  # rank 0 only: rank 0 raised none
    every = alarms(store, ids["ddp"], keys.run_ranks)
    assert [a["rank"] for a in every] == [1] * keys.alarm_count
    assert [a["step"] for a in every] == sorted(a["step"] for a in every)


def test_openapi_documents_rank(hr):
    paths = hr.get("/api/openapi.json").json()["paths"]
    for path in (*ROUTES, "/api/health/runs"):
        assert "rank" in json.dumps(paths[path]), path
    assert "ranks" in json.dumps(paths["/api/health/overview"])
