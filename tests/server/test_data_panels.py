"""The Data and Projector panels' routes on a real store, filled by ``run.log_record`` of real records.

Digits and iris profiles (train vs test), a 3-D PCA of digits with predictions, a record kind
without a browser renderer, and a live run that logs a second record while the server is up.
Every answer is compared with the records Python computed.
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

import torchscope as ts
from torchscope.server import create_app

from .util import ServerThread


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, dict[str, Any]]]:
    dir: Path = tmp_path_factory.mktemp("datapanels") / "tsruns"
    digits = ts.data.load("digits")
    train, test = digits.split(0.8, seed=0, stratify=True)
    iris = ts.data.load("iris")
    itrain, itest = iris.split(0.8, seed=0, stratify=True)
    ctx: dict[str, Any] = {"dprof": ts.data.profile(train, test, progress=False),
                           "iprof": ts.data.profile(itrain, itest, progress=False)}
    rng = np.random.default_rng(0)
    pred = np.where(rng.random(len(test)) < 0.1, rng.integers(0, 10, len(test)), test.targets)
    ctx["proj3"] = ts.data.project(test, method="pca", dims=3, predictions=pred, progress=False)
    run = ts.init(project="data", name="digits", dir=dir)
    run.log_record(ctx["dprof"])
    run.log_record(ctx["proj3"], key="digits/pca3")
    run.log_record({"note": "no renderer"}, kind="data.custom")
    run.finish()
    ctx["digits"] = run.id
    run = ts.init(project="data", name="iris", dir=dir)
    run.log_record(ctx["iprof"])
    run.finish()
    ctx["iris"] = run.id
    run = ts.init(project="data", name="empty", dir=dir)
    run.log({"loss": 1.0}, step=0)
    run.finish()
    ctx["empty"] = run.id
    live = ts.init(project="data", name="live", dir=dir)
    live.log_record(ts.data.class_balance(train, test), key="balance")
    live.flush()
    ctx["live"], ctx["live_run"], ctx["train"] = live.id, live, train
    app = create_app(dir, poll_interval=0.2, warm=False)
    with ServerThread(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c, ctx
    live.finish()


def overview(c: httpx.Client, run: str) -> list[dict[str, Any]]:
    r = c.get("/api/data/overview", params={"run": run})
    assert r.status_code == 200, r.text
    return r.json()["runs"][run]


def view(groups: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(v for g in groups for v in g["views"] if v["kind"] == kind)


def address(v: dict[str, Any]) -> dict[str, Any]:
    return {"run": v.get("run"), "key": v["key"], "id": v["id"], "part": v["part"]}


def png(data: bytes) -> np.ndarray:
    arr = np.asarray(Image.open(io.BytesIO(data)))
    return arr[:, :, None] if arr.ndim == 2 else arr


def test_overview_of_an_image_profile(site):
    c, ctx = site
    groups = overview(c, ctx["digits"])
    assert [g["kind"] for g in groups] == ["data.profile", "data.custom", "data.projection"]
    prof = groups[0]
    assert prof["summary"] == ctx["dprof"].summary and prof["warnings"] == []
    assert [v["kind"] for v in prof["views"]] == [r.kind for r in ctx["dprof"].records]
    cb = view(groups, "data.class_balance")["data"]
    rec = ctx["dprof"]["data.class_balance"]
    assert cb["counts"] == rec.counts and cb["splits"] == ["train", "test"] and cb["class_names"] == rec.class_names
    assert sum(cb["counts"][0]) == 1438 and sum(cb["counts"][1]) == 359
    px = view(groups, "data.pixel_stats")["data"]
    assert px["mean"] == pytest.approx(ctx["dprof"]["data.pixel_stats"].mean)
    assert np.array_equal(px["hist"], ctx["dprof"]["data.pixel_stats"].hist)
    sm = view(groups, "data.samples")["data"]
    assert (sm["rows"], sm["cols"], sm["height"], sm["width"], sm["channels"]) == (10, 8, 8, 8, 1)
    pj = view(groups, "data.projection")["data"]
    assert pj["n"] == 1438 and pj["dims"] == 2
    assert view(groups, "data.custom")["data"] == {"fallback": True}


def test_overview_of_a_table_profile(site):
    c, ctx = site
    groups = overview(c, ctx["iris"])
    prof = ctx["iprof"]
    assert any("leakage" in w for w in groups[0]["warnings"])
    fd = view(groups, "data.feature_dists")["data"]
    assert fd["feature_names"] == prof["data.feature_dists"].feature_names
    assert np.array_equal(fd["counts"], prof["data.feature_dists"].counts)
    assert fd["separation"] == pytest.approx(prof["data.feature_dists"].separation)
    corr = view(groups, "data.correlation")["data"]
    assert np.allclose(corr["matrix"], prof["data.correlation"].matrix)
    assert corr["strongest"][0][:2] == list(prof["data.correlation"].strongest(1)[0][:2])
    pp = view(groups, "data.pairplot")["data"]
    assert np.allclose(np.array(pp["values"]).T, prof["data.pairplot"].values)  # columnar: one list per feature
    assert pp["labels"] == prof["data.pairplot"].labels.tolist()


def test_pixel_sheets_are_the_records_pixels(site):
    c, ctx = site
    groups = overview(c, ctx["digits"])
    sm = view(groups, "data.samples")
    r = c.get("/api/data/pixels", params={**address(sm), "run": ctx["digits"], "field": "images"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    images = ctx["dprof"]["data.samples"].images  # K x J x H x W x C
    k, j, hh, w, ch = images.shape
    assert np.array_equal(png(r.content), images.transpose(0, 2, 1, 3, 4).reshape(k * hh, j * w, ch))
    mi = view(groups, "data.mean_images")
    mean = ctx["dprof"]["data.mean_images"].mean  # K x H x W x C in [0, 1]
    r = c.get("/api/data/pixels", params={**address(mi), "run": ctx["digits"], "field": "mean"})
    want = (np.clip(mean, 0, 1) * 255).round().astype(np.uint8).transpose(1, 0, 2, 3).reshape(hh, -1, 1)
    assert np.array_equal(png(r.content), want)
    r = c.get("/api/data/pixels", params={**address(mi), "run": ctx["digits"], "field": "std"})
    assert png(r.content).max() == 255  # normalized by the largest std
    r = c.get("/api/data/pixels", params={**address(mi), "run": ctx["digits"], "field": "nope"})
    assert r.status_code == 400


def test_figure_fallback_for_kinds_without_a_renderer(site):
    c, ctx = site
    v = view(overview(c, ctx["digits"]), "data.custom")
    r = c.get("/api/data/figure", params={**address(v), "run": ctx["digits"]})
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")


def test_runs_without_data_records_and_bad_addresses(site):
    c, ctx = site
    assert overview(c, ctx["empty"]) == []
    assert c.get("/api/data/overview", params={"run": "nosuchrun"}).json()["runs"]["nosuchrun"] == []
    assert c.get("/api/data/overview").status_code == 400
    v = view(overview(c, ctx["digits"]), "data.samples")
    bad = {**address(v), "run": ctx["digits"], "field": "images"}
    assert c.get("/api/data/pixels", params={**bad, "id": 999999}).status_code == 404
    assert c.get("/api/data/pixels", params={**bad, "part": 99}).status_code == 404
    assert c.get("/api/data/pixels", params={**bad, "part": "x"}).status_code == 400


def decode_frame(data: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    (n,) = struct.unpack("<I", data[:4])
    header = json.loads(data[4:4 + n])
    cols = {}
    for col in header["columns"]:
        assert col["offset"] % 8 == 0
        dtype = {"float32": "<f4", "int32": "<i4", "uint16": "<u2", "uint8": "u1"}[col["dtype"]]
        cols[col["name"]] = np.frombuffer(data, dtype, col["length"], col["offset"])
    return header, cols


def test_projector_sources_points_and_thumbnails(site):
    c, ctx = site
    sources = c.get("/api/projector/sources", params={"run": [ctx["digits"], ctx["iris"]]}).json()["sources"]
    got = {(s["run"], s["key"], s["part"]): s for s in sources}
    assert set(got) == {(ctx["digits"], "data.profile", 4), (ctx["digits"], "digits/pca3", -1),
                        (ctx["iris"], "data.profile", 4)}
    s3 = got[(ctx["digits"], "digits/pca3", -1)]
    assert (s3["n"], s3["dims"], s3["has_predictions"]) == (359, 3, True)
    assert s3["thumbs"] == {"width": 8, "height": 8, "channels": 1, "page": 1024, "page_columns": 32, "pages": 1}
    r = c.get("/api/projector/points", params=address(s3))
    assert r.headers["content-type"] == "application/octet-stream"
    header, cols = decode_frame(r.content)
    rec = ctx["proj3"]
    assert header["n"] == 359 and header["class_names"] == rec.class_names
    assert np.array_equal(cols["coords"].reshape(-1, 3), rec.coords)  # float32, bit for bit
    assert np.array_equal(cols["labels"], rec.labels) and np.array_equal(cols["predictions"], rec.predictions)
    assert "indices" not in cols and np.array_equal(rec.indices, np.arange(359))  # 0..N-1: left out
    assert cols["labels"].dtype == np.uint8  # ten classes: one byte each
    sheet = png(c.get("/api/projector/thumbs", params={**address(s3), "page": 0}).content)
    assert sheet.shape == (-(-359 // 32) * 8, 32 * 8, 1)
    for i in (0, 31, 32, 358):  # point i sits at row i // 32, column i % 32
        tile = sheet[(i // 32) * 8:(i // 32 + 1) * 8, (i % 32) * 8:(i % 32 + 1) * 8]
        assert np.array_equal(tile, rec.thumbnails[i])
    assert c.get("/api/projector/thumbs", params={**address(s3), "page": 1}).status_code == 400
    si = got[(ctx["iris"], "data.profile", 4)]
    header, cols = decode_frame(c.get("/api/projector/points", params=address(si)).content)
    assert header["thumbs"] is None and "predictions" not in cols
    assert np.array_equal(cols["coords"].reshape(-1, 2), ctx["iprof"]["data.projection"].coords)
    assert c.get("/api/projector/thumbs", params={**address(si), "page": 0}).status_code == 404
    not_projection = {**address(si), "part": 0}  # the class balance
    assert c.get("/api/projector/points", params=not_projection).status_code == 404


def test_a_record_logged_while_serving_shows_up(site):
    c, ctx = site
    first = overview(c, ctx["live"])
    assert len(first) == 1 and first[0]["count"] == 1
    rec = ts.data.class_balance(ctx["train"])  # the training split alone this time
    ctx["live_run"].log_record(rec, key="balance")
    ctx["live_run"].flush()
    again = overview(c, ctx["live"])
    assert again[0]["count"] == 2 and again[0]["id"] != first[0]["id"]
    assert again[0]["views"][0]["data"]["splits"] == ["train"]
