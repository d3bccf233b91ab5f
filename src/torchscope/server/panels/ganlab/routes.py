"""HTTP routes of the GAN lab panel, under ``/api/ganlab/``: a lab session per page.

``POST open`` starts a session; ``GET stream?session=`` is its server-sent event stream (one
``frame`` event per new frame, compact; ``gone`` when the session stopped); ``POST command``
takes any worker message (``play``, ``pause``, ``step``, ``slow``, ``configure``, ``speed``,
``reset``, ``status``, ``close``, ...) and answers the worker's reply; ``GET save`` downloads the
lab state, ``POST load`` uploads one; ``GET export`` downloads the lab over time as a GIF or a zip
of PNG frames; ``POST close`` (also by a ``keepalive`` fetch as the page goes away) stops a session; ``GET options``
lists targets, losses and defaults. A failed command answers ``{"ok": false, "error": ...}``
with status 200 (it is the protocol's reply, and the session lives on); an unknown session 404.

Example::

    POST /api/ganlab/command {"session": "ab12", "type": "configure", "changes": {"loss": "hinge"}}
"""

from __future__ import annotations

import base64
import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ...apidoc import Param
from ...download import attachment
from ...encode import JSON
from ...endpoint import Query
from ...params import int_param, text_param
from .hub import FramePacker, get_hub
from .recording import FORMATS, export, pick

__all__ = ["API_DOC", "routes"]

