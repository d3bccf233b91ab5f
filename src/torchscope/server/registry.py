"""The panel registry: every folder in ``torchscope/server/panels`` is one dashboard panel.

A panel folder holds ``__init__.py`` defining ``PANEL = Panel(...)`` (its backend routes, mounted
under ``/api/<name>/``), ``panel.js`` (an ES module exporting ``render(el, api)``, served at
``/panels/<name>/panel.js``) and ``README.md`` (a short doc). A panel that fails to import is not
fatal: it is listed with its error, logged, and the shell shows the message in its place.

Example::

    PANEL = Panel(name="text", title="Text", order=40, routes=[Route("/entries", entries)])
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import pkgutil
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["Panel", "PanelLoad", "load_panels"]

log = logging.getLogger("torchscope.server")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


@dataclasses.dataclass(frozen=True)
class Panel:
    """One dashboard panel: ``Panel(name="scalars", title="Scalars", routes=[...])``.

    ``routes`` are Starlette routes relative to ``/api/<name>``; ``order`` sorts the navigation;
    ``module`` is the ES module file inside the panel folder; ``api_doc`` lists each route for
    the OpenAPI schema as ``{path: {"summary": ..., "params": {name: description}}}``; ``setup`` and
    ``teardown`` give it long-lived state (worker threads, sessions) owned by the app, never by the module.
    """

    name: str
    title: str
    routes: list[Any] = dataclasses.field(default_factory=list)
    order: int = 100
    module: str = "panel.js"
    api_doc: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    folder: Path | None = None
    # lifecycle: ``setup(ctx)`` makes the panel's long-lived state when the app is created (kept in
    # ``ctx.state[name]``); ``teardown(state)`` releases it when the app shuts down (its lifespan)
    setup: Callable[[Any], Any] | None = None
    teardown: Callable[[Any], None] | None = None
    # its part of the static report: ``report(ctx) -> summary | None`` (see torchscope.report.plans)
    report: Callable[[Any], str | None] | None = None


@dataclasses.dataclass
class PanelLoad:
    """The outcome of loading one panel folder: the panel, or the error that stopped it."""

    name: str
    panel: Panel | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        p = self.panel
        return {"name": self.name, "title": p.title if p else self.name, "order": p.order if p else 999,
                "module": f"panels/{self.name}/{p.module}" if p else None, "error": self.error}


def load_panels(package: str = "torchscope.server.panels", only: list[str] | None = None) -> list[PanelLoad]:
    """Import every panel folder of ``package``: ``[p.name for p in load_panels()]``."""
    pkg = importlib.import_module(package)
    out = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if not info.ispkg or not NAME.match(info.name) or (only is not None and info.name not in only):
            continue
        try:
            mod = importlib.import_module(f"{package}.{info.name}")
            panel = mod.PANEL
            if not isinstance(panel, Panel) or panel.name != info.name:
                raise TypeError(f"{package}.{info.name}.PANEL must be a Panel named {info.name!r}")
            folder = Path(mod.__file__ or "").parent
            if not (folder / panel.module).is_file():
                raise FileNotFoundError(f"panel {info.name!r} has no module file {panel.module!r}")
            out.append(PanelLoad(info.name, dataclasses.replace(panel, folder=folder)))
        except Exception as exc:  # a broken panel is skipped, never fatal
            log.exception("panel %s failed to load", info.name)
            out.append(PanelLoad(info.name, error=f"{type(exc).__name__}: {exc}"))
    return sorted(out, key=lambda p: (p.panel.order if p.panel else 999, p.name))
