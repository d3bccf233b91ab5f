"""Access control and path safety: tokens off loopback, Host checks, traversal on every named route."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx
import pytest

from torchscope.server import create_app
from torchscope.server.serve import free_port, url_for

from ..conftest import child_env
from .util import ServerThread

TRAVERSALS = ["../server/app.py", "..%2fserver%2fapp.py", "%2e%2e/server/app.py", "..%2F..%2Fstore%2Fsqlite.py",
              "/etc/passwd", "%2fetc%2fpasswd", "....//server/app.py", "..\\server\\app.py", "%252e%252e/app.py"]


@pytest.fixture(scope="module")
def guarded(filled):
    with ServerThread(create_app(filled[0], token="s3cret-token")) as url:
        yield url


@pytest.mark.parametrize("path", ["/", "/api/runs", "/api/openapi.json", "/api/events", "/static/app.js",
                                  "/panels/scalars/panel.js", "/api/scalars/series?key=x&run=y"])
def test_token_required_everywhere(guarded, path):
    r = httpx.get(guarded + path, timeout=5)
    assert r.status_code == 401
    sep = "&" if "?" in path else "?"
    assert httpx.get(guarded + path + sep + "token=wrong", timeout=5).status_code == 401


def test_token_by_query_header_or_cookie(guarded):
    assert httpx.get(guarded + "/api/runs?token=s3cret-token").status_code == 200
    assert httpx.get(guarded + "/api/runs", headers={"Authorization": "token s3cret-token"}).status_code == 200
    assert httpx.get(guarded + "/api/runs", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    with httpx.Client(base_url=guarded) as c:
        page = c.get("/?token=s3cret-token")
        assert page.status_code == 200 and "httponly" in page.headers["set-cookie"].lower()
        assert c.get("/api/runs").status_code == 200  # the cookie the page set


def test_loopback_refuses_foreign_host_header(server):
    assert httpx.get(server + "/api/runs", headers={"Host": "evil.example:80"}).status_code == 400
    assert httpx.get(server + "/api/runs", headers={"Host": "localhost:1"}).status_code == 200


@pytest.mark.parametrize("prefix", ["/static/", "/panels/scalars/", "/panels/text/"])
@pytest.mark.parametrize("attack", TRAVERSALS)
def test_no_file_outside_static_folders(server, prefix, attack):
    r = httpx.get(server + prefix + attack)
    assert r.status_code in (400, 404), (prefix, attack, r.status_code)
    assert "import" not in r.text and "root:" not in r.text


def test_panel_folders_serve_only_web_assets(server):
    assert httpx.get(server + "/panels/scalars/__init__.py").status_code == 404
    assert httpx.get(server + "/panels/scalars/README.md").status_code == 200
    assert httpx.get(server + "/static/vendor/uPlot.esm.js").status_code == 200


@pytest.mark.parametrize("attack", ["../../etc/passwd", "..%2F..%2Fetc", "/etc/passwd", "x' OR '1'='1",
                                    "\"; DROP TABLE runs; --"])
def test_names_in_api_never_reach_paths_or_sql(client, attack):
    for path, extra in [("/api/scalars/series", {"key": "train/loss"}), ("/api/scalars/csv", {"key": "train/loss"}),
                        ("/api/images/index", {"key": "samples"}), ("/api/histograms/series", {"key": "weights"}),
                        ("/api/text/entries", {"key": "notes"}), ("/api/config/table", {}), ("/api/keys", {})]:
        r = client.get(path, params={**extra, "run": attack})
        assert r.status_code in (200, 404), (path, r.status_code)
        assert attack not in str(r.json().get("runs", {})) if path != "/api/scalars/csv" else True
    r = client.get("/api/scalars/series", params={"key": attack, "run": "x"})
    assert r.status_code == 200 and r.json()["runs"] == []
    assert client.get(f"/api/images/blob?key=samples&step=0&run={attack}").status_code == 404
    assert client.patch(f"/api/runs/{attack}", json={"name": "x"}).status_code in (404, 405)
    assert len(client.get("/api/runs").json()["runs"]) == 3  # nothing was dropped


def test_url_for():
    assert url_for("127.0.0.1", 6006, None) == "http://127.0.0.1:6006/"
    assert url_for("10.0.0.5", 80, "abc") == "http://10.0.0.5:80/?token=abc"


def test_serve_off_loopback_generates_a_token(filled):
    port = free_port("0.0.0.0")
    proc = subprocess.Popen([sys.executable, "-m", "torchscope", "serve", str(filled[0]), "--host", "0.0.0.0",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=child_env())
    try:
        line = ""
        deadline = time.time() + 30
        while "token=" not in line and time.time() < deadline:
            line = proc.stdout.readline()
        token = re.search(r"token=([0-9a-f]+)", line).group(1)
        assert len(token) >= 32
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                r = httpx.get(base + "/api/runs")
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert r.status_code == 401
        assert httpx.get(base + "/api/runs", params={"token": token}).status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)
