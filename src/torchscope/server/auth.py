"""Access control: a token whenever the server is reachable from other machines, else a Host check.

Without a token only the Host names of :mod:`.hosts` are answered (literal loopback addresses,
``localhost``, and names allowed explicitly: a guard against DNS rebinding); any other Host gets
400. With a token, every request must carry it as ``?token=``, an ``Authorization: token <t>`` (or
``Bearer``) header, or the cookie the page receives on its first visit; anything else gets 401.
An empty or blank token is no token (``TokenAuth(app, token="")`` checks the Host instead), and an
empty token given by a request never matches. Tokens are compared in constant time.

An *admin token* (a team server: ``torchscope serve --admin-token``) is the only key to the routes
that change runs (rename, tag, archive, delete); given the same ways, it also opens everything the
read token opens. Each request's ``request.state.admin`` says whether it may change runs: true
for every request of a server with no token at all (one person on loopback, as before), else only
for requests carrying the admin token. A server with a read token and no admin token is read-only.

Example::

    app = TokenAuth(app, token="s3cret")  # then GET /api/runs?token=s3cret
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from .encode import JSON
from .hosts import allowed_hosts, is_loopback, parse_host

__all__ = ["COOKIE", "TokenAuth", "clean_token", "is_loopback", "new_token"]

COOKIE = "torchscope_token"


def new_token() -> str:
    """A fresh random token: ``new_token()`` -> 48 hex characters."""
    return secrets.token_hex(24)


def clean_token(token: str | None) -> str | None:
    """The token to require, or None: blank means none. ``clean_token("  ")`` -> None."""
    token = (token or "").strip()
    return token or None


def _given(scope: dict[str, Any], headers: dict[bytes, bytes]) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if "token" in query:
        return query["token"][0]
    auth = headers.get(b"authorization", b"").decode("latin-1")
    for prefix in ("token ", "bearer "):
        if auth[:len(prefix)].lower() == prefix:
            return auth[len(prefix):].strip()
    cookie: SimpleCookie = SimpleCookie()
    try:
        cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
    except CookieError:
        return None
    morsel = cookie.get(COOKIE)
    return morsel.value if morsel else None


class TokenAuth:
    """ASGI middleware: 401 without the token (when one is set), 400 for other hosts without one.

    ``allow_hosts``: Host names accepted besides loopback when there is no token (see :mod:`.hosts`).
    """

    def __init__(self, app: Any, token: str | None, allow_hosts: Iterable[str] = (),
                 admin_token: str | None = None) -> None:
        self.app = app
        self.token = clean_token(token)
        self.admin_token = clean_token(admin_token)
        if self.admin_token is not None and self.admin_token == self.token:
            raise ValueError("the admin token must differ from the read token (anyone who can read could change runs)")
        self.allow_hosts = allowed_hosts(allow_hosts)

    def host_ok(self, host: str) -> bool:
        """Whether a request with this Host header may be answered without a token."""
        return is_loopback(host) or parse_host(host) in self.allow_hosts

    def token_ok(self, given: str | None, token: str | None = None) -> bool:
        """Whether a request's token is the server's (or ``token``); an empty one never is."""
        token = self.token if token is None else token
        if token is None or not given:
            return False
        return hmac.compare_digest(given.encode(), token.encode())

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = _given(scope, headers) if self.token is not None or self.admin_token is not None else None
        admin = self.token_ok(given, self.admin_token) if self.admin_token is not None else self.token is None
        scope.setdefault("state", {})["admin"] = admin
        if admin and self.admin_token is not None:
            pass  # the admin token opens everything
        elif self.token is None:
            if not self.host_ok(headers.get(b"host", b"").decode("latin-1")):
                msg = ("invalid Host header: without a token the dashboard answers only 127.0.0.1, [::1] and "
                       "localhost (use `torchscope serve --allow-host NAME` for another name)")
                await JSON({"error": msg}, status_code=400)(scope, receive, send)
                return
        elif not self.token_ok(given):
            response = JSON({"error": "401 Unauthorized: open the URL with ?token=... that `torchscope serve` printed"},
                            status_code=401, headers={"WWW-Authenticate": "token"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
