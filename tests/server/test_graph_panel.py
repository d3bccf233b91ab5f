"""The Graph panel's routes over a real store filled by real ``run.log_graph(model, x)`` calls.

Two runs: a small CNN trained for a few steps under ``run.watch`` (so ``watch/<layer>/<param>``
histograms exist), and an encoder of twelve identical chained blocks (folded as ``Block ×12``).
Every answer is compared with what the record computes in Python.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import torch
from torch import nn

import torchscope as ts
from torchscope.server import create_app

from .util import ServerThread


class CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 7 * 7, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class Block(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.norm, self.fc1, self.fc2 = nn.LayerNorm(d), nn.Linear(d, 2 * d), nn.Linear(2 * d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.norm(x))))


class Encoder(nn.Module):
    def __init__(self, d: int = 16, n: int = 12) -> None:
        super().__init__()
        self.embed = nn.Linear(4, d)
        self.blocks = nn.ModuleList(Block(d) for _ in range(n))
        self.head = nn.Linear(d, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x)
        for b in self.blocks:
            x = b(x)
        return self.head(x)


def fill_graphs(dir: Path) -> dict[str, str]:
    """A CNN run (graph, summary, watch histograms) and an Encoder run (12 folded blocks); returns ids."""
    torch.manual_seed(0)
    cnn = CNN()
    run = ts.init(project="graphs", name="cnn", dir=dir)
    run.log_graph(cnn, torch.randn(2, 1, 28, 28))
    run.watch(cnn, every=1, log="parameters")
    opt = torch.optim.SGD(cnn.parameters(), lr=0.1)
    for step in range(3):
        loss = nn.functional.cross_entropy(cnn(torch.randn(4, 1, 28, 28)), torch.tensor([0, 1, 2, 3]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        run.log({"loss": loss.item()}, step=step)
    run.finish()
    enc = ts.init(project="graphs", name="encoder", dir=dir)
    enc.log_graph(Encoder(), torch.randn(2, 5, 4))
    enc.finish()
    return {"cnn": run.id, "encoder": enc.id}


@pytest.fixture(scope="module")
def graphs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, dict[str, str], Any]]:
    dir = tmp_path_factory.mktemp("graph") / "tsruns"
    ids = fill_graphs(dir)
    store = ts.open(dir)
    with ServerThread(create_app(dir, poll_interval=0.2)) as url, httpx.Client(base_url=url, timeout=20) as c:
        yield c, ids, store


def test_index_lists_graph_and_summary(graphs: Any) -> None:
    c, ids, store = graphs
    r = c.get("/api/graph/index", params={"run": [ids["cnn"], ids["encoder"]]}).json()
    g = store.latest(ids["cnn"], "model.graph")
    cnn = r["runs"][ids["cnn"]]
    assert cnn["graphs"][0]["key"] == "model/graph" and cnn["summaries"][0]["key"] == "model/summary"
    assert cnn["graphs"][0]["nodes"] == len(g.nodes)
    assert cnn["graphs"][0]["total_params"] == sum(p.numel() for p in CNN().parameters())
    assert r["runs"][ids["encoder"]]["graphs"][0]["model"] == "Encoder"


def test_record_and_default_layout_match_python(graphs: Any) -> None:
    c, ids, store = graphs
    g = store.latest(ids["cnn"], "model.graph")
    rec = c.get("/api/graph/record", params={"run": ids["cnn"]}).json()
    assert [n["id"] for n in rec["nodes"]] == list(range(len(g.nodes)))
    assert rec["edges"] == g.edges
    lay = c.get("/api/graph/layout", params={"run": ids["cnn"]}).json()
    ref = g.layout()
    assert [(n["id"], n["x"], n["y"]) for n in lay["nodes"]] == [(n["id"], n["x"], n["y"]) for n in ref["nodes"]]
    assert [e["label"] for e in lay["edges"]] == [e["label"] for e in ref["edges"]]
    assert any("×" in e["label"] for e in lay["edges"])  # tensor shapes on the edges
    assert set(lay["palette"]) >= {n["cat"] for n in lay["nodes"]}
    assert lay["expanded"] == sorted(g.expanded_ids())


def test_expand_folded_block_shows_its_members(graphs: Any) -> None:
    c, ids, store = graphs
    g = store.latest(ids["encoder"], "model.graph")
    rep = next(n for n in g.nodes if n["kind"] == "repeat")
    assert rep["repeat"] == 12 and rep["type"] == "Block"
    lay = c.get("/api/graph/layout", params={"run": ids["encoder"]}).json()
    shown = {n["id"]: n for n in lay["nodes"]}
    assert shown[rep["id"]]["repeat"] == 12 and shown[rep["id"]]["expandable"]
    members = [n["id"] for n in g.nodes if n["parent"] == rep["id"]]
    assert len(members) == 12 and not set(members) & set(shown)
    opened = c.get("/api/graph/layout", params={"run": ids["encoder"], "expand": str(rep["id"])}).json()
    ids_open = {n["id"] for n in opened["nodes"]}
    boxes = {cl["id"] for cl in opened["clusters"]}
    assert set(members) <= ids_open | boxes and rep["id"] not in ids_open and rep["id"] in boxes
    ref = g.expand(rep["id"]).layout()
    assert sorted(ids_open) == sorted(n["id"] for n in ref["nodes"])
    closed = c.get("/api/graph/layout", params={"run": ids["encoder"], "base": "all",
                                                "collapse": str(rep["id"])}).json()
    assert rep["id"] in {n["id"] for n in closed["nodes"]}


def test_all_and_none_views(graphs: Any) -> None:
    c, ids, store = graphs
    g = store.latest(ids["cnn"], "model.graph")
    every = c.get("/api/graph/layout", params={"run": ids["cnn"], "base": "all"}).json()
    assert {n["id"] for n in every["nodes"]} == {n["id"] for n in g.nodes if not n["has_children"]}
    none = c.get("/api/graph/layout", params={"run": ids["cnn"], "base": "none"}).json()
    ref = dataclasses.replace(g, expanded=[]).layout()  # the root itself always shows its children
    assert [n["id"] for n in none["nodes"]] == [n["id"] for n in ref["nodes"]]
    assert len(none["nodes"]) < len(every["nodes"])


def test_summary_route(graphs: Any) -> None:
    c, ids, store = graphs
    s = c.get("/api/graph/summary", params={"run": ids["cnn"]}).json()
    ref = store.latest(ids["cnn"], "model.summary")
    assert s["total_params"] == ref.total_params == sum(p.numel() for p in CNN().parameters())
    assert [r["name"] for r in s["rows"]] == [r["name"] for r in ref.rows]


def test_weight_histograms_from_watch(graphs: Any) -> None:
    c, ids, store = graphs
    w = c.get("/api/graph/weights", params={"run": ids["cnn"], "names": "features.0.weight,classifier.3.bias,nope.x"})
    got = w.json()["weights"]
    assert set(got) == {"features.0.weight", "classifier.3.bias"}
    ref = store.histograms(ids["cnn"], "watch/features.0/weight")[-1]
    assert got["features.0.weight"]["key"] == "watch/features.0/weight"
    assert got["features.0.weight"]["step"] == ref.step and got["features.0.weight"]["counts"] == list(ref.counts)
    none = c.get("/api/graph/weights", params={"run": ids["encoder"], "names": "embed.weight"}).json()
    assert none["weights"] == {}


def test_errors(graphs: Any) -> None:
    c, ids, _ = graphs
    assert c.get("/api/graph/layout", params={"run": ids["cnn"], "base": "bogus"}).status_code == 400
    assert c.get("/api/graph/layout", params={"run": ids["cnn"], "expand": "x"}).status_code == 400
    assert c.get("/api/graph/record", params={"run": ids["cnn"], "key": "nope"}).status_code == 404
    assert c.get("/api/graph/record", params={"run": "no-such-run"}).status_code in (404, 400)
    assert c.get("/api/graph/layout").status_code == 400
