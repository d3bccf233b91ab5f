"""The OpenAPI schema is generated from the router: methods, paths and errors as the server answers them.

Every route under /api is in the schema with exactly its methods (and nothing else is); every other
method answers 405 with an ``Allow`` header naming the route's methods; routes and docs that drift
apart stop the app from building.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from torchscope.server import create_app
from torchscope.server.apidoc import Param
from torchscope.server.openapi import SchemaDriftError, api_routes, build_schema

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@pytest.fixture(scope="module")
def app(filled: Any) -> Any:
    return create_app(filled[0], warm=False)


def _served(app: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path, route in api_routes(app.routes):
        if path.startswith("/api/"):
            out.setdefault(path, set()).update(route.methods - {"HEAD"})
    return out


def test_schema_has_exactly_the_served_methods(app):
    documented = {p: {m.upper() for m in ops} for p, ops in app.state.openapi["paths"].items()}
    assert documented == _served(app)
    for path in ("/api/ganlab/open", "/api/ganlab/command", "/api/ganlab/close", "/api/ganlab/load"):
        assert documented[path] == {"POST"}, path  # they were documented as GET
        assert "requestBody" in app.state.openapi["paths"][path]["post"]
    assert documented["/api/runs/{run_id}"] == {"PATCH", "DELETE"}


def test_errors_and_required_parameters_are_documented(app):
    paths = app.state.openapi["paths"]
    for path in ("/api/gan/prototype", "/api/gan/counterfactual", "/api/gan/gif"):
        assert "409" in paths[path]["get"]["responses"], path  # they answer 409 when the run cannot serve them
    for path, ops in paths.items():
        for method, op in ops.items():
            assert {"400", "401", "403", "404"} <= set(op["responses"]), (method, path)
            if method != "get":
                assert {"413", "415"} <= set(op["responses"]), (method, path)
    series = {p["name"]: p for p in paths["/api/scalars/series"]["get"]["parameters"]}
    assert series["key"]["required"] and series["run"]["required"] and not series["buckets"]["required"]
    assert series["buckets"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 20000}
    assert series["run"]["schema"]["type"] == "array" and series["run"]["explode"] is True
    path_param = paths["/api/runs/{run_id}"]["patch"]["parameters"][0]
    assert path_param["in"] == "path" and path_param["required"] is True


@pytest.mark.parametrize("method", METHODS)
def test_other_methods_answer_405_with_allow(app, method):
    served = _served(app)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        for path, allowed in served.items():
            if method in allowed:
                continue
            r = c.request(method, path.replace("{run_id}", "x"), headers={"Content-Type": "application/json"},
                          content=b"{}" if method != "GET" else None)
            assert r.status_code == 405, (method, path, r.status_code)
            allow = {m.strip() for m in r.headers["allow"].split(",")}
            assert allow - {"HEAD"} == allowed, (method, path, r.headers["allow"])
            assert r.headers["content-type"] == "application/json" and "error" in r.json()


def _docs(extra: dict[str, Any]) -> dict[str, Any]:
    return {"/api": {"/a": {"summary": "a"}, **extra}}


def test_drift_stops_the_build():
    from starlette.routing import Mount

    async def ok(request: Any) -> Any:  # never called
        raise AssertionError

    routes = [Mount("/api", routes=[Route("/a", ok), Route("/b", ok, methods=["POST"])])]
    with pytest.raises(SchemaDriftError, match="route /api/b has no doc"):
        build_schema(routes, _docs({}))
    with pytest.raises(SchemaDriftError, match="POST /b has no documented body"):
        build_schema(routes, _docs({"/b": {"summary": "b"}}))
    with pytest.raises(SchemaDriftError, match="docs without a route: /api/c"):
        build_schema(routes, _docs({"/b": {"body": {"media": "application/json"}}, "/c": {}}))
    with pytest.raises(SchemaDriftError, match="a body must be"):
        build_schema(routes, _docs({"/b": {"body": {"media": "text/plain"}}}))
    schema = build_schema(routes, _docs({"/b": {"body": {"media": "application/json"}, "params": {
        "n": Param("n", type="integer", minimum=1, required=True)}}}))
    assert set(schema["paths"]["/api/b"]) == {"post"}  # from the route, whatever the doc says
    assert schema["paths"]["/api/b"]["post"]["parameters"][0]["required"] is True
