"""The Overview panel's routes over stores that hold little or nothing: every card is there, with what to
log when its stage is empty; thumbnails from what is there (the tour's store, where every card is
filled, is in tests/test_tour.py)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from starlette.testclient import TestClient

import torchscope as ts
from torchscope.server.app import create_app
from torchscope.server.panels.overview.stages import STAGES

from .util import XSS


def _client(dir: Path) -> TestClient:
    return TestClient(create_app(dir, warm=False), base_url="http://127.0.0.1")


def _stages(client: TestClient, ids: list[str]) -> dict[str, dict[str, Any]]:
    got = client.get("/api/overview/stages", params={"run": ids})
    assert got.status_code == 200, got.text
    return {c["id"]: c for c in got.json()["stages"]}


def test_an_empty_store_gets_every_card_saying_what_to_log(tmp_path: Path) -> None:
    (tmp_path / "tsruns").mkdir()
    with ts.init(project="p", name="nothing", dir=tmp_path / "tsruns") as run:
        pass
    with _client(tmp_path / "tsruns") as client:
        for ids in ([], [run.id], ["no-such-run"]):
            cards = _stages(client, ids)
            assert list(cards) == [s.id for s in STAGES]
            assert list(cards) == ["data", "projector", "model", "training", "health", "evaluation", "explain",
                                   "attention", "volumes", "gan", "ganlab"]
            for c in cards.values():
                assert c["runs"] == [] and c["thumb"] is None and c["facts"] == [] and c["run"] is None
                assert c["says"].endswith(".") and ("run." in c["empty"] or "ts." in c["empty"]), c
        assert {c["panel"] for c in cards.values()} == {"data", "projector", "graph", "scalars", "health", "evaluation",
                                                        "explain", "attention", "volumes", "gan",
                                                        "ganlab"}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two runs of scalars (one with a loss that explodes, one watched), a data-samples record, an explanation
    and a GAN sample grid; a third run named like an XSS probe with only a metric."""
    import torch

    dir = tmp_path_factory.mktemp("overview") / "tsruns"
    digits = ts.data.load("digits")
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(256, 10))
    with ts.init(project="p", name="a", dir=dir) as a:
        for s in range(300):
            a.log({"train/loss": 2.0 / (1 + s), "val/acc": s / 300}, step=s)
        a.log_record(ts.data.samples(digits, per_class=3), key="data/samples")
        x = torch.stack([digits[i][0] for i in range(4)])
        a.log_record(ts.explain(model, x, method="saliency"), key="explain/saliency")
        grid = (np.random.default_rng(0).random((40, 40, 3)) * 255).astype(np.uint8)
        a.log_image("gan/samples", grid, step=0)
        a.log_image("gan/samples", 255 - grid, step=10)
    with ts.init(project="p", name="b", dir=dir) as b:
        b.watch(model, every=1)
        for s in range(5):
            loss = model(x).logsumexp(1).mean()
            loss.backward()
            b.log({"train/loss": [1.0, 1e6, 1e12, 3.0, 2.0][s]}, step=s)
        b.unwatch(model)
    with ts.init(project="p", name=XSS, dir=dir) as c:
        c.log({"metric": 1.0}, step=0)
    return {"dir": dir, "a": a.id, "b": b.id, "c": c.id}


def test_cards_from_what_is_there(small: dict[str, Any]) -> None:
    with _client(small["dir"]) as client:
        cards = _stages(client, [small["b"], small["a"], small["c"]])
    filled = {k for k, c in cards.items() if c["runs"]}
    assert filled == {"data", "training", "health", "explain", "gan"}
    train = cards["training"]
    assert train["runs"] == [small["b"], small["a"], small["c"]] and train["run"] == small["b"]
    thumb = train["thumb"]
    assert thumb["type"] == "lines" and thumb["key"] == "train/loss"  # the loss, not the first key in the alphabet
    assert [ln["run"] for ln in thumb["lines"]] == train["drawn"] == [small["b"], small["a"]]
    assert len(thumb["lines"][1]["x"]) <= 64 and max(thumb["lines"][0]["y"]) == 1e12  # downsampled, spikes kept
    assert train["facts"] == ["3 keys", "3 runs"]
    assert cards["health"]["runs"] == [small["b"]] and cards["health"]["facts"][1] == "1 run watched"
    assert cards["data"]["thumb"]["type"] == "image" and cards["data"]["thumb"]["params"]["run"] == small["a"]
    assert cards["explain"]["facts"] == ["saliency"] and cards["gan"]["facts"][0] == "2 sample grids"


def _png(client: TestClient, params: dict[str, Any]) -> Image.Image:
    got = client.get("/api/overview/thumb", params=params)
    assert got.status_code == 200 and got.headers["content-type"] == "image/png", got.text
    return Image.open(io.BytesIO(got.content))


def test_picture_thumbnails(small: dict[str, Any]) -> None:
    with _client(small["dir"]) as client:
        cards = _stages(client, [small["a"]])
        data = _png(client, cards["data"]["thumb"]["params"])
        assert data.size == (10 * 8 + 9 * 2, 2 * 8 + 2)  # two samples of each of ten classes, 2 px apart
        explain = _png(client, cards["explain"]["thumb"]["params"])
        assert explain.size == (4 * 8 + 3 * 2, 2 * 8 + 2)  # four inputs above their maps
        gan = client.get("/api/overview/thumb", params=cards["gan"]["thumb"]["params"])
        assert gan.content == ts.open(small["dir"]).images(small["a"], "gan/samples")[-1].data  # the latest grid
        assert cards["gan"]["thumb"]["params"]["v"] == 2  # changes when a grid is added: a new URL
        assert client.get("/api/overview/thumb", params={"run": small["a"], "stage": "model"}).status_code == 400
        assert client.get("/api/overview/thumb", params={"run": small["b"], "stage": "explain"}).status_code == 404
        assert client.get("/api/overview/thumb", params={"run": "nope", "stage": "data"}).status_code == 404
        assert client.get("/api/overview/thumb", params={"stage": "data"}).status_code == 400
