"""``create_app(store)``: the dashboard's ASGI application.

Routes: ``/`` (the shell page), ``/static/*`` (the shell's modules, styles, vendored libraries),
``/panels/<name>/*`` (each panel's module and doc), ``/api/*`` (JSON; ``/api/openapi.json``
documents it) and ``/api/<panel>/*`` (each panel's routes). ``app.state.endpoints`` maps the path
below ``/api/`` of every read route to its data function (what the static report calls).

Example::

    app = create_app("tsruns", token=None)  # loopback only; pass a token to expose it

Middleware, outermost first: :class:`~.auth.TokenAuth` (the token, or the Host check without
one), :class:`~.csrf.SameOrigin` (no other site may change anything), then activity tracking.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route

from ..errors import TorchscopeError
from ..store import open_store
from ..store.admin import RunAdmin
from ..store.caching import CachingProvider, SeriesCache, cache_bytes
from ..store.provider import Provider
from . import api, live
from .auth import COOKIE, TokenAuth, clean_token
from .context import PanelContext, Settings, app_context
from .csrf import SameOrigin
from .encode import JSON
from .endpoint import endpoints
from .hosts import allowed_hosts
from .openapi import build_schema
from .registry import PanelLoad, load_panels
from .static import AssetFiles
from .warm import Activity, TrackActivity, Warmer

__all__ = ["WEB_DIR", "create_app", "shutdown"]

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
log = logging.getLogger("torchscope.server")
CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


async def index(request: Request) -> Response:
    response = FileResponse(WEB_DIR / "index.html", headers={"Content-Security-Policy": CSP,
                                                             "Cache-Control": "no-cache"})
    given = request.query_params.get("token")
    if given and given in (request.app.state.token, request.app.state.admin_token):  # checked by the middleware
        response.set_cookie(COOKIE, given, httponly=True, samesite="strict")
    return response


async def _typed_error(request: Request, exc: Exception) -> JSON:
    status = getattr(exc, "status", 500)
    if status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc)
    return JSON({"error": str(exc)}, status_code=status)


def _error(status: int) -> Any:
    async def handler(request: Request, exc: Exception) -> JSON:
        msg = exc.detail if isinstance(exc, HTTPException) else str(exc.args[0] if exc.args else exc)
        headers = exc.headers if isinstance(exc, HTTPException) else None  # 405's Allow
        return JSON({"error": msg}, status_code=getattr(exc, "status_code", status), headers=headers)
    return handler


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    warmer = app.state.warmer
    if warmer is not None:
        warmer.start()
    try:
        yield
    finally:
        shutdown(app)


def shutdown(app: Starlette) -> None:
    """What the app's lifespan does when it ends, for an app used without a server (the report): stop the
    warm-up, run each panel's teardown, close the provider."""
    if app.state.warmer is not None:
        app.state.warmer.stop()
    _teardown(app)
    app_context(app).provider.close()


def _setup(app: Starlette, loaded: list[PanelLoad]) -> None:
    """Each panel's ``setup(ctx)``: its state goes in ``ctx.state[name]``; a failing setup is logged, the
    panel stays listed with its error (its routes answer 500 with the reason)."""
    ctx = app_context(app)
    for p in loaded:
        if p.panel is not None and p.panel.setup is not None:
            try:
                ctx.state[p.name] = p.panel.setup(ctx)
            except Exception as exc:
                log.exception("panel %s: setup failed", p.name)
                p.error = f"setup failed: {type(exc).__name__}: {exc}"


def _teardown(app: Starlette) -> None:
    """Each panel's ``teardown(state)``, once, whatever the others do."""
    ctx = app_context(app)
    for p in app.state.panels:
        if p.panel is not None and p.panel.teardown is not None and p.name in ctx.state:
            try:
                p.panel.teardown(ctx.state.pop(p.name))
            except Exception:
                log.exception("panel %s: teardown failed", p.name)


def create_app(store: Provider | str | os.PathLike[str] | None = None, *, token: str | None = None,
               poll_interval: float = 0.5, panels: list[str] | None = None, warm: bool = True,
               cache_mb: int | None = None, allow_hosts: Iterable[str] = (),
               admin_token: str | None = None) -> Starlette:
    """The dashboard app over ``store`` (a Store or a directory): ``create_app("tsruns")``.

    ``token``: require it on every request (set it whenever the server is not on loopback; blank
    means none); ``admin_token``: the only key to the routes that change runs (see :mod:`.auth`);
    ``allow_hosts``: Host names answered besides loopback when there is no token;
    ``poll_interval``: seconds between live-update polls; ``panels``: load only these panels;
    ``warm``: read the Scalars panel's first screen in the background when the server starts
    (see ``warm.py``); ``cache_mb``: the finished runs' series cache (default
    ``$TORCHSCOPE_CACHE_MB`` or 256).
    """
    if not isinstance(store, Provider):
        store = open_store(store)
    assert isinstance(store, Provider), f"not a store: {store!r}"
    loaded = load_panels(only=panels)
    routes: list[Any] = [Route("/", index)]
    for p in loaded:
        if p.panel is not None:
            routes.append(Mount(f"/api/{p.name}", routes=list(p.panel.routes)))
            routes.append(Mount(f"/panels/{p.name}", app=AssetFiles(directory=p.panel.folder)))
    routes += [Mount("/api", routes=api.routes + live.routes), Mount("/static", app=AssetFiles(directory=WEB_DIR))]
    activity = Activity()
    token, allow_hosts = clean_token(token), allowed_hosts(allow_hosts)  # a bad name fails here, not at a request
    admin_token = clean_token(admin_token)
    if admin_token is not None and admin_token == token:
        raise ValueError("the admin token must differ from the read token (anyone who can read could change runs)")
    middleware = [Middleware(TokenAuth, token=token, allow_hosts=allow_hosts, admin_token=admin_token),
                  Middleware(SameOrigin),
                  Middleware(TrackActivity, activity=activity)]
    # typed errors answer with their own status (NotFound 404, InvalidArgument 400, StoreBusyError 503...);
    # nothing else is mapped: a KeyError or ValueError escaping a handler is a bug of ours, a logged 500
    handlers: dict[Any, Any] = {HTTPException: _error(400), TorchscopeError: _typed_error}
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers, lifespan=_lifespan)
    provider = CachingProvider(store, cache=SeriesCache(cache_bytes(cache_mb)))
    app.state.context = PanelContext(provider=provider, admin=store if isinstance(store, RunAdmin) else None,
                                     settings=Settings(poll_interval=poll_interval, token=token))
    app.state.warmer = Warmer(provider, activity) if warm else None
    app.state.token, app.state.admin_token = token, admin_token
    app.state.panels = loaded
    app.state.endpoints = endpoints(app.routes)
    _setup(app, loaded)
    docs = {"/api": api.API_DOC, **{f"/api/{p.name}": p.panel.api_doc for p in loaded if p.panel is not None}}
    app.state.openapi = build_schema(app.routes, docs)
    return app
