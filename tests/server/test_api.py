"""The JSON API against a real store on disk, through a real server on loopback."""

from __future__ import annotations

import csv
import io
import json
import math
import struct

import numpy as np

from .util import SPIKE_STEP, XSS, expected_loss


def _ids(client):
    return {r["name"]: r["id"] for r in client.get("/api/runs").json()["runs"]}


def test_runs_projects_and_keys(client, filled):
    runs = client.get("/api/runs").json()["runs"]
    assert {r["name"] for r in runs} == {"alpha", "beta", XSS}
    assert all(r["status"] == "finished" for r in runs)
    assert client.get("/api/projects").json()["projects"] == ["other", "proj"]
    assert {r["name"] for r in client.get("/api/runs", params={"project": "proj"}).json()["runs"]} == {"alpha", "beta"}
    ids = _ids(client)
    keys = client.get("/api/keys", params={"run": list(ids.values())}).json()["keys"]
    by = {(k["kind"], k["key"]): k for k in keys}
    assert set(by) == {("scalar", "train/loss"), ("scalar", "train/acc"), ("scalar", "val/acc"),
                       ("image", "samples"), ("histogram", "weights"), ("text", "notes")}
    assert by[("scalar", "train/loss")]["count"] == 3 * 2000
    assert sorted(by[("scalar", "train/loss")]["runs"]) == sorted(ids.values())
    assert client.get("/api/keys", params={"run": ids["alpha"], "kind": "bogus"}).status_code == 400


def test_scalars_every_point_when_few(client):
    ids = _ids(client)
    body = client.get("/api/scalars/series", params={"key": "train/loss", "run": ids["beta"], "buckets": 5000}).json()
    (run,) = body["runs"]
    assert not run["downsampled"] and run["total"] == 2000
    assert run["step"] == list(range(2000))
    assert run["value"] == [expected_loss(0.01, s) for s in range(2000)]


def test_scalars_downsampled_keep_the_spike_and_nan(client):
    ids = _ids(client)
    body = client.get("/api/scalars/series", params={"key": "train/loss", "run": [ids["alpha"], ids["beta"]],
                                                     "buckets": 50}).json()
    alpha = next(r for r in body["runs"] if r["run"] == ids["alpha"])
    assert alpha["downsampled"] and len(alpha["step"]) == 50
    assert max(alpha["max"]) == 1000.0  # one point in 2000 and still there
    acc = client.get("/api/scalars/series", params={"key": "train/acc", "run": ids["beta"], "buckets": 5000}).json()
    assert acc["runs"][0]["value"][5] == "NaN"  # strict JSON: non-finite floats as strings
    raw = client.get("/api/scalars/series", params={"key": "train/acc", "run": ids["beta"]}).text
    assert "NaN," not in raw and json.loads(raw)


def test_scalars_zoom_requery(client):
    ids = _ids(client)
    body = client.get("/api/scalars/series", params={"key": "train/loss", "run": ids["alpha"], "buckets": 100,
                                                     "lo": 700, "hi": 800}).json()
    run = body["runs"][0]
    assert run["step"][0] >= 700 and run["step"][-1] <= 800
    assert 1000.0 in run["max"] or 1000.0 in run["value"]
    assert len(run["step"]) == 100  # 101 points in range, 100 buckets: pixel resolution


def test_scalars_binary_matches_json(client):
    ids = _ids(client)
    params = {"key": "train/loss", "run": [ids["alpha"], ids["beta"]], "buckets": 64}
    js = client.get("/api/scalars/series", params=params).json()
    buf = client.get("/api/scalars/series", params={**params, "format": "bin"}).content
    (hlen,) = struct.unpack("<I", buf[:4])
    header = json.loads(buf[4:4 + hlen])
    off = 4 + hlen
    assert off % 8 == 0
    for meta, ref in zip(header["runs"], js["runs"]):
        cols = {}
        for c in header["cols"]:
            cols[c] = np.frombuffer(buf, "<f8", meta["n"], off)
            off += 8 * meta["n"]
        assert meta["run"] == ref["run"]
        assert cols["value"].tolist() == ref["value"] and cols["max"].tolist() == ref["max"]
        assert cols["step"].tolist() == ref["step"]


def test_scalars_relative_and_wall_time(client):
    ids = _ids(client)
    run = next(r for r in client.get("/api/runs").json()["runs"] if r["id"] == ids["beta"])
    body = client.get("/api/scalars/series", params={"key": "train/loss", "run": ids["beta"], "x": "relative",
                                                     "lo": 0, "hi": 3600, "buckets": 5000}).json()
    walls = body["runs"][0]["wall_time"]
    assert len(walls) == 2000 and walls[0] >= run["created"]
    bad = client.get("/api/scalars/series", params={"key": "train/loss", "run": ids["beta"], "x": "bogus"})
    assert bad.status_code == 400


