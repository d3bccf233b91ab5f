"""GET requests to an ASGI app in this process: how the report asks the dashboard, with no network and no httpx.

The report needs only what ``pip install torchscope`` brings: Starlette's ``TestClient`` would need
httpx (a test dependency), so the report calls the app itself, as a server would (ASGI 3), on an
event loop in a helper thread (anyio's blocking portal, as ``TestClient`` does: it works from a
notebook whose loop is already running). An exception the app does not handle is raised here.

Example::

    with InProcessClient(create_app("tsruns", warm=False)) as client:
        runs = client.get("/api/runs", params={"archived": "all"}).json()["runs"]
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

__all__ = ["Answer", "InProcessClient"]


@dataclass(frozen=True)
class Answer:
    """One response: ``status_code``, ``headers`` (lower-case names) and ``content`` bytes."""

    status_code: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        """The body as text (UTF-8, undecodable bytes replaced)."""
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON: ``client.get("/api/runs").json()["runs"]``."""
        return json.loads(self.content)


class InProcessClient:
    """Asks ``app`` over ASGI, in-process, from a loopback address: ``InProcessClient(app).get("/api/runs")``."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1") -> None:
        from anyio.from_thread import start_blocking_portal

        self.app, self.host = app, host
        self._stack = contextlib.ExitStack()
        self._portal = self._stack.enter_context(start_blocking_portal())

    def get(self, path: str, params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None) -> Answer:
        """``GET path?params`` (a mapping or a list of pairs; lists in a mapping repeat the name)."""
        pairs = params.items() if isinstance(params, Mapping) else params or []
        query = urlencode([(k, x) for k, v in pairs for x in (v if isinstance(v, (list, tuple)) else [v])],
                          quote_via=quote)
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": path, "raw_path": quote(path).encode("ascii"), "root_path": "",
            "query_string": query.encode("ascii"), "headers": [(b"host", self.host.encode("ascii")),
                                                                (b"user-agent", b"torchscope-report")],
            "client": (self.host, 50000), "server": (self.host, 80),
        }
        return self._portal.call(self._call, scope)

    async def _call(self, scope: dict[str, Any]) -> Answer:
        import anyio

        done = anyio.Event()
        asked = False
        status, headers, body = 500, {}, bytearray()

        async def receive() -> dict[str, Any]:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()  # a streaming answer listens for the client leaving: only once it is complete
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message.get("headers", [])}
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        try:
            await self.app(scope, receive, send)
        finally:
            done.set()
        return Answer(status, headers, bytes(body))

    def close(self) -> None:
        """Stop the helper thread's event loop."""
        self._stack.close()

    def __enter__(self) -> InProcessClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
