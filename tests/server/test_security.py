"""Access control and path safety: tokens off loopback (never an empty one), Host checks against DNS
rebinding, traversal on every named route."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from unittest import mock

import httpx
import pytest

from torchscope.server import create_app
from torchscope.server.auth import TokenAuth
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


# DNS names an attacker can point at 127.0.0.1 (a page there is "same origin" with itself, and only its Host
# header tells it apart), names dressed as loopback, and garbage: none reaches the API without a token
REBINDING = ["127.evil.example", "127.evil.example:6006", "127.0.0.1.nip.io:6006", "localhost.evil.com",
             "localhost.evil.com:6006", "evil.localhost", "127.1", "0x7f000001", "", "127.0.0.1:abc",
             "127.0.0.1@evil.example", "[::1", "lоcalhost".encode(), "localhost\u200b".encode(),
             b"127.0.0.1\xff", "ｌｏｃａｌｈｏｓｔ".encode()]


@pytest.mark.parametrize("host", REBINDING, ids=[repr(h) for h in REBINDING])
def test_dns_rebinding_and_garbage_hosts_get_400(server, host):
    for path in ("/", "/api/runs", "/static/app.js"):
        r = httpx.get(server + path, headers={"Host": host})
        assert r.status_code == 400, (host, path)
        assert "Host" in r.json()["error"]
    r = httpx.request("DELETE", server + "/api/runs/x", headers={"Host": host})
    assert r.status_code == 400


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:1", "127.9.8.7:6006", "[::1]:6006", "[::1]", "localhost",
                                  "LOCALHOST.:6006", "localhost.", "[::ffff:127.0.0.1]:6006"])
def test_literal_loopback_hosts_pass(server, host):
    assert httpx.get(server + "/api/runs", headers={"Host": host}).status_code == 200


def test_a_request_without_host_gets_400(server):
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /api/runs HTTP/1.0\r\n\r\n")
        head = s.recv(200).decode("latin-1")
    assert head.split()[1] == "400", head


def test_allowed_host_names_pass_and_only_they(filled):
    with ServerThread(create_app(filled[0], allow_hosts=["Dash.Example.", "10.1.2.3"])) as url:
        for host in ("dash.example", "DASH.example.:8080", "10.1.2.3:80", "127.0.0.1", "localhost:1"):
            assert httpx.get(url + "/api/runs", headers={"Host": host}).status_code == 200, host
        for host in ("evil.example", "dash.example.evil.example", "x.dash.example", "10.1.2.4", "127.evil.example"):
            assert httpx.get(url + "/api/runs", headers={"Host": host}).status_code == 400, host
    with pytest.raises(ValueError, match="not a host name"):
        create_app(filled[0], allow_hosts=["*"])


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_a_blank_token_is_no_token(filled, blank):
    with ServerThread(create_app(filled[0], token=blank)) as url:
        assert httpx.get(url + "/api/runs").status_code == 200  # loopback, as without a token
        for host in ("evil.example", "10.0.0.5:80"):  # and only loopback: the Host check is on
            assert httpx.get(url + "/api/runs", headers={"Host": host}).status_code == 400


def test_an_empty_given_token_never_passes(guarded):
    for kwargs in ({"params": {"token": ""}}, {"headers": {"Cookie": "torchscope_token="}},
                   {"headers": {"Cookie": 'torchscope_token=""'}}, {"headers": {"Authorization": "token"}},
                   {"headers": {"Authorization": "Bearer"}}, {"headers": {"Cookie": "torchscope_token=; x=y"}},
                   {"headers": {"Cookie": 'garbage;;="'}}):
        assert httpx.get(guarded + "/api/runs", **kwargs).status_code == 401, kwargs
    auth = TokenAuth(None, token="s3cret-token")
    assert not auth.token_ok("") and not auth.token_ok(None) and auth.token_ok("s3cret-token")
    assert TokenAuth(None, token=" ").token is None and not TokenAuth(None, token=None).token_ok("")


def test_allow_host_option_and_environment():
    from torchscope.cli import build_parser

    env = {**os.environ, "TORCHSCOPE_ALLOWED_HOSTS": "a.example, b.example"}
    with mock.patch.dict(os.environ, env, clear=True):
        args = build_parser().parse_args(["serve", "d", "--allow-host", "c.example", "--allow-host", "d.example"])
    assert args.allow_hosts == ["a.example", "b.example", "c.example", "d.example"]
    proc = subprocess.run([sys.executable, "-m", "torchscope", "serve", "d", "--allow-host", "http://x.example"],
                          capture_output=True, text=True, env=child_env(), timeout=60)
    assert proc.returncode == 2 and "not a host name" in proc.stderr


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


@pytest.mark.parametrize("env_token", [None, "", "  "], ids=["unset", "empty", "blank"])
def test_serve_off_loopback_generates_a_token(filled, env_token):
    port = free_port("0.0.0.0")
    env = child_env()
    env.pop("TORCHSCOPE_TOKEN", None)
    if env_token is not None:
        env["TORCHSCOPE_TOKEN"] = env_token  # TORCHSCOPE_TOKEN= torchscope serve ... --host 0.0.0.0
    proc = subprocess.Popen([sys.executable, "-m", "torchscope", "serve", str(filled[0]), "--host", "0.0.0.0",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env)
    try:
        line = ""
        deadline = time.time() + 30
        while "token=" not in line and time.time() < deadline:
            line = proc.stdout.readline()
        token = re.search(r"token=([0-9a-f]*)", line).group(1)
        assert len(token) >= 32, line
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                r = httpx.get(base + "/api/runs")
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert r.status_code == 401
        assert httpx.get(base + "/api/runs", headers={"Cookie": "torchscope_token="}).status_code == 401
        assert httpx.get(base + "/api/runs", params={"token": ""}).status_code == 401
        assert httpx.get(base + "/api/runs", params={"token": token}).status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)
