"""Core JSON routes: runs (list, update, delete), projects, keys, panels, health.

The reads (runs, projects, keys) are data functions (``fn(ctx, query)``, see :mod:`.endpoint`), which
the static report calls too; the routes that change runs, and those about the server itself
(health, panels, the schema), are plain Starlette routes. Sync handlers run in Starlette's thread pool.

Example::

    GET /api/runs?project=mnist      -> {"runs": [{"id": ..., "name": ..., "status": ...}]}
    PATCH /api/runs/<id> {"name": "best"}
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from .. import __version__
from ..errors import InvalidArgument, NotFound
from ..store.admin import RunAdmin
from .apidoc import RUN, Param
from .context import PanelContext, context
from .encode import JSON
from .endpoint import Query, endpoint
from .params import run_ids

__all__ = ["API_DOC", "routes"]

KINDS = ("scalar", "image", "histogram", "text", "record")


def health(request: Request) -> JSON:
    """Liveness, plus the warm-up's progress and the series cache's use (for benchmarks, debugging)."""
    state = request.app.state
    w = state.warmer
    warm = {"state": w.state, "reads": w.reads, "seconds": round(w.seconds, 3)} if w else {"state": "off"}
    provider = context(request).provider
    return JSON({"ok": True, "version": __version__, "dir": provider.location, "warm": warm,
                 "cache": provider.cache.stats()})


def list_runs(ctx: PanelContext, q: Query) -> dict[str, Any]:
    project = q.get("project") or None
    archived = q.get("archived")
    flag = None if archived in (None, "", "all") else archived in ("1", "true")
    runs = ctx.provider.runs(project=project, archived=flag)
    return {"runs": [r.to_json() for r in runs]}


def projects(ctx: PanelContext, q: Query) -> dict[str, Any]:
    return {"projects": ctx.provider.projects()}


def keys(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """The union of keys over runs: ``{"keys": [{"key", "kind", "runs": [ids], "count"}]}``."""
    kind = q.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise InvalidArgument(f"kind must be one of {', '.join(KINDS)}")
    reader = ctx.provider  # finished runs' listings are kept
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for rid in run_ids(q):
        try:
            infos = reader.keys(rid, kind=kind)
        except NotFound:
            continue
        for k in infos:
            if k.rank != 0:
                continue
            entry = merged.setdefault((k.kind, k.key), {"key": k.key, "kind": k.kind, "runs": [], "count": 0,
                                                        "record_kind": k.record_kind})
            entry["runs"].append(rid)
            entry["count"] += k.count
    return {"keys": sorted(merged.values(), key=lambda e: (e["kind"], e["key"]))}


async def update_run(request: Request) -> JSON:
    """Rename, retag, annotate or archive: body ``{"name"?, "tags"?, "notes"?, "archived"?}``."""
    run_id = _path_run_id(request)
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(400, "the body must be JSON") from None
    if not isinstance(body, dict) or set(body) - {"name", "tags", "notes", "archived"}:
        raise HTTPException(400, "the body must be an object with name, tags, notes and/or archived")
    try:
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a lone surrogate (\ud800) is valid JSON but no text SQLite can store
        raise HTTPException(400, "the body holds a lone surrogate (not valid Unicode text)") from None
    ctx = context(request)
    admin = _admin(request)
    info = await run_in_threadpool(lambda: admin.update_run(run_id, **body))
    ctx.provider.invalidate(run_id)
    return JSON({"run": info.to_json()})


async def delete_run(request: Request) -> JSON:
    run_id = _path_run_id(request)
    admin = _admin(request)
    await run_in_threadpool(admin.delete_run, run_id)
    context(request).provider.invalidate(run_id)
    return JSON({"deleted": run_id})


def _admin(request: Request) -> RunAdmin:
    if not request.state.admin:  # set by TokenAuth: a read token does not change runs
        raise HTTPException(403, "changing runs needs the admin token: open the dashboard with the URL "
                                 "`torchscope serve --admin-token ...` printed for admins")
    admin = context(request).admin
    if admin is None:
        raise HTTPException(405, "this store is read-only: runs cannot be changed here")
    return admin


async def run(request: Request) -> JSON:
    """``/runs/{run_id}``: PATCH updates the run, DELETE deletes it (one route, so 405 lists both)."""
    return await (update_run(request) if request.method == "PATCH" else delete_run(request))


def _path_run_id(request: Request) -> str:
    run_id = request.path_params["run_id"]
    if len(run_id) > 200 or "\x00" in run_id:
        raise HTTPException(400, "malformed run id")
    return run_id


def panels(request: Request) -> JSON:
    return JSON({"panels": [p.to_json() for p in request.app.state.panels]})


def openapi(request: Request) -> JSON:
    return JSON(request.app.state.openapi)


routes = [
    Route("/health", health),
    endpoint("/runs", list_runs),
    Route("/runs/{run_id}", run, methods=["PATCH", "DELETE"]),
    endpoint("/projects", projects),
    endpoint("/keys", keys),
    Route("/panels", panels),
    Route("/openapi.json", openapi),
]

_UPDATE = {"type": "object", "additionalProperties": False, "properties": {
    "name": {"type": "string", "maxLength": 1000, "pattern": "\\S"},
    "tags": {"type": "array", "items": {"type": "string"}}, "notes": {"type": "string"},
    "archived": {"type": "boolean"}}}
API_DOC: dict[str, dict[str, Any]] = {
    "/health": {"summary": "Liveness and version"},
    "/runs": {"summary": "Runs, newest first",
              "params": {"project": "only this project",
                         "archived": Param("1 or true: archived runs only, 0 or false: the others; all (default)",
                                           enum=("", "all", "0", "1", "true", "false"))}},
    "/runs/{run_id}": {"summary": "PATCH: update name/tags/notes/archived (JSON body); DELETE: delete the run",
                       "path": {"run_id": "run id"},
                       "by_method": {"patch": {"summary": "Update a run's name, tags, notes or archived flag",
                                               "body": {"media": "application/json", "schema": _UPDATE}},
                                     "delete": {"summary": "Delete a run and all its data"}}},
    "/projects": {"summary": "Project names"},
    "/keys": {"summary": "Keys logged in the given runs (rank 0), by kind",
              "params": {"run": RUN, "kind": Param("scalar, image, histogram, text or record",
                                                    enum=("", *KINDS))}},
    "/panels": {"summary": "The dashboard panels and the error of any that failed to load"},
    "/events": {"summary": "Server-sent events: runs, new scalar points, new keys", "media": "text/event-stream",
                "stream": True},
    "/openapi.json": {"summary": "This schema"},
}
