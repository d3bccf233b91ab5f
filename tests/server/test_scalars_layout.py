"""``/api/scalars/keys`` answers the runs' ``add_custom_scalars`` layouts (``scalars.layout`` records):
each run's last one, merged over the runs asked for, malformed parts left out, hostile strings kept as
data; on real runs written through ``torchscope.SummaryWriter`` and ``run.log_record``, served by a real
server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import torchscope as ts
from torchscope import SummaryWriter
from torchscope.server import create_app

from .util import XSS, ServerThread

MARGIN = ["acc/mean", "acc/lo", "acc/hi"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("layout") / "runs"
    for name, layout in [
        ("a", {"Losses": {"every loss": ["Multiline", [r"loss/.*"]]}, "Acc": {"band": ["Margin", MARGIN]}}),
        ("b", {"Losses": {"every loss": ["Multiline", [r"loss/.*"]], "val": ["Multiline", ["loss/val"]]},
               XSS: {XSS: ["Multiline", [XSS, "([bad"]]}}),
        ("plain", None),
    ]:
        w = SummaryWriter(str(root / name))
        for s in range(5):
            w.add_scalar("loss/train", 1.0 / (s + 1), s)
            w.add_scalar("acc/mean", s / 5, s)
        if layout:
            w.add_custom_scalars({"old": {"gone": ["Multiline", ["x"]]}})  # replaced by the next call
            w.add_custom_scalars(layout)
        w.close()
    # a layout record written by hand, with broken parts among good ones
    with ts.init(project="layout", name="hand", dir=root / "hand") as run:
        run.log({"loss/train": 1.0}, step=0)
        run.log_record({"categories": [
            "not a category", {"title": 5, "charts": [{"title": "ok", "type": "multiline", "tags": ["loss/.*", 7]}]},
            {"title": "broken", "charts": [{"title": "m", "type": "margin", "tags": ["a", "b"]},  # 2 tags: no
                                          {"title": "p", "type": "pie", "tags": ["a"]}, None]},
        ]}, kind="scalars.layout", step=0, key="custom_scalars")
    ids = {r.name: r.id for r in ts.open(root).runs()}
    return root, ids


@pytest.fixture(scope="module")
def client(runs: tuple[Path, dict[str, str]]) -> Iterator[httpx.Client]:
    with ServerThread(create_app(runs[0], poll_interval=0.2)) as url, httpx.Client(base_url=url, timeout=10) as c:
        yield c


def _keys(client: httpx.Client, *ids: str) -> httpx.Response:
    return client.get("/api/scalars/keys", params={"run": list(ids)})


def test_the_route_gives_a_runs_last_layout(client, runs):
    ids = runs[1]
    body = _keys(client, ids["a"]).json()
    assert [k["key"] for k in body["keys"]] == ["acc/mean", "loss/train"]  # the keys as before
    assert body["layout"] == {"runs": [ids["a"]], "categories": [
        {"title": "Losses", "charts": [{"title": "every loss", "type": "multiline", "tags": ["loss/.*"]}]},
        {"title": "Acc", "charts": [{"title": "band", "type": "margin", "tags": MARGIN}]}]}


def test_layouts_of_several_runs_are_merged(client, runs):
    ids = runs[1]
    body = _keys(client, ids["a"], ids["plain"], ids["b"]).json()
    lay = body["layout"]
    assert lay["runs"] == [ids["a"], ids["b"]]  # the plain run has none
    assert [c["title"] for c in lay["categories"]] == ["Losses", "Acc", XSS]
    assert [c["title"] for c in lay["categories"][0]["charts"]] == ["every loss", "val"]  # the same chart once


def test_no_layout_no_field(client, runs):
    ids = runs[1]
    assert "layout" not in _keys(client, ids["plain"]).json()
    assert _keys(client, "nope").json() == {"keys": [], "ranks": [], "run_ranks": {}}


def test_hostile_strings_are_data(client, runs):
    r = _keys(client, runs[1]["b"])
    assert r.headers["content-type"].startswith("application/json")
    cat = r.json()["layout"]["categories"][1]
    assert cat == {"title": XSS, "charts": [{"title": XSS, "type": "multiline", "tags": [XSS, "([bad"]}]}


def test_malformed_parts_are_left_out(client, runs):
    lay = _keys(client, runs[1]["hand"]).json()["layout"]
    assert lay["categories"] == [{"title": "", "charts": [{"title": "ok", "type": "multiline", "tags": ["loss/.*"]}]}]
