"""A snapshot of the dashboard's API: the answers a report's panels will ask for, kept as bytes.

:class:`Snapshot` asks the real dashboard app (``create_app(store, warm=False)``, in-process
through :class:`~.inprocess.InProcessClient`, which needs no httpx) and keeps each answer under
its request: the route, its sorted query parameters and how the panel reads it (``json``, ``bin``
for ``api.binary``, ``url`` for ``api.url``). Answers go into two packs, deduplicated by content: already-compressed
images as they are, everything else in one gzip stream (decompressed in the browser by
``DecompressionStream``). In the page, ``web/offline.js`` answers ``api.json/binary/url`` from it.

Example::

    snap = Snapshot(app)
    keys = snap.json("keys", {"run": ["a1"], "kind": "scalar"})   # the parsed answer (None on error)
    packs = snap.packs()                                            # (entries, gzip bytes, raw bytes)
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from .inprocess import InProcessClient

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
    """Answers of one app, by request; see the module docstring."""

    def __init__(self, app: Any) -> None:
        self.client = InProcessClient(app)  # from a loopback Host, as the app asks
        self.entries: dict[str, dict[str, Any]] = {}
        self.failed: list[str] = []
        self._blobs: dict[str, tuple[str, int, int]] = {}  # digest -> (pack, offset, length)
        self._z = bytearray()
        self._r = bytearray()

    def _get(self, path: str, params: Mapping[str, Any] | None) -> tuple[bytes, str] | None:
        r = self.client.get("/api/" + path, params=_pairs(params))
        if r.status_code != 200:
            msg = r.text[:200]
            self.failed.append(f"{canonical(path, params)}: {r.status_code} {msg}")
            return None
        return r.content, r.headers.get("content-type", "application/octet-stream").split(";")[0]

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
        got = self._get(path, params)
        if got is None:
            return None
        self._keep(path, params, "json", *got)
        return json.loads(got[0])

    def binary(self, path: str, params: Mapping[str, Any] | None = None) -> bytes | None:
        """GET with ``format=bin`` (what ``api.binary`` asks), keep it, return the bytes."""
        q = {**(params or {}), "format": "bin"}
        got = self._get(path, q)
        if got is not None:
            self._keep(path, q, "bin", *got)
        return got[0] if got else None

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> bytes | None:
        """GET something a panel loads through ``api.url`` (an image, a CSV, a binary file)."""
        got = self._get(path, params)
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

    def close(self) -> None:
        self.client.close()
