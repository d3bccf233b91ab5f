"""The report's in-process ASGI client: what it sends, what it collects, and no httpx."""

from __future__ import annotations

import asyncio

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from torchscope.report.inprocess import InProcessClient


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"path": request.url.path, "query": request.query_params.multi_items(),
                         "host": request.headers["host"], "client": request.client.host if request.client else None})


async def stream(request: Request) -> StreamingResponse:
    async def parts():
        for i in range(3):
            await asyncio.sleep(0.01)
            yield f"part {i};".encode()
    return StreamingResponse(parts(), media_type="text/plain")


async def broken(request: Request) -> JSONResponse:
    raise RuntimeError("a bug in a route")


APP = Starlette(routes=[Route("/api/echo/{name}", echo), Route("/stream", stream), Route("/broken", broken)])


def test_query_pairs_and_names_in_any_script_arrive_as_sent():
    with InProcessClient(APP) as client:
        r = client.get("/api/echo/übung", params=[("key", "train/损失"), ("run", "a"), ("run", "b c&d")])
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        assert r.json() == {"path": "/api/echo/übung", "query": [["key", "train/损失"], ["run", "a"], ["run", "b c&d"]],
                            "host": "127.0.0.1", "client": "127.0.0.1"}
        assert client.get("/api/echo/x", params={"run": ["a", "b"], "n": 3}).json()["query"] == [
            ["run", "a"], ["run", "b"], ["n", "3"]]


def test_a_streamed_answer_is_collected_whole():
    with InProcessClient(APP) as client:
        r = client.get("/stream")
        assert r.status_code == 200 and r.text == "part 0;part 1;part 2;"


def test_an_unhandled_error_is_raised_not_hidden():
    with InProcessClient(APP) as client, pytest.raises(RuntimeError, match="a bug in a route"):
        client.get("/broken")


def test_it_works_where_an_event_loop_already_runs():  # a notebook calling build_report
    async def inside() -> int:
        with InProcessClient(APP) as client:
            return client.get("/api/echo/x").status_code

    assert asyncio.run(inside()) == 200
