"""The report's snapshot (``report/snapshot.py``) calls the routes' data functions, with no HTTP or ASGI, and
keeps exactly the bytes the live routes send."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from torchscope.report import build_report
from torchscope.report.snapshot import Snapshot, canonical
from torchscope.server import create_app

from .conftest import read_snapshot


def test_every_answer_is_what_the_live_route_sends(report: dict[str, Any]) -> None:
    meta = read_snapshot(report["path"].read_text())
    assert len(meta["entries"]) > 500
    with TestClient(create_app(report["dir"], warm=False), base_url="http://127.0.0.1") as client:
        for how, path, pairs, mime, *_ in meta["entries"]:
            if path.startswith("report/"):  # made by a report part itself (the GAN lab's frames), no route
                continue
            body = meta["answers"][(how, path, tuple(tuple(p) for p in sorted(pairs)))]
            r = client.get("/api/" + path, params=[tuple(p) for p in pairs])
            assert r.status_code == 200, (path, pairs, r.text[:200])
            assert r.headers["content-type"].split(";")[0] == mime, (path, pairs)
            if path == "gan/directions":  # computed on demand by each app (PCA of the generator's features):
                got, want = json.loads(r.content), json.loads(body)  # float sums vary in the last digits
                assert got.keys() == want.keys() and np.allclose(got["sigma"], want["sigma"], rtol=1e-5)
                continue
            assert r.content == body, (how, path, pairs)


def test_computed_answers_are_the_routes_in_the_same_app(demo_store: dict[str, Any]) -> None:
    app = create_app(demo_store["dir"], warm=False)
    snap = Snapshot.of(app)
    q = {"run": demo_store["gan"]}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for path, params in (("gan/directions", q), ("gan/explore", {**q, "s": "1.00,0,0,0,0,-2.00"})):
            assert snap.answer(path, params) == (client.get("/api/" + path, params=params).content,
                                                 "application/json" if path == "gan/directions" else "image/png")


def test_the_report_never_goes_through_the_app(demo_store: dict[str, Any], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Any, scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the report asked the app over ASGI")

    monkeypatch.setattr(Starlette, "__call__", refuse)
    lines: list[str] = []
    out = build_report(demo_store["dir"], tmp_path / "r.html", panels=["scalars", "text", "images"],
                       progress=lines.append)
    meta = read_snapshot(out.read_text())
    assert [s["name"] for s in meta["sections"]] == ["scalars", "images", "text"], lines
    assert {e[1] for e in meta["entries"]} >= {"keys", "scalars/keys", "scalars/series", "scalars/csv",
                                               "images/index", "images/blob", "text/entries"}


def test_a_failed_answer_is_listed_not_kept(demo_store: dict[str, Any]) -> None:
    app = create_app(demo_store["dir"], warm=False)
    snap = Snapshot.of(app)
    assert snap.json("scalars/series", {"run": demo_store["demo"], "key": "no/such"}) == {
        "key": "no/such", "x": "step", "runs": []}  # a run without the key is left out, not an error
    assert snap.json("text/entries", {"run": demo_store["demo"]}) is None  # no key: a 400
    assert snap.url("images/blob", {"run": demo_store["demo"], "key": "no/such"}) is None  # a 404
    assert snap.json("no/route", {}) is None
    text, image, route = snap.failed
    assert text == f"{canonical('text/entries', {'run': demo_store['demo']})}: 400 missing query parameter 'key'"
    assert image.startswith(f"{canonical('images/blob', {'run': demo_store['demo'], 'key': 'no/such'})}: 404 "
                            f"run {demo_store['demo']!r} has no image key 'no/such'")
    assert route == "no/route?: 404 no such route"
    assert list(snap.entries) == [f"json {canonical('scalars/series', {'run': demo_store['demo'], 'key': 'no/such'})}"]
