"""Server-side lab sessions: each lab trains in its own background thread and streams frames.

:class:`LabWorker` holds several independent :class:`LabSession` objects and speaks a small
message protocol that a web server can wrap (a WebSocket or HTTP route per call): dicts in,
reply dicts and frame dicts out, all JSON-able except the ``bytes`` of a saved state. Commands:
``open``, ``play``, ``pause``, ``step``, ``slow``, ``configure``, ``speed``, ``reset``, ``save``,
``load``, ``status``, ``close`` (see ``docs/gan_lab.md``). A session stops when told, when
its lab has been idle (no command and no frame request) for ``idle_timeout`` seconds, or when
the worker closes. A bad command or setting never kills a session: the reply carries
``{"ok": False, "error": ...}`` and the session keeps its last good lab.

Example::

    w = LabWorker(); sid = w.handle({"type": "open", "config": {"target": "ring"}})["session"]
    w.handle({"type": "play", "session": sid}); frame = w.frame(sid, after=-1)
"""

from __future__ import annotations

import base64
import dataclasses
import io
import logging
import queue
import threading
import time
import uuid
from typing import Any

from ...records import to_jsonable
from .frame import LabFrame

__all__ = ["LabSession", "LabWorker"]

log = logging.getLogger(__name__)
_COMMANDS = ("play", "pause", "step", "slow", "configure", "speed", "reset", "save", "load", "status", "close")


