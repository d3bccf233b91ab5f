"""A team server's two keys: the read token opens the dashboard, only the admin token changes runs
(rename, tag, archive, delete). Without any token (one person on loopback) everything works as before."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

import torchscope as ts
from tests.conftest import child_env
from torchscope.server import create_app

from .util import ServerThread

READ, ADMIN = "read-" + "r" * 20, "admin-" + "a" * 20


@pytest.fixture
def rid(tmp_path) -> str:
    with ts.init(project="p", name="a", dir=tmp_path) as run:
        run.log({"x": 1.0}, step=0)
    return run.id


def _try(url: str, rid: str, token: str | None) -> tuple[int, int, int]:
    """(GET runs, PATCH the run, DELETE an unknown run) status codes with ``token``."""
    h = {"Authorization": f"token {token}"} if token else {}
    with httpx.Client(base_url=url, headers=h) as c:
        return (c.get("/api/runs").status_code, c.patch(f"/api/runs/{rid}", json={"notes": "n"}).status_code,
                c.delete("/api/runs/nope").status_code)


def test_read_token_reads_and_only_the_admin_token_changes(tmp_path, rid):
    with ServerThread(create_app(tmp_path, token=READ, admin_token=ADMIN)) as url:
        assert _try(url, rid, None) == (401, 401, 401)
        assert _try(url, rid, READ) == (200, 403, 403)
        assert _try(url, rid, ADMIN) == (200, 200, 404)
        assert _try(url, rid, ADMIN + "x") == (401, 401, 401)
        r = httpx.patch(url + f"/api/runs/{rid}", json={"name": "x"}, headers={"Authorization": f"token {READ}"})
        assert "admin token" in r.json()["error"]
        page = httpx.get(url + f"/?token={ADMIN}")  # the admin's browser gets the admin key as its cookie
        assert page.status_code == 200 and ADMIN in page.headers["set-cookie"]
    assert ts.open(tmp_path).run(rid).notes == "n"


def test_a_read_token_without_an_admin_token_is_read_only(tmp_path, rid):
    with ServerThread(create_app(tmp_path, token=READ)) as url:
        assert _try(url, rid, READ) == (200, 403, 403)


def test_an_admin_token_on_loopback_guards_changes_only(tmp_path, rid):
    with ServerThread(create_app(tmp_path, admin_token=ADMIN)) as url:
        assert _try(url, rid, None) == (200, 403, 403)  # reading on loopback needs no token, as before
        assert _try(url, rid, ADMIN) == (200, 200, 404)


def test_no_token_at_all_changes_as_before(tmp_path, rid):
    with ServerThread(create_app(tmp_path)) as url:
        assert _try(url, rid, None) == (200, 200, 404)


def test_the_two_tokens_must_differ(tmp_path, rid):
    with pytest.raises(ValueError, match="differ"):
        create_app(tmp_path, token=READ, admin_token=READ)
    out = subprocess.run([sys.executable, "-m", "torchscope", "serve", str(tmp_path), "--token", READ,
                          "--admin-token", READ], env=child_env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "must differ" in out.stderr and "Traceback" not in out.stderr
