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


# -- the model graph coloured by a statistic: /api/health/graph_map ------------------------------

def train_with_graph(dir: Path, steps: int = STEPS, every: int = EVERY) -> str:
    """A watched run that also logged its model graph: a stem, three identical blocks (folded as
    ``Block ×3``) and a head; ``run.log_graph(model, x)`` before training. Returns the run id."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, d: int) -> None:
            super().__init__()
            self.fc, self.act = nn.Linear(d, d), nn.ReLU()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.act(self.fc(x))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Linear(8, 16)
            self.blocks = nn.Sequential(*[Block(16) for _ in range(3)])
            self.head = nn.Sequential(nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.blocks(torch.relu(self.stem(x))))

    torch.manual_seed(0)
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    with ts.init(dir=dir, project="health", name="graphed") as run:
        run.log_graph(model, torch.randn(4, 8))
        run.watch(model, every=every, optimizer=opt)
        for i in range(steps):
            x = torch.randn(16, 8) * (1 + i / 4)  # growing inputs: the norms change from step to step
            loss = model(x).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return run.id


GRAPHED_LAYERS = ["blocks.0.act", "blocks.0.fc", "blocks.1.act", "blocks.1.fc", "blocks.2.act", "blocks.2.fc",
                  "head.0", "head.1", "head.2", "stem"]


@pytest.fixture(scope="module")
def graphed(watched: tuple[Path, dict[str, Any]]) -> str:
    return train_with_graph(watched[0])


def test_graph_map_maps_nodes_to_layers(hc, watched, graphed):
    body = hc.get("/api/health/graph_map", params={"run": graphed}).json()
    g = ts.open(watched[0]).latest(graphed, "model.graph")
    assert body["graph"]["key"] == "model/graph" and body["graph"]["model"] == "Net"
    assert body["graph"]["nodes"] == len(g.nodes) and body["aggregate"] == "max"
    assert body["layers"] == GRAPHED_LAYERS and body["unmatched"] == []
    covers = {i: [body["layers"][j] for j in c] for i, c in zip(body["ids"], body["covers"])}
    node = {n["name"]: n for n in g.nodes if n["kind"] in ("module", "repeat")}
    assert covers[node[""]["id"]] == GRAPHED_LAYERS  # the root covers every layer
    assert covers[node["stem"]["id"]] == ["stem"]
    assert covers[node["head"]["id"]] == ["head.0", "head.1", "head.2"]
    folded = node["blocks.0-2"]  # the folded Block ×3 covers its members' layers
    assert folded["kind"] == "repeat" and covers[folded["id"]] == GRAPHED_LAYERS[:6]
    assert covers[node["blocks.1"]["id"]] == ["blocks.1.act", "blocks.1.fc"]
    ops = {n["id"]: n for n in g.nodes if n["kind"] == "op"}
    inside = next(i for i, n in ops.items() if n["parent"] == node["stem"]["id"])
    assert covers[inside] == ["stem"]  # an op run by a layer stands for that layer
    outside = next(i for i, n in ops.items() if n["parent"] == node[""]["id"])  # torch.relu in Net.forward
    assert outside not in covers
    assert all(n["id"] not in covers for n in g.nodes if n["kind"] in ("input", "output"))
    by_layer = dict(zip(body["layers"], body["layer_nodes"]))
    assert by_layer["stem"] == [node["stem"]["id"]] and by_layer["blocks.2.fc"] == [node["blocks.2.fc"]["id"]]


def test_graph_map_says_when_no_graph_was_logged(hc, watched):
    info = watched[1]
    body = hc.get("/api/health/graph_map", params={"run": info["id"]}).json()
    assert body["graph"] is None and body["ids"] == [] and body["layers"] == info["layers"]
    assert hc.get("/api/health/graph_map", params={"run": "nope"}).status_code == 404
    assert hc.get("/api/health/graph_map", params={"run": info["id"], "key": "model/other"}).json()["graph"] is None


def test_layer_cover_edge_cases():
    import torch
    from torch import nn

    from torchscope.server.panels.health.graphmap import graph_map, layer_cover

    single = ts.graph(nn.Linear(3, 2), torch.randn(1, 3))  # watch names a lone layer by its class
    assert layer_cover(single.nodes, ["Linear"])[0] == ["Linear"]

    class Twice(nn.Module):  # one module called twice: both calls are that layer
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(self.fc(x))

    g = ts.graph(Twice(), torch.randn(1, 4))
    calls = [n["id"] for n in g.nodes if n["name"] == "fc" and n["kind"] == "module"]
    assert len(calls) == 2
    body = graph_map(g, "model/graph", 0, ["fc", "gone"])
    assert body["layer_nodes"] == [calls, []] and body["unmatched"] == ["gone"]
    cover = layer_cover(g.nodes, ["fc"])
    assert all(cover[i] == ["fc"] for i in calls)
