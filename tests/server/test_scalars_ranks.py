"""The Scalars panel's ranks: ``/api/scalars/keys`` lists every rank's keys and each run's ranks, and
``rank=`` (a number or ``all``) picks what ``/api/scalars/series`` and ``/api/scalars/csv`` read, on a
real store written by two ranks of one run through the tracker, served by a real server."""

from __future__ import annotations

import csv
import io
import json
import struct
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

import torchscope as ts
from torchscope.server import create_app

from .ranks import STEPS, fill_ranks, loss, solo_loss
from .util import ServerThread


@pytest.fixture(scope="module")
def ranked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    dir = tmp_path_factory.mktemp("ranks") / "tsruns"
    return dir, fill_ranks(dir)


@pytest.fixture(scope="module")
def rclient(ranked: tuple[Path, dict[str, str]]) -> Iterator[httpx.Client]:
    with ServerThread(create_app(ranked[0], poll_interval=0.2)) as url, httpx.Client(base_url=url, timeout=10) as c:
        yield c


def test_the_store_holds_two_ranks(ranked):
    dir, ids = ranked
    store = ts.open(dir)
    assert sorted((k.key, k.rank) for k in store.keys(ids["ddp"])) == [
        ("grad/local", 1), ("train/loss", 0), ("train/loss", 1)]
    assert {r.id: r.status for r in store.runs()} == {ids["ddp"]: "finished", ids["solo"]: "finished"}


def test_keys_list_every_rank(rclient, ranked):
    ids = ranked[1]
    body = rclient.get("/api/scalars/keys", params={"run": [ids["ddp"], ids["solo"]]}).json()
    assert body["ranks"] == [0, 1]
    assert body["run_ranks"] == {ids["ddp"]: [0, 1], ids["solo"]: [0]}
    by = {k["key"]: k for k in body["keys"]}
    assert [k["key"] for k in body["keys"]] == ["grad/local", "train/loss"]
    assert by["train/loss"]["ranks"] == [0, 1] and by["train/loss"]["runs"] == [ids["ddp"], ids["solo"]]
    assert by["train/loss"]["counts"] == {"0": 2 * STEPS, "1": STEPS} and by["train/loss"]["count"] == 3 * STEPS
    assert by["grad/local"] == {"key": "grad/local", "runs": [ids["ddp"]], "ranks": [1], "count": STEPS,
                                "counts": {"1": STEPS}}
    # the core key list (rank 0) does not know rank 1's key: the panel's own list does
    core = rclient.get("/api/keys", params={"run": ids["ddp"], "kind": "scalar"}).json()["keys"]
    assert [k["key"] for k in core] == ["train/loss"]


def test_keys_of_a_one_process_run_have_rank_0_only(rclient, ranked):
    ids = ranked[1]
    body = rclient.get("/api/scalars/keys", params={"run": ids["solo"]}).json()
    assert body["ranks"] == [0] and body["run_ranks"] == {ids["solo"]: [0]}
    assert [(k["key"], k["ranks"]) for k in body["keys"]] == [("train/loss", [0])]
    unknown = rclient.get("/api/scalars/keys", params={"run": "nope"}).json()
    assert unknown == {"keys": [], "ranks": [], "run_ranks": {}}
    assert rclient.get("/api/scalars/keys").status_code == 400  # no run


def test_series_reads_the_rank_asked_for(rclient, ranked):
    ids = ranked[1]
    q = {"key": "train/loss", "run": [ids["ddp"], ids["solo"]], "buckets": 5000}
    default = rclient.get("/api/scalars/series", params=q).json()["runs"]
    assert [(r["run"], r["rank"]) for r in default] == [(ids["ddp"], 0), (ids["solo"], 0)]
    assert default[0]["value"] == [loss(0, s) for s in range(STEPS)]
    one = rclient.get("/api/scalars/series", params={**q, "rank": 1}).json()["runs"]
    assert [(r["run"], r["rank"]) for r in one] == [(ids["ddp"], 1)]  # the solo run has no rank 1
    assert one[0]["step"] == list(range(STEPS)) and one[0]["value"] == [loss(1, s) for s in range(STEPS)]
    every = rclient.get("/api/scalars/series", params={**q, "rank": "all"}).json()["runs"]
    assert [(r["run"], r["rank"]) for r in every] == [(ids["ddp"], 0), (ids["ddp"], 1), (ids["solo"], 0)]
    assert [e["value"][-1] for e in every] == [loss(0, STEPS - 1), loss(1, STEPS - 1), solo_loss(STEPS - 1)]
    # a key logged by rank 1 only: nothing at rank 0, its values at rank 1 and with rank=all
    g = {"key": "grad/local", "run": ids["ddp"]}
    assert rclient.get("/api/scalars/series", params=g).json()["runs"] == []
    (only,) = rclient.get("/api/scalars/series", params={**g, "rank": "all"}).json()["runs"]
    assert only["rank"] == 1 and only["value"][:3] == [7.0, 8.0, 9.0]


