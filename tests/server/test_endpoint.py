"""Routes as data functions (``server/endpoint.py``): the Query and its typed accessors, the adapter that
turns an answer into a response, and every read route of the app being one."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from torchscope.errors import InvalidArgument, NotFound
from torchscope.server import create_app
from torchscope.server.context import PanelContext
from torchscope.server.endpoint import Blob, Download, Endpoint, Query, encode_answer, endpoint, endpoints
from torchscope.server.openapi import api_routes
from torchscope.server.params import float_param, int_param, one_run, run_ids, text_param

# the GET routes that stay plain Starlette routes: they describe the server, stream, or start/poll jobs
# and sessions (a report never asks them)
PLAIN = {"/api/health", "/api/panels", "/api/openapi.json", "/api/events", "/api/gan/prototype",
         "/api/gan/counterfactual", "/api/gan/job", "/api/gan/gif", "/api/ganlab/stream", "/api/ganlab/save",
         "/api/ganlab/export", "/api/ganlab/options"}


def test_query_keeps_pairs_in_order_and_gives_the_last_value() -> None:
    q = Query([("run", "b"), ("key", "train/损失"), ("run", "a"), ("key", "übung")])
    assert q.getlist("run") == ["b", "a"] and q.get("key") == "übung" and q.get("x") is None
    assert q.get("x", "step") == "step" and "run" in q and "x" not in q
    assert Query({"run": ["a", "b"], "buckets": 512}).items() == [("run", "a"), ("run", "b"), ("buckets", "512")]
    assert run_ids(Query({"run": ["a", "b", "a"], "runs": "c,,b"})) == ["a", "b", "c"]
    assert one_run(Query({"run": ["z", "y"]})) == "z"


@pytest.mark.parametrize(("call", "message"), [
    (lambda: text_param(Query(), "key"), "missing query parameter 'key'"),
    (lambda: text_param(Query({"key": "x" * 1001}), "key"), "too long"),
    (lambda: text_param(Query({"key": "a\x00b"}), "key"), "NUL"),
    (lambda: run_ids(Query()), "at least one run"),
    (lambda: run_ids(Query({"run": "x" * 201})), "malformed"),
    (lambda: int_param(Query({"n": "1.5"}), "n", 0, 0, 9), "must be an integer"),
    (lambda: int_param(Query({"n": "10"}), "n", 0, 0, 9), r"must be in \[0, 9\]"),
    (lambda: float_param(Query({"lo": "inf"}), "lo"), "finite"),
    (lambda: float_param(Query({"lo": "abc"}), "lo"), "must be a number"),
])
def test_accessors_raise_the_typed_400(call: Any, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message) as got:
        call()
    assert got.value.status == 400


def test_defaults_and_good_values() -> None:
    q = Query({"n": "7", "lo": "-1.5", "empty": ""})
    assert int_param(q, "n", 0, 0, 9) == 7 and int_param(q, "empty", 3, 0, 9) == 3 and int_param(q, "m", 4, 0, 9) == 4
    assert float_param(q, "lo") == -1.5 and float_param(q, "empty") is None
    assert text_param(q, "missing", "d") == "d"


def _answers(ctx: PanelContext, q: Query) -> Any:
    what = q.get("what")
    if what == "png":
        return Blob(b"\x89PNG...", "image/png", {"X-Content-Type-Options": "nosniff"})
    if what == "csv":
        return Download(iter(["a,b\n", b"1,2\n"]), "train/损失.csv")
    if what == "missing":
        raise NotFound("no such thing")
    if what == "bad":
        raise InvalidArgument("bad what")
    if what == "bug":
        raise KeyError("a bug of ours")
    return {"value": np.array([1.0, math.nan, -math.inf]), "n": np.int64(3), "text": "übung"}


@pytest.fixture(scope="module")
def app(filled: tuple[Path, dict[str, Any]]) -> Starlette:
    app = create_app(filled[0], warm=False, panels=["text"])
    app.router.routes.insert(0, endpoint("/api/answers", _answers))
    return app


@pytest.mark.parametrize("what", ["json", "png", "csv"])
def test_the_route_sends_what_encode_answer_gives(app: Starlette, what: str) -> None:
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        r = client.get("/api/answers", params={"what": what})
    body, media = encode_answer(_answers(app.state.context, Query({"what": what})))
    assert r.status_code == 200 and r.content == body
    assert r.headers["content-type"].split(";")[0] == media
    if what == "json":
        assert r.json() == {"value": [1.0, "NaN", "-Infinity"], "n": 3, "text": "übung"}
    if what == "png":
        assert r.headers["x-content-type-options"] == "nosniff"
    if what == "csv":
        assert body == b"a,b\n1,2\n"
        assert r.headers["content-disposition"] == ("attachment; filename=\"train___.csv\"; "
                                                    "filename*=UTF-8''train%2F%E6%8D%9F%E5%A4%B1.csv")


@pytest.mark.parametrize(("what", "status"), [("missing", 404), ("bad", 400), ("bug", 500)])
def test_typed_errors_choose_the_status_anything_else_is_a_500(app: Starlette, what: str, status: int) -> None:
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        r = client.get("/api/answers", params={"what": what})
    assert r.status_code == status
    if status < 500:
        assert r.json() == {"error": "no such thing" if what == "missing" else "bad what"}


def test_every_read_route_is_a_data_function(filled: tuple[Path, dict[str, Any]]) -> None:
    app = create_app(filled[0], warm=False)
    table = endpoints(app.routes)
    assert table is not app.state.endpoints and table == app.state.endpoints
    gets = {path: r for path, r in api_routes(app.routes)
            if path.startswith("/api/") and (r.methods or set()) <= {"GET", "HEAD"}}
    plain = {path for path, r in gets.items() if not isinstance(r, Endpoint)}
    assert plain == PLAIN, "a new read route should be endpoint(path, fn) (or listed here, with a reason)"
    assert set(table) == {path[len("/api/"):] for path in gets} - {p[len("/api/"):] for p in PLAIN}
    assert len(table) >= 40 and table["scalars/series"].__name__ == "series"
