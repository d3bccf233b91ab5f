"""Cross-site requests change nothing: every state-changing route refuses other sites and non-JSON bodies.

A real server over a real store; the routes come from the served OpenAPI schema (itself built from
the router), so a new POST route is covered without touching this file. "Nothing changed" is
checked where it shows: the GAN lab opened no session, the run kept its name and was not deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import torchscope as ts
from torchscope.server import create_app
from torchscope.server.context import app_context
from torchscope.server.csrf import refusal
from torchscope.server.panels.ganlab.hub import Hub

from .util import ServerThread

EVIL = "http://evil.example"
# what a page elsewhere can make a browser send without a CORS preflight
CROSS = [
    ("text/plain from another site", {"Origin": EVIL, "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"}),
    ("JSON from another site", {"Origin": EVIL, "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}),
    ("another port of this host", {"Sec-Fetch-Site": "same-site", "Content-Type": "application/json"}),
    ("an old browser: Origin only", {"Origin": EVIL, "Content-Type": "application/json"}),
    ("a sandboxed frame", {"Origin": "null", "Content-Type": "application/json"}),
    ("a form", {"Content-Type": "application/x-www-form-urlencoded"}),
    ("a multipart form", {"Content-Type": "multipart/form-data; boundary=x"}),
    ("text/plain without Origin", {"Content-Type": "text/plain"}),
    ("no content type", {}),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, Hub, str]]:
    dir = tmp_path_factory.mktemp("csrf") / "tsruns"
    with ts.init(dir=dir, name="keep") as run:
        run.log({"x": 1.0}, step=0)
    app = create_app(dir, warm=False)
    hub = app_context(app).state["ganlab"] = Hub(grace=0.5, idle_timeout=30)
    with ServerThread(app) as url:
        yield url, app, hub, run.id
    hub.close_all()


def _unsafe_operations(app: Any) -> list[tuple[str, str]]:
    return sorted((m.upper(), p) for p, ops in app.state.openapi["paths"].items() for m in ops if m != "get")


def _send(url: str, method: str, path: str, run_id: str, headers: dict[str, str]) -> httpx.Response:
    body = b'{"config": {}, "session": "x", "type": "status", "job": "x", "name": "pwned"}'
    return httpx.request(method, url + path.replace("{run_id}", run_id), headers=headers, timeout=10,
                         content=None if method == "DELETE" else body)


def test_every_state_changing_route_is_covered(site):
    _, app, _, _ = site
    ops = _unsafe_operations(app)
    assert {("POST", "/api/ganlab/open"), ("POST", "/api/ganlab/command"), ("POST", "/api/ganlab/close"),
            ("POST", "/api/ganlab/load"), ("POST", "/api/gan/cancel"), ("PATCH", "/api/runs/{run_id}"),
            ("DELETE", "/api/runs/{run_id}")} <= set(ops)


@pytest.mark.parametrize(("what", "headers"), CROSS, ids=[c[0] for c in CROSS])
def test_cross_site_requests_are_refused_and_change_nothing(site, what, headers):
    url, app, hub, run_id = site
    for method, path in _unsafe_operations(app):
        if method == "DELETE" and "Origin" not in headers and "Sec-Fetch-Site" not in headers:
            continue  # DELETE needs no body; only a preflight-free cross-site request matters, and it cannot be one
        r = _send(url, method, path, run_id, headers)
        assert r.status_code in (403, 415), (what, method, path, r.status_code, r.text)
        assert "error" in r.json()
    assert hub.worker.sessions == {}  # no lab was started
    with httpx.Client(base_url=url) as c:
        runs = c.get("/api/runs").json()["runs"]
    assert [(r["id"], r["name"]) for r in runs] == [(run_id, "keep")]


def test_the_dashboards_own_requests_pass(site):
    url, _, hub, run_id = site
    own = {"Origin": url, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}
    r = httpx.post(url + "/api/ganlab/open", headers=own, content=b'{"config": {}}')
    assert r.status_code == 200 and r.json()["ok"] is True
    sid = r.json()["session"]
    r = httpx.post(url + "/api/ganlab/close", headers=own, content=b'{"session": "%s"}' % sid.encode())
    assert r.json() == {"ok": True, "closed": True}
    # a script (curl, httpx) sends neither Origin nor Sec-Fetch-Site: JSON is enough
    r = httpx.patch(url + f"/api/runs/{run_id}", json={"notes": "from a script"})
    assert r.status_code == 200 and r.json()["run"]["notes"] == "from a script"
    assert httpx.delete(url + "/api/runs/nope").status_code == 404  # DELETE needs no content type
    assert hub.worker.sessions == {}


def test_cross_site_sub_resource_reads_are_refused_but_links_open(site):
    url, _, _, run_id = site
    img = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}
    # <img src=".../api/gan/prototype?..."> on another site would start a computation
    assert httpx.get(url + "/api/gan/prototype", params={"run": run_id}, headers=img).status_code == 403
    assert httpx.get(url + "/api/runs", headers=img).status_code == 403
    link = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    assert httpx.get(url + "/", headers=link).status_code == 200
    assert httpx.get(url + "/api/runs", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200


@pytest.mark.parametrize(("origin", "host", "ok"), [
    ("http://127.0.0.1:6006", "127.0.0.1:6006", True), ("http://LOCALHOST:6006", "localhost:6006", True),
    ("http://[::1]:6006", "[::1]:6006", True), ("https://dash.example", "dash.example", True),
    ("http://dash.example", "dash.example", True), ("https://dash.example:443", "dash.example", True),
    ("http://127.0.0.1:6007", "127.0.0.1:6006", False), ("http://localhost:6006", "127.0.0.1:6006", False),
    ("http://dash.example:8080", "dash.example", False), ("http://127.evil.example:6006", "127.0.0.1:6006", False),
    ("null", "127.0.0.1:6006", False), ("file://", "127.0.0.1:6006", False),
    ("http://user@127.0.0.1:6006", "127.0.0.1:6006", False), ("http://127.0.0.1:6006/x", "127.0.0.1:6006", False),
    ("http://127.0.0.1:bad", "127.0.0.1:6006", False), ("", "127.0.0.1:6006", False),
])
def test_origin_must_be_the_host_the_request_reached(origin, host, ok):
    headers = {b"origin": origin.encode(), b"host": host.encode(), b"content-type": b"application/json"}
    assert (refusal("POST", headers) is None) == ok


def test_json_with_parameters_is_json():
    for media in (b"application/json", b"application/json; charset=utf-8", b"Application/JSON",
                  b"application/octet-stream"):
        assert refusal("POST", {b"content-type": media}) is None
    assert refusal("POST", {b"content-type": b"application/jsonp"})[0] == 415
    assert refusal("PUT", {b"content-type": b"text/plain"})[0] == 415
    assert refusal("GET", {}) is None and refusal("DELETE", {}) is None
