"""Access control: a token whenever the server is reachable from other machines.

On loopback without a token only ``Host: 127.0.0.1 / localhost / [::1]`` is accepted (a guard
against DNS rebinding). With a token, every request must carry it as ``?token=``, an
``Authorization: token <t>`` (or ``Bearer``) header, or the cookie the page receives on its first
visit; anything else gets 401. Tokens are compared in constant time.

Example::

    app = TokenAuth(app, token="s3cret")  # then GET /api/runs?token=s3cret
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from starlette.responses import PlainTextResponse

__all__ = ["COOKIE", "LOOPBACK_HOSTS", "TokenAuth", "is_loopback", "new_token"]

COOKIE = "torchscope_token"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def new_token() -> str:
    """A fresh random token: ``new_token()`` -> 48 hex characters."""
    return secrets.token_hex(24)


def is_loopback(host: str) -> bool:
    """True for addresses only this machine reaches: ``is_loopback("127.0.0.1")``."""
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def _host_name(headers: dict[bytes, bytes]) -> str:
    host = headers.get(b"host", b"").decode("latin-1")
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _given(scope: dict[str, Any], headers: dict[bytes, bytes]) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if "token" in query:
        return query["token"][0]
    auth = headers.get(b"authorization", b"").decode("latin-1")
    for prefix in ("token ", "bearer ", "Token ", "Bearer "):
        if auth.startswith(prefix):
            return auth[len(prefix):].strip()
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:
        return None
    morsel = cookie.get(COOKIE)
    return morsel.value if morsel else None


class TokenAuth:
    """ASGI middleware: 401 without the token (when one is set), 400 for foreign hosts on loopback."""

    def __init__(self, app: Any, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if self.token is None:
            if not is_loopback(_host_name(headers)):
                await PlainTextResponse("Invalid host header", status_code=400)(scope, receive, send)
                return
        else:
            given = _given(scope, headers)
            if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
                response = PlainTextResponse(
                    "401 Unauthorized: open the URL with ?token=... that `torchscope serve` printed",
                    status_code=401, headers={"WWW-Authenticate": "token"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