MAX_BODY = 32 * 1024 * 1024  # a saved lab state is well under 1 MB with the default networks


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise HTTPException(status_code=413, detail="request too large")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise HTTPException(status_code=400, detail="the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise HTTPException(status_code=400, detail="the body must be a JSON object")
    return data


def _session(request: Request, sid: str | None = None) -> Any:
    hub = get_hub(request.app)
    sid = sid or text_param(Query(request.query_params), "session", max_len=64)
    s = hub.session(sid)
    if s is None:
        raise HTTPException(status_code=404, detail=f"no lab session {sid!r} (it stopped); open a new one")
    return hub, s


def _plain(reply: dict[str, Any]) -> dict[str, Any]:
    return {k: base64.b64encode(v).decode() if isinstance(v, (bytes, bytearray)) else v for k, v in reply.items()}


async def open_session(request: Request) -> JSON:
    body = await _body(request)
    config = body.get("config") or {}
    if not isinstance(config, dict):
        raise HTTPException(status_code=400, detail="config must be an object of lab settings")
    reply = await run_in_threadpool(get_hub(request.app).open, config, body.get("fps"))
    return JSON(_plain(reply))


async def command(request: Request) -> JSON:
    msg = await _body(request)
    if msg.get("type") == "open":
        raise HTTPException(status_code=400, detail="use POST /api/ganlab/open to open a session")
    sid = str(msg.get("session") or "")
    if not sid:
        raise HTTPException(status_code=400, detail="give the session id in the body: {session, type, ...}")
    hub, _ = _session(request, sid)
    reply = await run_in_threadpool(hub.command, msg)
    return JSON(_plain(reply))


async def close(request: Request) -> JSON:
    body = await _body(request)
    sid = str(body.get("session") or request.query_params.get("session") or "")
    hub = get_hub(request.app)
    known = hub.session(sid) is not None
    await run_in_threadpool(hub.close, sid)
    return JSON({"ok": True, "closed": known})


def _next_chunk(hub: Any, sid: str, seq: int, packer: FramePacker) -> tuple[int, str | None]:
    """Wait up to 1 s for a frame newer than ``seq``; the SSE text to send (None: nothing new)."""
    s = hub.session(sid)
    if s is None:
        return seq, None
    f = s.frame(seq, 1.0, packer.rows)
    if f is None:
        return seq, None
    if f.get("history_epoch") != packer.epoch and f["history"]["since"] != 0:
        f = s.frame(f["seq"] - 1, 0.0, 0) or f  # new epoch: the browser needs the history from row 0
    rec = hub.recordings.get(sid)
    if rec is not None:
        rec.offer(s.latest())
    return f["seq"], f"event: frame\ndata: {packer.pack(f)}\n\n"


async def stream(request: Request) -> StreamingResponse:
    hub = get_hub(request.app)
    sid = text_param(Query(request.query_params), "session", max_len=64)

    async def events() -> Any:
        hub.attach(sid)
        try:
            yield "retry: 2000\n\n"
            packer, seq = FramePacker(), -1
            while True:
                if hub.session(sid) is None:
                    yield f"event: gone\ndata: {json.dumps({'error': f'lab session {sid} stopped'})}\n\n"
                    return
                seq, text = await run_in_threadpool(_next_chunk, hub, sid, seq, packer)
                yield text if text is not None else ": idle\n\n"  # an idle comment notices a closed page
        finally:
            hub.detach(sid)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


async def save(request: Request) -> Response:
    hub, s = _session(request)
    reply = await run_in_threadpool(hub.command, {"type": "save", "session": s.id})
    if not reply.get("ok"):
        return JSON(reply, status_code=400)
    name = f"ganlab-step{reply['step']}.pt"
    return Response(reply["state"], media_type="application/octet-stream",
                    headers={"Content-Disposition": attachment(name)})


async def load(request: Request) -> JSON:
    hub, s = _session(request)
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise HTTPException(status_code=413, detail="this file is too large to be a lab state")
    reply = await run_in_threadpool(hub.command, {"type": "load", "session": s.id, "state": raw})
    return JSON(_plain(reply))


def export_route(request: Request) -> Response:
    hub, s = _session(request)
    q = Query(request.query_params)
    fmt = text_param(q, "format", "gif", max_len=8)
    if fmt not in FORMATS:
        raise HTTPException(status_code=400, detail=f"format must be gif or png, got {fmt!r}")
    most = int_param(q, "frames", 40, 1, 400)
    curves = request.query_params.get("curves", "0") in ("1", "true", "yes")
    rec = hub.recordings.get(s.id)
    latest = s.latest()
    frames = pick(rec.frames(latest) if rec is not None else [latest], most)
    data = export(frames, fmt, curves=curves)
    media, ext = FORMATS[fmt]
    name = f"ganlab-step{frames[-1].step}.{ext}"
    return Response(data, media_type=media, headers={"Content-Disposition": attachment(name),
                                                     "X-Frames": str(len(frames))})


def options(request: Request) -> JSON:
    from ....gan.lab import LOSSES, TARGETS  # the lab trains with torch: imported when a page opens it
    from ....gan.lab.config import OPTIMIZERS, LabConfig
    from ....gan.lab.models import NOISES

    return JSON({"targets": [t for t in TARGETS if t != "drawn"], "losses": [
        {"name": k, "label": v.label} for k, v in LOSSES.items()], "optimizers": list(OPTIMIZERS),
        "noises": list(NOISES), "defaults": LabConfig().validated().to_dict(), "formats": list(FORMATS)})


routes = [
    Route("/open", open_session, methods=["POST"]),
    Route("/command", command, methods=["POST"]),
    Route("/close", close, methods=["POST"]),
    Route("/stream", stream),
    Route("/save", save),
    Route("/load", load, methods=["POST"]),
    Route("/export", export_route),
    Route("/options", options),
]

_SESSION = Param("session id", required=True, max_length=64)


def _object(required: tuple[str, ...] = (), **props: Any) -> dict[str, Any]:
    return {"media": "application/json", "schema": {"type": "object", "required": list(required), "properties": props}}


API_DOC: dict[str, dict[str, Any]] = {
    "/open": {"summary": "POST {config, fps}: open a lab session; the reply has its id",
              "body": _object(config={"type": "object"}, fps={"type": "number"})},
    "/command": {"summary": "POST a worker message {session, type, ...} (docs/gan_lab.md); the reply",
                 "body": _object(("session", "type"), session={"type": "string", "minLength": 1, "maxLength": 64},
                                 type={"type": "string"})},
    "/close": {"summary": "POST {session}: stop a session",
               "params": {"session": Param("session id (or in the body)", max_length=64)},
               "body": _object(session={"type": "string", "maxLength": 64})},
    "/stream": {"summary": "Server-sent events: compact lab frames of a session", "media": "text/event-stream",
                "params": {"session": _SESSION}, "stream": True},
    "/save": {"summary": "The lab state as a file (torch.save)", "media": "application/octet-stream",
              "params": {"session": _SESSION}},
    "/load": {"summary": "POST the bytes of a saved state: replace the session's lab", "params": {"session": _SESSION},
              "body": {"media": "application/octet-stream", "schema": {"type": "string", "format": "binary"}}},
    "/export": {"summary": "The lab over time as a GIF or a zip of PNG frames",
                "media": ("image/gif", "application/zip"),
                "params": {"session": _SESSION, "format": Param("gif or png", enum=tuple(FORMATS)),
                           "frames": Param("most frames (40)", type="integer", minimum=1, maximum=400),
                           "curves": Param("1: draw the curves too", enum=("0", "1", "true", "false", "yes", "no"))}},
    "/options": {"summary": "Targets, losses, optimizers, noises and default settings"},
}
