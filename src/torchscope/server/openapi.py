"""The OpenAPI 3 schema of the JSON API, generated from the app's routes (see :mod:`.apidoc`).

Paths, methods and path parameters come from the router itself; each route's doc (summary, query
parameters, body, content types, extra errors) sits beside the route in its module or panel. A
route without a doc, or a doc without a route, raises :class:`SchemaDriftError` when the app is
built, so the schema cannot drift from what the server answers.

Example::

    schema = build_schema(app.routes, {"/api": API_DOC, "/api/text": text_panel.api_doc})
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from starlette.routing import Mount, Route

from .. import __version__
from .apidoc import as_param
from .csrf import BODY_TYPES, SAFE_METHODS

__all__ = ["SchemaDriftError", "api_routes", "build_schema"]

NONFINITE = ('Non-finite floats travel as the strings "NaN", "Infinity" and "-Infinity" in numeric fields. '
             "With a token, pass ?token=..., an Authorization: token ... header, or the cookie set on the page. "
             "POST, PUT and PATCH take Content-Type: application/json (or application/octet-stream); requests "
             "from other sites that would change anything are refused (403).")
_ERROR = {"application/json": {"schema": {"type": "object", "properties": {"error": {"type": "string"}}}}}
COMMON_ERRORS = {"400": "bad parameter", "401": "no or wrong token",
                 "403": "a cross-site request (Origin / Sec-Fetch-Site), refused", "404": "no such run, key or record"}
BODY_ERRORS = {"413": "request body too large", "415": "the body is not JSON (or octet-stream)"}


class SchemaDriftError(RuntimeError):
    """The routes and their docs disagree: a route has no doc, or a doc names no route."""


def api_routes(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, Route]]:
    """``(full path, route)`` for every Route under ``routes`` (Mounts walked): ``dict(api_routes(app.routes))``."""
    for r in routes:
        if isinstance(r, Mount):
            yield from api_routes(r.routes, prefix + r.path)
        elif isinstance(r, Route):
            yield prefix + r.path, r


def _path_template(path: str) -> str:
    """Starlette's ``/runs/{run_id:str}`` as OpenAPI's ``/runs/{run_id}``."""
    out, rest = "", path
    while "{" in rest:
        head, _, tail = rest.partition("{")
        name, _, rest = tail.partition("}")
        out += head + "{" + name.split(":")[0] + "}"
    return out + rest


def _operation(route: Route, template: str, doc: dict[str, Any], method: str, tag: str) -> dict[str, Any]:
    doc = {**doc, **doc.get("by_method", {}).get(method.lower(), {})}
    params = [as_param(p).to_openapi(n) for n, p in doc.get("params", {}).items()]
    params += [{"name": n, "in": "path", "required": True, "description": doc.get("path", {}).get(n, n),
                "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[^/\\x00]+$"}}
               for n in route.param_convertors]
    media = doc.get("media", "application/json")
    media = (media,) if isinstance(media, str) else tuple(media)
    responses: dict[str, Any] = {"200": {"description": doc.get("returns", "the answer"),
                                         "content": {m: {} for m in media}}}
    errors = {**COMMON_ERRORS, **({} if method in SAFE_METHODS else BODY_ERRORS),
              **{str(k): v for k, v in doc.get("errors", {}).items()}}
    responses.update({code: {"description": why, "content": _ERROR} for code, why in sorted(errors.items())})
    op: dict[str, Any] = {"summary": doc.get("summary", ""), "tags": [tag], "parameters": params,
                          "responses": responses,
                          "operationId": method.lower() + "".join(c if c.isalnum() else "_" for c in template)}
    body = doc.get("body")
    if body is not None:
        if body["media"] not in BODY_TYPES:
            raise SchemaDriftError(f"{route.path}: a body must be one of {sorted(BODY_TYPES)}")
        op["requestBody"] = {"required": True, "content": {body["media"]: {"schema": body.get("schema", {})}}}
    elif method not in SAFE_METHODS and method != "DELETE":
        raise SchemaDriftError(f"{method} {route.path} has no documented body (it must send JSON)")
    if doc.get("stream"):
        op["x-stream"] = True
    return op


def build_schema(routes: Iterable[Any], docs: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """OpenAPI for the routes under ``/api``: ``docs`` maps a prefix (``/api``, ``/api/text``) to its docs.

    Raises :class:`SchemaDriftError` when a route under ``/api`` has no doc or a doc has no route.
    """
    by_path = {prefix + path: (prefix.rsplit("/", 1)[-1] if prefix != "/api" else "core", doc)
               for prefix, group in docs.items() for path, doc in group.items()}
    paths: dict[str, Any] = {}
    for full, route in api_routes(routes):
        if not full.startswith("/api/"):
            continue
        template = _path_template(full)
        if template not in by_path:
            raise SchemaDriftError(f"route {template} has no doc (add it to its module's or panel's api doc)")
        tag, doc = by_path[template]
        methods = sorted((route.methods or {"GET"}) - {"HEAD"})
        paths.setdefault(template, {}).update({m.lower(): _operation(route, template, doc, m, tag) for m in methods})
    missing = sorted(set(by_path) - set(paths))
    if missing:
        raise SchemaDriftError(f"docs without a route: {', '.join(missing)}")
    return {
        "openapi": "3.0.3",
        "info": {"title": "torchscope dashboard API", "version": __version__, "description": NONFINITE},
        "components": {"securitySchemes": {"token": {"type": "apiKey", "in": "query", "name": "token"}}},
        "security": [{}, {"token": []}],
        "paths": paths,
    }
