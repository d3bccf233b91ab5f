"""The live dashboard: an ASGI app (Starlette) over a torchscope store, served by uvicorn.

``torchscope serve DIR`` runs it; ``create_app(store)`` builds it for tests or embedding. It reads
only through :class:`torchscope.store.Store`, serves the static shell in ``torchscope/web`` and one
folder per panel (see ``registry.py`` and ``docs/dashboard.md`` for the panel contract).

Example::

    app = create_app(ts.open("tsruns"))  # then: uvicorn.run(app, host="127.0.0.1", port=6006)
"""

from .app import create_app
from .registry import Panel, load_panels
from .serve import serve

__all__ = ["Panel", "create_app", "load_panels", "serve"]
