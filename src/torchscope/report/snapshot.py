"""A snapshot of the dashboard's API: the answers a report's panels will ask for, kept as bytes.

:class:`Snapshot` calls the dashboard's data functions themselves (the functions behind its read
routes, :mod:`torchscope.server.endpoint`), looked up by the route's path below ``/api/``, with a
:class:`~torchscope.server.context.PanelContext` and the request's query: no HTTP, no ASGI, no
request object; the bytes are those the route sends. It keeps each answer under its request: the route,
its sorted query parameters and how the panel reads it (``json``, ``bin`` for ``api.binary``, ``url``
for ``api.url``). Answers go into two packs, deduplicated by content: already-compressed images as
they are, everything else in one gzip stream (decompressed in the browser by
``DecompressionStream``). In the page, ``web/offline.js`` answers ``api.json/binary/url`` from it.

Example::

    snap = Snapshot.of(create_app(store, warm=False))
    keys = snap.json("keys", {"run": ["a1"], "kind": "scalar"})   # the parsed answer (None on error)
    packs = snap.packs()                                            # (entries, gzip bytes, raw bytes)
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ..errors import TorchscopeError
from ..server.context import PanelContext, app_context
from ..server.endpoint import DataFn, Query, encode_answer

__all__ = ["Snapshot", "canonical"]

RAW_MIME = ("image/png", "image/jpeg", "image/gif", "image/webp")


def _pairs(params: Mapping[str, Any] | None) -> list[tuple[str, str | int | float | bool | None]]:
    """Query pairs as the web client sends them (``web/api.js`` ``query``): lists repeat, empties drop."""
    out: list[tuple[str, str | int | float | bool | None]] = []
    for k, v in (params or {}).items():
        for item in v if isinstance(v, (list, tuple)) else [v]:
            if item is None or item == "":
                continue
            if isinstance(item, (bool, float)):
                raise TypeError(f"parameter {k}={item!r}: pass ints or strings (JS and Python print floats "
                                "and booleans differently)")
            out.append((k, str(item)))
    return sorted(out)


def canonical(path: str, params: Mapping[str, Any] | None) -> str:
    """The lookup key of a request: ``canonical("keys", {"run": ["b", "a"]})`` -> ``"keys?run=a&run=b"``.

    The same function is written in ``web/offline.js``: the path, ``?`` and the sorted pairs.
    """
    return path + "?" + "&".join(f"{k}={v}" for k, v in _pairs(params))


class Snapshot:
    """Answers of the data functions ``endpoints`` (by path below ``/api/``) in ``ctx``; see the module doc."""

    def __init__(self, ctx: PanelContext, endpoints: Mapping[str, DataFn]) -> None:
        self.ctx, self.endpoints = ctx, endpoints
        self.entries: dict[str, dict[str, Any]] = {}
        self.failed: list[str] = []
        self._blobs: dict[str, tuple[str, int, int]] = {}  # digest -> (pack, offset, length)
        self._z = bytearray()
        self._r = bytearray()

    @classmethod
    def of(cls, app: Any) -> Snapshot:
        """The snapshot of an app made by ``create_app``: its context and its data functions."""
        return cls(app_context(app), app.state.endpoints)

    def answer(self, path: str, params: Mapping[str, Any] | None) -> tuple[bytes, str] | None:
        """``(body, media type)`` of ``GET /api/<path>?params``, as the route sends it, without keeping it;
        None (and a line in ``failed``) when the answer is an error (404, 400...). Other exceptions propagate."""
        fn = self.endpoints.get(path)
        if fn is None:
            self.failed.append(f"{canonical(path, params)}: 404 no such route")
            return None
        try:
            return encode_answer(fn(self.ctx, Query(_pairs(params))))
        except TorchscopeError as exc:  # what the route answers with its status
            self.failed.append(f"{canonical(path, params)}: {exc.status} {str(exc)[:200]}")
            return None

    def _keep(self, path: str, params: Mapping[str, Any] | None, how: str, body: bytes, mime: str) -> None:
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        if digest not in self._blobs:
            pack = "r" if mime in RAW_MIME else "z"
            buf = self._r if pack == "r" else self._z
            self._blobs[digest] = (pack, len(buf), len(body))
            buf += body
        pack, off, n = self._blobs[digest]
        key = canonical(path, params)
        self.entries[f"{how} {key}"] = {"path": path, "params": _pairs(params), "how": how, "mime": mime,
                                        "pack": pack, "offset": off, "length": n}

    def has(self, how: str, path: str, params: Mapping[str, Any] | None) -> bool:
        return f"{how} {canonical(path, params)}" in self.entries

    def json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``/api/<path>``, keep it for ``api.json`` and return it parsed (None when it failed)."""
        got = self.answer(path, params)
        if got is None:
            return None
        self._keep(path, params, "json", *got)
        return json.loads(got[0])

    def binary(self, path: str, params: Mapping[str, Any] | None = None) -> bytes | None:
        """GET with ``format=bin`` (what ``api.binary`` asks), keep it, return the bytes."""
        q = {**(params or {}), "format": "bin"}
        got = self.answer(path, q)
        if got is not None:
            self._keep(path, q, "bin", *got)
        return got[0] if got else None

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> bytes | None:
        """GET something a panel loads through ``api.url`` (an image, a CSV, a binary file)."""
        got = self.answer(path, params)
        if got is not None:
            self._keep(path, params, "url", *got)
        return got[0] if got else None

    def add(self, path: str, params: Mapping[str, Any] | None, how: str, body: bytes, mime: str) -> None:
        """Keep an answer made here rather than by the app (a report-only view)."""
        self._keep(path, params, how, body, mime)

    @property
    def size(self) -> int:
        """Bytes kept so far (before compression)."""
        return len(self._z) + len(self._r)

    def packs(self) -> tuple[list[list[Any]], bytes, bytes]:
        """``(entries, gzip pack, raw pack)``; entries are ``[how, path, pairs, mime, pack, offset, length]``."""
        rows = [[e["how"], e["path"], [list(p) for p in e["params"]], e["mime"], e["pack"], e["offset"], e["length"]]
                for e in self.entries.values()]
        return rows, gzip.compress(bytes(self._z), compresslevel=9, mtime=0), bytes(self._r)
