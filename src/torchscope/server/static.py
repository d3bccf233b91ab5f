"""Static files limited to one folder and to web asset types (no ``.py``, no dot files).

Starlette's ``StaticFiles`` already refuses paths that resolve outside its directory (``../``,
encoded or absolute); this adds an allow-list of suffixes so a panel folder serves only its
``.js``, ``.css``, ``.md``, ``.svg``, ``.html`` and image files, with ``nosniff``.

Example::

    Mount("/static", app=AssetFiles(directory=WEB_DIR))
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

__all__ = ["AssetFiles"]

SUFFIXES = (".js", ".css", ".md", ".svg", ".html", ".png", ".ico", ".woff2")


class AssetFiles(StaticFiles):
    """``StaticFiles`` that serves only web asset suffixes and never a dot file."""

    async def get_response(self, path: str, scope: Any) -> Any:
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        if name.startswith(".") or not name.lower().endswith(SUFFIXES):
            raise HTTPException(status_code=404)
        response = await super().get_response(path, scope)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-cache"
        return response
