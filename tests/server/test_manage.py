"""Rename, tag, archive and delete runs through the API (on a store of their own)."""

from __future__ import annotations

import httpx

import torchscope as ts
from torchscope.server import create_app

from .util import ServerThread

JSON_TYPE = {"Content-Type": "application/json"}


def test_update_and_delete(tmp_path):
    runs = []
    for name in ("a", "b"):
        with ts.init(project="p", name=name, dir=tmp_path) as run:
            run.log({"x": 1.0}, step=0)
        runs.append(run.id)
    with ServerThread(create_app(tmp_path)) as url, httpx.Client(base_url=url) as c:
        r = c.patch(f"/api/runs/{runs[0]}", json={"name": "renamed", "tags": ["t1", "t2"], "notes": "hi"})
        assert r.status_code == 200 and r.json()["run"]["name"] == "renamed"
        assert c.patch(f"/api/runs/{runs[0]}", json={"archived": True}).json()["run"]["archived"] is True
        assert c.patch(f"/api/runs/{runs[0]}", json={"name": ""}).status_code == 400
        assert c.patch(f"/api/runs/{runs[0]}", json={"evil": 1}).status_code == 400
        assert c.patch(f"/api/runs/{runs[0]}", content=b"not json", headers=JSON_TYPE).status_code == 400
        assert c.patch(f"/api/runs/{runs[0]}", content=b"not json").status_code == 415  # not said to be JSON
        assert [r["name"] for r in c.get("/api/runs", params={"archived": "0"}).json()["runs"]] == ["b"]
        assert c.delete(f"/api/runs/{runs[1]}").status_code == 200
        assert [r["id"] for r in c.get("/api/runs").json()["runs"]] == [runs[0]]
        assert c.delete(f"/api/runs/{runs[1]}").status_code == 404
    assert [r.name for r in ts.open(tmp_path).runs()] == ["renamed"]
