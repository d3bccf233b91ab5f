"""The attacks of issue 14, done by a real browser: DNS rebinding and cross-site POSTs get nowhere.

Chromium resolves ``*.evil.example`` to 127.0.0.1 (``--host-resolver-rules``), as an attacker's DNS
would. A recorder around the dashboard app shows that each attack did reach the server (so it was
the server that refused it, not the browser that never sent it) and what the server answered.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

import torchscope as ts
from torchscope.server import create_app
from torchscope.server.context import app_context
from torchscope.server.panels.ganlab.hub import Hub

from ..server.util import ServerThread


class Recorder:
    """ASGI wrapper: ``(method, path, status)`` of every request the app answered."""

    def __init__(self, app: Any) -> None:
        self.app, self.seen = app, []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def record(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.seen.append((scope["method"], scope["path"], message["status"]))
            await send(message)

        await self.app(scope, receive, record)


ATTACK = """<!doctype html><title>cute cats</title>
<form id=f method=POST action="{target}/api/ganlab/open" enctype="text/plain">
<input name='{{"config": {{}}, "x": "' value='"}}'></form>
<script>
fetch("{target}/api/ganlab/open", {{method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}},
  body: '{{"config": {{}}}}'}})
  .then(() => {{ document.title = "sent"; }}, (e) => {{ document.title = "failed " + e; }});
</script>"""


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Recorder, Hub, int]]:
    dir = tmp_path_factory.mktemp("attack") / "tsruns"
    with ts.init(dir=dir, name="precious") as run:
        run.log({"x": 1.0}, step=0)
    app = create_app(dir, warm=False)
    hub = app_context(app).state["ganlab"] = Hub(grace=0.5, idle_timeout=30)
    rec = Recorder(app)
    with ServerThread(rec) as url:
        yield url, rec, hub, int(url.rsplit(":", 1)[1])
    hub.close_all()


@pytest.fixture(scope="module")
def evil_browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
            "--host-resolver-rules=MAP *.evil.example 127.0.0.1, MAP evil.example 127.0.0.1"])
        yield b
        b.close()


def _attack_site(target: str) -> Starlette:
    async def page(request: Any) -> HTMLResponse:
        return HTMLResponse(ATTACK.format(target=target))

    return Starlette(routes=[Route("/", page)])


def _wait_for(rec: Recorder, n: int) -> None:
    deadline = time.time() + 10
    while len([s for s in rec.seen if s[:2] == ("POST", "/api/ganlab/open")]) < n and time.time() < deadline:
        time.sleep(0.05)


def test_dns_rebinding_page_gets_400(dashboard, evil_browser):
    port = dashboard[3]
    ctx = evil_browser.new_context()
    try:
        page = ctx.new_page()
        for path in ("/", "/api/runs"):
            r = page.goto(f"http://127.evil.example:{port}{path}")
            assert r.status == 400, path
            assert "precious" not in page.content()
        assert page.goto(f"http://127.0.0.1:{port}/api/runs").status == 200  # the real name still works
        assert "precious" in page.content()
    finally:
        ctx.close()


@pytest.mark.parametrize("where", ["evil.example", "localhost"], ids=["cross-site", "same-site other port"])
def test_cross_site_post_opens_no_lab(dashboard, evil_browser, where):
    _, rec, hub, port = dashboard
    target = f"http://{'127.0.0.1' if where == 'evil.example' else 'localhost'}:{port}"
    before = len(rec.seen)
    ctx = evil_browser.new_context()
    try:
        with ServerThread(_attack_site(target)) as attacker:
            page = ctx.new_page()
            page.goto(f"http://{where}:{attacker.rsplit(':', 1)[1]}/")
            page.wait_for_function("document.title !== 'cute cats'", timeout=10000)
            assert page.title() == "sent"  # no-cors: the browser sends it and hides the answer
            _wait_for(rec, 1)
            with page.expect_navigation():
                page.evaluate("document.getElementById('f').submit()")  # a form needs no script at all
            assert "cross-site request refused" in page.content()
        posts = [s for s in rec.seen[before:] if s[:2] == ("POST", "/api/ganlab/open")]
        assert [s[2] for s in posts] == [403, 403], rec.seen[before:]  # both reached the server, both refused
        assert hub.worker.sessions == {}
    finally:
        ctx.close()


def test_the_dashboard_page_itself_may_post(dashboard, evil_browser):
    url, _, hub, _ = dashboard
    ctx = evil_browser.new_context()
    try:
        page = ctx.new_page()
        page.goto(url + "/api/health")
        reply = page.evaluate("""async () => (await fetch("/api/ganlab/open", {method: "POST",
            headers: {"Content-Type": "application/json"}, body: '{"config": {}}'})).json()""")
        assert reply["ok"] is True and hub.session(reply["session"]) is not None
        page.evaluate("""(sid) => fetch("/api/ganlab/close", {method: "POST", keepalive: true,
            headers: {"Content-Type": "application/json"}, body: JSON.stringify({session: sid})})""", reply["session"])
        deadline = time.time() + 5
        while hub.session(reply["session"]) is not None and time.time() < deadline:
            time.sleep(0.05)
        assert hub.session(reply["session"]) is None
    finally:
        ctx.close()
