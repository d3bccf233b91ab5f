"""The Console panel's API: the tail in time order, counts to ask for what is new, the code snapshot."""

from __future__ import annotations

import sys

from starlette.testclient import TestClient

import torchscope as ts
from torchscope.server import create_app


def test_tail_code_and_what_is_new(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not a git checkout: the snapshot says so
    run = ts.init(project="c", dir=tmp_path / "s", console=True, code=True)
    print("epoch 0")
    print("careful", file=sys.stderr)
    print("epoch 1")
    run.flush()
    with TestClient(create_app(tmp_path / "s", warm=False), base_url="http://127.0.0.1") as c:
        first = c.get("/api/console/tail", params={"run": run.id}).json()  # the flush handed over whole lines
        assert [(ch["stream"], ch["text"]) for ch in first["chunks"]] == [
            ("stdout", "epoch 0\n"), ("stderr", "careful\n"), ("stdout", "epoch 1\n")]
        print("epoch 2")
        run.finish()
        more = c.get("/api/console/tail", params={"run": run.id, **first["seen"]}).json()
        assert [ch["text"] for ch in more["chunks"]] == ["epoch 2\n"] and more["seen"] == {"stdout": 3, "stderr": 1}
        code = c.get("/api/console/code", params={"run": run.id}).json()["code"]
        assert code["commit"] == "" and code["python"] and "torch" in code["packages"]
        assert c.get("/api/console/tail", params={"run": run.id, "stdout": "x"}).status_code == 400
        empty = ts.init(project="c", dir=tmp_path / "s")
        empty.finish()
        assert c.get("/api/console/code", params={"run": empty.id}).json()["code"] is None
        assert c.get("/api/console/tail", params={"run": empty.id}).json()["chunks"] == []