def test_csv_export_is_exact(client):
    ids = _ids(client)
    text = client.get("/api/scalars/csv", params={"key": "train/loss", "run": [ids["alpha"], ids["beta"]],
                                                  "lo": 100, "hi": 899}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2 * 800
    alpha = [r for r in rows if r["run"] == ids["alpha"]]
    assert [int(r["step"]) for r in alpha] == list(range(100, 900))
    for r in alpha:
        s = int(r["step"])
        assert float(r["value"]) == (1000.0 if s == SPIKE_STEP else expected_loss(0.1, s))  # bit-exact round trip


def test_config_table(client):
    ids = _ids(client)
    rows = client.get("/api/config/table", params={"run": list(ids.values())}).json()["rows"]
    alpha = next(r for r in rows if r["run"] == ids["alpha"])
    assert alpha["config"] == {"lr": 0.1, "opt.name": "sgd", "seed": 0}
    assert alpha["metrics"]["train/loss"]["max"] == 1000.0
    assert alpha["metrics"]["val/acc"]["last"] == 0.9
    xss = next(r for r in rows if r["run"] == ids[XSS])
    assert xss["summary"]["best"] == "Infinity"


def test_images_histograms_text(client):
    ids = _ids(client)
    idx = client.get("/api/images/index", params={"key": "samples", "run": ids["alpha"]}).json()
    assert [e["step"] for e in idx["runs"][ids["alpha"]]] == [0, 10, 20]
    img = client.get("/api/images/blob", params={"key": "samples", "run": ids["alpha"], "step": 10})
    assert img.headers["content-type"] == "image/png" and img.content[:4] == b"\x89PNG"
    assert img.headers["x-content-type-options"] == "nosniff"
    assert client.get("/api/images/blob", params={"key": "samples", "run": ids["alpha"], "step": 11}).status_code == 404
    hist = client.get("/api/histograms/series", params={"key": "weights", "run": ids["alpha"]}).json()
    entries = hist["runs"][ids["alpha"]]
    assert [e["step"] for e in entries] == [0, 10, 20] and sum(entries[0]["counts"]) == 200
    text = client.get("/api/text/entries", params={"key": "notes", "run": ids["beta"]}).json()
    assert text["runs"][ids["beta"]][0]["text"].startswith("**bold 1**")


def test_missing_runs_and_keys(client):
    ids = _ids(client)
    assert client.get("/api/scalars/series", params={"key": "nope", "run": ids["alpha"]}).json()["runs"] == []
    assert client.get("/api/scalars/series", params={"key": "train/loss"}).status_code == 400
    assert client.get("/api/scalars/series", params={"key": "train/loss", "run": ids["alpha"],
                                                     "buckets": "x"}).status_code == 400
    assert client.patch("/api/runs/nope", json={"name": "x"}).status_code == 404
    assert client.get("/api/nothing").status_code == 404


def test_openapi_lists_every_route(client):
    schema = client.get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/runs", "/api/keys", "/api/events", "/api/scalars/series", "/api/scalars/csv",
                 "/api/images/index", "/api/images/blob", "/api/histograms/series", "/api/text/entries",
                 "/api/config/table"):
        assert path in schema["paths"], path
    assert "NaN" in schema["info"]["description"]


def test_health_and_panels(client):
    assert client.get("/api/health").json()["ok"] is True
    panels = client.get("/api/panels").json()["panels"]
    names = [p["name"] for p in panels]  # other panels (added by other features) may sit between ours
    core = ["scalars", "images", "histograms", "text", "config", "health"]
    assert [n for n in names if n in core] == core
    assert all(p["error"] is None for p in panels if p["name"] in core)
    page = client.get("/")
    assert page.status_code == 200 and "static/app.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_nonfinite_encoding():
    from torchscope.server.encode import jsonable

    assert jsonable({"a": [math.nan, math.inf, -math.inf, 1.5], "b": np.array([np.nan, 2.0])}) == {
        "a": ["NaN", "Infinity", "-Infinity", 1.5], "b": ["NaN", 2.0]}


def test_only_typed_errors_choose_the_status_a_bug_is_a_500(store_dir, monkeypatch):
    """A UnicodeEncodeError is a ValueError and a KeyError in our code is no missing run: both used to be
    answered as a fake 400/404. Now only torchscope.errors choose the status; anything else is a 500."""
    import pytest
    from starlette.testclient import TestClient

    import torchscope as ts
    from torchscope.errors import InvalidArgument, NotFound
    from torchscope.server import create_app
    from torchscope.server.context import app_context

    with ts.init(dir=store_dir) as run:
        run.log_text("notes", "hi")
    app = create_app(store_dir, warm=False)
    provider = app_context(app).provider
    client = TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False)
    url = f"/api/text/entries?key=notes&run={run.id}"
    assert client.get(url).json()["runs"] == {run.id: [{"step": 0, "wall_time": pytest.approx(0, abs=1e10),
                                                        "text": "hi"}]}
    cases = [(UnicodeEncodeError("utf-8", "\udcff", 0, 1, "surrogates not allowed"), 500),
             (KeyError("a bug"), 500), (ValueError("a bug"), 500), (InvalidArgument("bad ask"), 400),
             (NotFound("gone"), 200)]  # the Text panel leaves a run without the key out
    for exc, status in cases:
        def boom(*args, exc=exc, **kw):
            raise exc

        monkeypatch.setattr(provider.inner, "texts", boom)
        resp = client.get(url)
        assert resp.status_code == status, (exc, resp.status_code, resp.text)
        if status == 400:
            assert resp.json() == {"error": "bad ask"}
        if status == 200:
            assert resp.json()["runs"] == {}
