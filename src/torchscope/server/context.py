"""What a panel's handlers are given: the typed :class:`PanelContext` (provider, admin, settings, state).

The app builds one context when it is created and every handler reaches it with
``context(request)``: ``ctx.provider`` reads (a :class:`~torchscope.store.caching.CachingProvider`
over the store: the Provider contract, with finished runs' series kept), ``ctx.admin`` changes
runs (rename, tag, archive, delete: only the run-management routes use it; None for a read-only
backend), ``ctx.settings`` holds the server's options, and ``ctx.state`` each panel's own
long-lived objects, by panel name, made by the panel's ``setup`` and released by its
``teardown`` in the app's lifespan. Nothing lives at module level.

Example::

    def entries(request: Request) -> JSON:
        ctx = context(request)
        return JSON({"texts": [t.text for t in ctx.provider.texts(run_id, "notes")]})
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request

from ..store.admin import RunAdmin
from ..store.caching import CachingProvider

__all__ = ["PanelContext", "Settings", "app_context", "context"]


@dataclasses.dataclass(frozen=True)
class Settings:
    """The server's options a panel may read: ``Settings(poll_interval=0.5)``."""

    poll_interval: float = 0.5
    token: str | None = None


@dataclasses.dataclass
class PanelContext:
    """Handed to every handler through ``context(request)`` (see the module doc)."""

    provider: CachingProvider
    admin: RunAdmin | None
    settings: Settings
    state: dict[str, Any] = dataclasses.field(default_factory=dict)


def app_context(app: Starlette) -> PanelContext:
    """The context of an app made by ``create_app``."""
    ctx = app.state.context
    assert isinstance(ctx, PanelContext)
    return ctx


def context(request: Request) -> PanelContext:
    """The context of the app serving ``request``: ``context(request).provider.runs()``."""
    return app_context(request.app)