def test_series_downsampled_and_zoomed_per_rank(rclient, ranked):
    ids = ranked[1]
    q = {"key": "train/loss", "run": ids["ddp"], "rank": "all", "buckets": 10, "lo": 100, "hi": 199}
    runs = rclient.get("/api/scalars/series", params=q).json()["runs"]
    assert [r["rank"] for r in runs] == [0, 1]
    for r in runs:
        assert r["downsampled"] and len(r["step"]) == 10 and 100 <= r["step"][0] <= r["step"][-1] <= 199
        assert min(r["min"]) == loss(r["rank"], 100) and max(r["max"]) == loss(r["rank"], 199)


def test_binary_frame_says_each_entry_rank(rclient, ranked):
    ids = ranked[1]
    params = {"key": "train/loss", "run": [ids["ddp"], ids["solo"]], "rank": "all", "buckets": 64, "format": "bin"}
    buf = rclient.get("/api/scalars/series", params=params).content
    (hlen,) = struct.unpack("<I", buf[:4])
    header = json.loads(buf[4:4 + hlen])
    off, last = 4 + hlen, {}
    for meta in header["runs"]:
        cols = {}
        for c in header["cols"]:
            cols[c] = np.frombuffer(buf, "<f8", meta["n"], off)
            off += 8 * meta["n"]
        last[(meta["run"], meta["rank"])] = cols["value"][-1]
    assert last == {(ids["ddp"], 0): loss(0, STEPS - 1), (ids["ddp"], 1): loss(1, STEPS - 1),
                    (ids["solo"], 0): solo_loss(STEPS - 1)}


def test_csv_of_one_rank_and_of_every_rank(rclient, ranked):
    ids = ranked[1]
    q = {"key": "train/loss", "run": [ids["ddp"], ids["solo"]], "lo": 10, "hi": 19}
    one = list(csv.DictReader(io.StringIO(rclient.get("/api/scalars/csv", params={**q, "rank": 1}).text)))
    assert list(one[0]) == ["run", "name", "step", "wall_time", "value"]  # one rank: the columns as before
    assert [(r["run"], int(r["step"]), float(r["value"])) for r in one] == [
        (ids["ddp"], s, loss(1, s)) for s in range(10, 20)]
    every = list(csv.DictReader(io.StringIO(rclient.get("/api/scalars/csv", params={**q, "rank": "all"}).text)))
    assert list(every[0]) == ["run", "name", "rank", "step", "wall_time", "value"]
    got = [(r["run"], int(r["rank"]), int(r["step"]), float(r["value"])) for r in every]
    assert got == ([(ids["ddp"], 0, s, loss(0, s)) for s in range(10, 20)]
                   + [(ids["ddp"], 1, s, loss(1, s)) for s in range(10, 20)]
                   + [(ids["solo"], 0, s, solo_loss(s)) for s in range(10, 20)])


def test_bad_ranks_are_refused(rclient, ranked):
    ids = ranked[1]
    for bad in ("-1", "x", "1.5", "ALL", "100001"):
        for path in ("/api/scalars/series", "/api/scalars/csv"):
            r = rclient.get(path, params={"key": "train/loss", "run": ids["ddp"], "rank": bad})
            assert r.status_code == 400, (path, bad)


def test_openapi_documents_the_keys_route_and_rank(rclient):
    paths = rclient.get("/api/openapi.json").json()["paths"]
    assert "/api/scalars/keys" in paths
    text = json.dumps(paths["/api/scalars/keys"])
    assert "run_ranks" in text and "run" in text
    series = json.dumps(paths["/api/scalars/series"])
    assert "rank" in series and "all" in series