class LabSession:
    """One lab training in a daemon thread; commands run on that thread, in order.

    ``torch_threads`` (default 1) is the intra-op thread count of the session thread: the lab's
    networks are tiny, so one thread per session is fastest and lets sessions share the cores.
    Example: ``s = LabSession({"target": "moons"}); s.send({"type": "step"}); s.frame(-1)``.
    """

    def __init__(self, config: dict[str, Any] | None = None, *, fps: float = 30.0, steps_per_frame: int = 1,
                 idle_timeout: float = 120.0, phase_seconds: float = 1.5, torch_threads: int | None = 1) -> None:
        from .engine import Lab2D

        self.lab = Lab2D(**(config or {}))  # raises ValueError on bad settings, before any thread starts
        self.id = uuid.uuid4().hex[:12]
        self.fps, self.steps_per_frame = float(fps), int(steps_per_frame)
        self.idle_timeout, self.phase_seconds = float(idle_timeout), float(phase_seconds)
        self.torch_threads = torch_threads
        self.playing = False
        self.closed = threading.Event()
        self._inbox: queue.Queue[tuple[dict[str, Any], queue.Queue[dict[str, Any]]]] = queue.Queue()
        self._cond = threading.Condition()
        self._frame: LabFrame = self.lab.frame()
        self._seq = 0
        self._phases: list[LabFrame] = []
        self._seen = time.monotonic()
        self.frames_made = 0
        self._thread = threading.Thread(target=self._run, name=f"gan-lab-{self.id}", daemon=True)
        self._thread.start()

    # -- public, any thread ------------------------------------------------------------------
    def send(self, msg: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
        """Run one command on the session thread; its reply: ``s.send({"type": "pause"})``."""
        self._seen = time.monotonic()
        if self.closed.is_set():
            return {"ok": False, "error": "this lab session has stopped; open a new one"}
        box: queue.Queue[dict[str, Any]] = queue.Queue(1)
        self._inbox.put((msg, box))
        try:
            return box.get(timeout=timeout)
        except queue.Empty:
            return {"ok": False, "error": f"the lab did not answer within {timeout:g} s"}

    def frame(self, after: int = -1, timeout: float = 1.0, history_since: int = 0) -> dict[str, Any] | None:
        """The newest frame message with ``seq > after``, waiting up to ``timeout``; None if none came."""
        self._seen = time.monotonic()
        with self._cond:
            self._cond.wait_for(lambda: self._seq > after or self.closed.is_set(), timeout)
            if self._seq <= after:
                return None
            frame, seq = self._frame, self._seq
        msg = frame.to_message(history_since=history_since)
        msg.update(seq=seq, session=self.id, playing=self.playing, history_epoch=frame.history.get("epoch", [0])[0])
        return msg

    def latest(self) -> LabFrame:
        """The newest :class:`LabFrame` record (for logging or export)."""
        with self._cond:
            return self._frame

    def close(self, wait: bool = True) -> None:
        """Stop the session thread: ``s.close()``."""
        self.closed.set()
        with self._cond:
            self._cond.notify_all()
        if wait and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    # -- the session thread --------------------------------------------------------------------
    def _publish(self, frame: LabFrame | None = None) -> None:
        frame = frame if frame is not None else self.lab.frame()
        with self._cond:
            self._frame, self._seq = frame, self._seq + 1
            self._cond.notify_all()
        self.frames_made += 1

    def _run(self) -> None:
        import torch

        if self.torch_threads:  # per thread with PyTorch's OpenMP backend: the rest of the process keeps its setting
            torch.set_num_threads(self.torch_threads)
        next_phase = 0.0
        while not self.closed.is_set():
            try:
                msg, box = self._inbox.get(timeout=0 if self.playing or self._phases else 0.05)
                box.put(self._safe(msg))
                continue
            except queue.Empty:
                pass
            if time.monotonic() - self._seen > self.idle_timeout:
                log.info("GAN lab session %s idle for %.0f s: stopping", self.id, self.idle_timeout)
                self.closed.set()
                break
            now = time.monotonic()
            if self._phases:
                if now >= next_phase:
                    self._publish(self._phases.pop(0))
                    next_phase = now + self.phase_seconds
                else:
                    time.sleep(min(0.02, next_phase - now))
            elif self.playing:
                self._play_once(now)
        with self._cond:
            self._cond.notify_all()

    def _play_once(self, start: float) -> None:
        try:
            self.lab.step(self.steps_per_frame)
        except Exception as exc:  # a failing step must not kill the session: show it, pause
            log.exception("GAN lab session %s: step failed", self.id)
            self.playing = False
            self.lab.status, self.lab.message = "diverged", f"Training stopped: {type(exc).__name__}: {exc}"
        if self.lab.status == "diverged":
            self.playing = False
        self._publish()
        rest = 1.0 / self.fps - (time.monotonic() - start)
        if rest > 0:
            time.sleep(rest)

    def _safe(self, msg: dict[str, Any]) -> dict[str, Any]:
        try:
            reply = self._handle(msg)
        except (ValueError, TypeError, KeyError, RuntimeError) as exc:
            return {"ok": False, "type": msg.get("type"), "error": str(exc).strip("'\"")}
        return {"ok": True, "type": msg.get("type"), "step": self.lab.steps, "playing": self.playing, **reply}

    def _handle(self, msg: dict[str, Any]) -> dict[str, Any]:
        import torch

        kind = msg.get("type")
        if kind not in _COMMANDS:
            raise ValueError(f"unknown command {kind!r}; commands are {', '.join(_COMMANDS)}")
        if kind in ("play", "pause"):
            self.playing = kind == "play"
            self._phases.clear()
        elif kind == "step":
            n = int(msg.get("n", 1))
            if not 1 <= n <= 10_000:
                raise ValueError(f"step: n must be between 1 and 10000, got {n} (use play for longer runs)")
            self.playing = False
            self.lab.step(n, which=str(msg.get("which", "both")))
        elif kind == "slow":
            self.playing = False
            before = self.lab.frame()
            phases = self.lab.phases()
            after = self.lab.frame()
            self._phases = [dataclasses.replace(after if i == 4 else before, phase={
                "index": i, "count": len(phases), **{k: to_jsonable(v) for k, v in p.items()}})
                for i, p in enumerate(phases)]
            return {"phases": [p["name"] for p in phases]}
        elif kind == "configure":
            changes = msg.get("changes", {k: v for k, v in msg.items() if k not in ("type", "session")})
            changed = self.lab.configure(**changes)
            self._publish()
            return {"changed": changed}
        elif kind == "speed":
            self.fps = float(min(max(msg.get("fps", self.fps), 1.0), 120.0))
            self.steps_per_frame = int(min(max(msg.get("steps_per_frame", self.steps_per_frame), 1), 1000))
            self.phase_seconds = float(min(max(msg.get("phase_seconds", self.phase_seconds), 0.0), 30.0))
            return {"fps": self.fps, "steps_per_frame": self.steps_per_frame}
        elif kind == "reset":
            self.lab.reset()
        elif kind == "save":
            buf = io.BytesIO()
            torch.save(self.lab.state_dict(), buf)
            return {"state": buf.getvalue()}
        elif kind == "load":
            self._load(msg.get("state"))
        elif kind == "close":
            self.closed.set()
            return {}
        if kind != "status":
            self._publish()
        return {"fps": self.fps, "steps_per_frame": self.steps_per_frame, "status": self.lab.status}

    def _load(self, state: Any) -> None:
        import torch

        from .engine import Lab2D

        if isinstance(state, str):
            state = base64.b64decode(state)
        if not isinstance(state, (bytes, bytearray)):
            raise ValueError("load needs 'state': the bytes (or base64 text) that 'save' returned")
        try:
            data = torch.load(io.BytesIO(bytes(state)), weights_only=True)
        except Exception as exc:
            raise ValueError(f"cannot read this lab state ({type(exc).__name__}); save it again") from exc
        lab = Lab2D.__new__(Lab2D)
        lab.load_state_dict(data)  # validates before the running lab is replaced
        self.lab = lab
        self.playing = False


class LabWorker:
    """Many lab sessions behind one message handler: ``LabWorker().handle({"type": "open"})``.

    ``max_sessions`` bounds the number of live labs; idle sessions stop by themselves.
    """

    def __init__(self, *, max_sessions: int = 8, idle_timeout: float = 120.0, fps: float = 30.0) -> None:
        self.max_sessions, self.idle_timeout, self.fps = int(max_sessions), float(idle_timeout), float(fps)
        self.sessions: dict[str, LabSession] = {}
        self._lock = threading.Lock()

    def handle(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Answer one message: ``open`` makes a session, any other command goes to ``msg["session"]``."""
        if not isinstance(msg, dict):
            return {"ok": False, "error": "a message is a dict with a 'type'"}
        self._prune()
        if msg.get("type") == "open":
            with self._lock:
                if len(self.sessions) >= self.max_sessions:
                    return {"ok": False, "type": "open",
                            "error": f"too many lab sessions ({self.max_sessions}); close one first"}
            try:
                session = LabSession(msg.get("config") or {}, fps=msg.get("fps", self.fps),
                                     idle_timeout=self.idle_timeout)
            except (ValueError, TypeError) as exc:
                return {"ok": False, "type": "open", "error": str(exc)}
            with self._lock:
                self.sessions[session.id] = session
            return {"ok": True, "type": "open", "session": session.id, "step": 0}
        target = self.sessions.get(str(msg.get("session")))
        if target is None:
            return {"ok": False, "type": msg.get("type"), "error": f"no lab session {msg.get('session')!r}"}
        reply = target.send(msg)
        if msg.get("type") == "close":
            self.close(target.id)
        return reply

    def frame(self, session: str, after: int = -1, timeout: float = 1.0,
              history_since: int = 0) -> dict[str, Any] | None:
        """The newest frame of ``session`` newer than ``after`` (see :meth:`LabSession.frame`)."""
        s = self.sessions.get(session)
        if s is None:
            return None
        return s.frame(after, timeout, history_since)

    def close(self, session: str) -> None:
        """Stop one session: ``w.close(sid)``."""
        with self._lock:
            s = self.sessions.pop(session, None)
        if s is not None:
            s.close()

    def close_all(self) -> None:
        """Stop every session (call when the server shuts down)."""
        for sid in list(self.sessions):
            self.close(sid)

    def _prune(self) -> None:
        with self._lock:
            dead = [sid for sid, s in self.sessions.items() if s.closed.is_set()]
            for sid in dead:
                self.sessions.pop(sid)

    def __enter__(self) -> LabWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_all()
