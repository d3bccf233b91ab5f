"""The server side of the GAN lab panel: one :class:`~torchscope.gan.LabWorker` per app, and what it needs.

:class:`Hub` wraps the engine's worker (it never touches a lab itself): it opens one lab session
per browser page, forwards commands, counts the event streams attached to each session and
stops a session ``grace`` seconds after its last stream closed (the page went away; the worker's
``idle_timeout`` is the backstop), and keeps a :class:`~.recording.Recording` of each session for
GIF/PNG export. :class:`FramePacker` turns the worker's frame messages into the compact frames
one stream sends: history and metric rows incrementally, and the fixed parts (``real``,
``centers``, ``config``) only when they changed.

Example::

    hub = Hub(); sid = hub.open({"target": "moons"})["session"]; hub.command({"type": "play", "session": sid})
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from ...context import app_context
from ...encode import jsonable
from .recording import Recording

if TYPE_CHECKING:
    from ....gan.lab import LabSession

__all__ = ["FramePacker", "Hub", "get_hub"]

_HUB_LOCK = threading.Lock()


class Hub:
    """Lab sessions of one dashboard app: ``Hub(max_sessions=8, grace=8.0)``.

    ``grace``: seconds a session survives without any open stream (a reload or a network blip
    re-attaches in time; a closed tab does not); ``idle_timeout``: the worker's own limit.
    """

    def __init__(self, *, max_sessions: int = 8, idle_timeout: float = 60.0, grace: float = 8.0,
                 fps: float = 30.0) -> None:
        from ....gan.lab import LabWorker  # the lab trains with torch: imported when a page opens it

        self.worker = LabWorker(max_sessions=max_sessions, idle_timeout=idle_timeout, fps=fps)
        self.grace = float(grace)
        self.recordings: dict[str, Recording] = {}
        self._streams: dict[str, int] = {}
        self._lock = threading.Lock()

    def open(self, config: dict[str, Any] | None = None, fps: float | None = None) -> dict[str, Any]:
        """A new session (the worker's ``open`` reply): ``hub.open({"loss": "hinge"})["session"]``."""
        msg: dict[str, Any] = {"type": "open", "config": config or {}}
        if fps is not None:
            msg["fps"] = fps
        reply = self.worker.handle(msg)
        if reply.get("ok"):
            with self._lock:
                self.recordings[reply["session"]] = Recording()
                self._streams.setdefault(reply["session"], 0)
            self._expire_later(reply["session"])  # opened but never watched: stop it too
        return reply

    def command(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Forward one protocol message to its session: ``hub.command({"type": "pause", "session": sid})``."""
        reply = self.worker.handle(msg)
        if msg.get("type") == "close":
            self._forget(str(msg.get("session")))
        return reply

    def session(self, sid: str) -> LabSession | None:
        """The live session ``sid``, or None when it stopped or never existed."""
        s = self.worker.sessions.get(sid)
        return None if s is None or s.closed.is_set() else s

    def close(self, sid: str) -> None:
        """Stop a session now (the page said goodbye): ``hub.close(sid)``."""
        self.worker.close(sid)
        self._forget(sid)

    def close_all(self) -> None:
        """Stop every session (tests, server shutdown)."""
        self.worker.close_all()
        with self._lock:
            self.recordings.clear()
            self._streams.clear()

    def streams(self, sid: str) -> int:
        """How many event streams watch ``sid`` now."""
        with self._lock:
            return self._streams.get(sid, 0)

    # -- streams ----------------------------------------------------------------------------
    def attach(self, sid: str) -> None:
        """A stream started watching ``sid``."""
        with self._lock:
            self._streams[sid] = self._streams.get(sid, 0) + 1

    def detach(self, sid: str) -> None:
        """A stream of ``sid`` ended; the session stops ``grace`` seconds later unless one re-attaches."""
        with self._lock:
            self._streams[sid] = max(0, self._streams.get(sid, 1) - 1)
        self._expire_later(sid)

    def _expire_later(self, sid: str) -> None:
        timer = threading.Timer(self.grace, self._expire, args=(sid,))
        timer.daemon = True
        timer.start()

    def _expire(self, sid: str) -> None:
        with self._lock:
            watched = self._streams.get(sid, 0) > 0
        if not watched:
            self.close(sid)

    def _forget(self, sid: str) -> None:
        with self._lock:
            self.recordings.pop(sid, None)
            self._streams.pop(sid, None)


def get_hub(app: Any) -> Hub:
    """The app's hub, made by the panel's setup: ``get_hub(request.app)`` (tests may put their own in
    ``app_context(app).state["ganlab"]``)."""
    state = app_context(app).state
    with _HUB_LOCK:
        hub = state.get("ganlab")
        if hub is None:  # the panel's setup did not run (an app made without the panel)
            hub = state["ganlab"] = Hub()
        return hub  # type: ignore[no-any-return]


class FramePacker:
    """Per stream: what the browser already holds, so each frame carries only what is new.

    ``history`` rows arrive from ``history.since`` (0 = replace), ``metrics`` likewise with their
    own ``since``; ``real``, ``centers`` and ``config`` are left out while unchanged (the browser
    keeps its copy). Example: ``packer = FramePacker(); text = packer.pack(frame_message)``.
    """

    def __init__(self) -> None:
        self.rows = 0            # history rows the browser holds
        self.epoch: Any = None   # history epoch those rows belong to
        self.metric_rows = 0
        self._sent: dict[str, Any] = {}

    def pack(self, f: dict[str, Any]) -> str:
        """The frame as compact JSON text (call with a frame fetched with ``history_since=self.rows``)."""
        if f.get("history_epoch") != self.epoch:
            self.epoch, self.metric_rows = f.get("history_epoch"), 0
        self.rows = int(f["history"]["rows"])
        m = f.get("metrics") or {}
        n = len(m.get("step", []))
        since = self.metric_rows if n >= self.metric_rows else 0
        f["metrics"] = {"since": since, "rows": n, **{k: v[since:] for k, v in m.items()}}
        self.metric_rows = n
        for key in ("real", "centers", "config"):
            if key in self._sent and self._sent[key] == f.get(key):
                f.pop(key, None)
            else:
                self._sent[key] = f.get(key)
        try:
            return json.dumps(f, allow_nan=False, separators=(",", ":"))
        except ValueError:  # a non-finite number slipped through: strict JSON all the same
            return json.dumps(jsonable(f), allow_nan=False, separators=(",", ":"))
