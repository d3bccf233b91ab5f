"""The OpenAPI 3 schema of the JSON API, built from the core routes' and the panels' ``api_doc``.

Example::

    schema = build_schema(API_DOC, panels)  # served at /api/openapi.json
"""

from __future__ import annotations

from typing import Any

from .. import __version__

__all__ = ["build_schema"]

NONFINITE = ('Non-finite floats travel as the strings "NaN", "Infinity" and "-Infinity" in numeric fields. '
             "With a token, pass ?token=..., an Authorization: token ... header, or the cookie set on the page.")


def _operation(doc: dict[str, Any], method: str, tag: str) -> dict[str, Any]:
    params = [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}, "description": d}
              for n, d in doc.get("params", {}).items()]
    params += [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
               for n in doc.get("path_params", [])]
    return {"summary": doc.get("summary", ""), "tags": [tag], "parameters": params,
            "responses": {"200": {"description": doc.get("returns", "JSON"),
                                  "content": {doc.get("media", "application/json"): {}}},
                          "400": {"description": "bad parameter"}, "401": {"description": "no or wrong token"},
                          "404": {"description": "no such run or key"}}}


def build_schema(core: dict[str, dict[str, Any]], panels: list[Any]) -> dict[str, Any]:
    """OpenAPI for ``core`` docs (paths under /api) and each loaded panel's ``api_doc``."""
    paths: dict[str, Any] = {}
    sources = [("core", "/api", core)]
    sources += [(p.name, f"/api/{p.name}", p.panel.api_doc) for p in panels if p.panel is not None]
    for tag, prefix, docs in sources:
        for path, doc in docs.items():
            methods = doc.get("methods", ["get"])
            paths[prefix + path] = {m: _operation(doc, m, tag) for m in methods}
    return {
        "openapi": "3.0.3",
        "info": {"title": "torchscope dashboard API", "version": __version__, "description": NONFINITE},
        "components": {"securitySchemes": {"token": {"type": "apiKey", "in": "query", "name": "token"}}},
        "security": [{}, {"token": []}],
        "paths": paths,
    }
