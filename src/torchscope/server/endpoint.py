"""A panel route as a plain data function, ``fn(ctx, query) -> answer``, and the Starlette route around it.

A *data function* takes the app's :class:`~.context.PanelContext` and a :class:`Query` (the query
parameters, read with the typed accessors of :mod:`.params`) and returns an *answer*:

- JSON-able data (dicts, lists, numbers, strings, numpy arrays and scalars), sent as strict JSON
  (:func:`~.encode.dumps`: non-finite floats as strings);
- a :class:`Blob`: bytes (or a memoryview) with a media type (an image, a binary frame), and headers;
- a :class:`Download`: a CSV or text stream with a file name (any script: RFC 6266).

It raises the typed errors of :mod:`torchscope.errors` (``NotFound`` 404, ``InvalidArgument`` 400,
...), never an HTTP exception. :func:`endpoint` makes the ``GET`` route that calls it for a request
(in the thread pool) and turns its answer into the response; the static report calls the same
function with no request, no ASGI and no HTTP (:func:`encode_answer` gives the same bytes), by the
route's path below ``/api/`` (:func:`endpoints`). Routes that change state (``POST``, the GAN lab's
sessions, run administration) stay plain Starlette routes: a report never calls them.

Example::

    def entries(ctx: PanelContext, q: Query) -> dict[str, Any]:
        key = text_param(q, "key")
        return {"key": key, "runs": {rid: [t.text for t in ctx.provider.texts(rid, key)] for rid in run_ids(q)}}

    routes = [endpoint("/entries", entries)]        # GET /api/<panel>/entries?key=notes&run=a1
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route

from .context import PanelContext, context
from .download import attachment
from .encode import JSON, dumps

__all__ = ["Blob", "DataFn", "Download", "Endpoint", "Query", "encode_answer", "endpoint", "endpoints", "respond"]


class Query:
    """The query parameters of one request, as ``(name, value)`` pairs in order.

    ``Query(request.query_params)``, ``Query([("run", "a"), ("run", "b")])`` or
    ``Query({"run": ["a", "b"], "buckets": 512})`` (a list repeats the name). ``get`` gives the
    last value of a name (as Starlette's ``QueryParams`` does), ``getlist`` every value.
    """

    __slots__ = ("_items", "_last")

    def __init__(self, params: Any = ()) -> None:
        if hasattr(params, "multi_items"):  # Starlette's QueryParams
            items = [(str(k), str(v)) for k, v in params.multi_items()]
        elif isinstance(params, Mapping):
            items = [(str(k), str(x)) for k, v in params.items()
                     for x in (v if isinstance(v, (list, tuple)) else [v])]
        else:
            items = [(str(k), str(v)) for k, v in params]
        self._items: list[tuple[str, str]] = items
        self._last: dict[str, str] = dict(items)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The last value given for ``name``, or ``default``: ``q.get("format")``."""
        return self._last.get(name, default)

    def getlist(self, name: str) -> list[str]:
        """Every value given for ``name``, in order: ``q.getlist("run")``."""
        return [v for k, v in self._items if k == name]

    def items(self) -> list[tuple[str, str]]:
        """Every ``(name, value)`` pair, in order."""
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._last

    def __repr__(self) -> str:
        return f"Query({self._items!r})"


@dataclasses.dataclass(frozen=True)
class Blob:
    """Bytes with a media type: ``Blob(png, "image/png", {"Cache-Control": "private, max-age=3600"})``
    (``data`` may be a memoryview of a contiguous buffer: sent without a copy)."""

    data: bytes | memoryview
    media_type: str
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Download:
    """A text stream saved as a file: ``Download(rows(), "train_loss.csv")`` (chunks of str or bytes)."""

    chunks: Iterable[str | bytes]
    filename: str
    media_type: str = "text/csv"


DataFn = Callable[[PanelContext, Query], Any]


def respond(answer: Any) -> Response:
    """The HTTP response of a data function's answer (see the module doc)."""
    if isinstance(answer, Blob):
        return Response(answer.data, media_type=answer.media_type, headers=dict(answer.headers))
    if isinstance(answer, Download):
        return StreamingResponse(iter(answer.chunks), media_type=answer.media_type,
                                 headers={"Content-Disposition": attachment(answer.filename)})
    return JSON(answer)


def _utf8(chunks: Iterable[str | bytes]) -> Iterator[bytes]:
    for c in chunks:
        yield c.encode() if isinstance(c, str) else c


def encode_answer(answer: Any) -> tuple[bytes, str]:
    """``(body, media type)`` of an answer: the bytes :func:`respond` sends, without a response."""
    if isinstance(answer, Blob):
        return bytes(answer.data), answer.media_type
    if isinstance(answer, Download):
        return b"".join(_utf8(answer.chunks)), answer.media_type
    return dumps(answer), "application/json"


class Endpoint(Route):
    """A ``GET`` route over a data function; ``route.fn`` is the function (made by :func:`endpoint`)."""

    def __init__(self, path: str, fn: DataFn, *, name: str | None = None) -> None:
        self.fn = fn

        def handle(request: Request) -> Response:  # a plain def: Starlette runs it in its thread pool
            return respond(fn(context(request), Query(request.query_params)))

        handle.__name__ = handle.__qualname__ = getattr(fn, "__name__", "endpoint")
        super().__init__(path, handle, methods=["GET"], name=name)


def endpoint(path: str, fn: DataFn, *, name: str | None = None) -> Endpoint:
    """The ``GET`` route at ``path`` answered by ``fn(ctx, query)``: ``endpoint("/series", series)``."""
    return Endpoint(path, fn, name=name)


def endpoints(routes: Iterable[BaseRoute], prefix: str = "") -> dict[str, DataFn]:
    """Every data function under ``routes`` (Mounts walked) by its path below ``/api/``:
    ``endpoints(app.routes)["scalars/series"]``."""
    out: dict[str, DataFn] = {}
    for r in routes:
        if isinstance(r, Mount):
            out.update(endpoints(r.routes, prefix + r.path))
        elif isinstance(r, Endpoint) and (prefix + r.path).startswith("/api/"):
            out[(prefix + r.path)[len("/api/"):]] = r.fn
    return out
