"""Long GAN-lens computations run off the request threads: one worker, progress, cancel, a result cache.

A job is named by everything its answer depends on (run, checkpoint versions, parameters): asking
again for a job that is queued or running returns it (requests coalesce), asking for a finished one
returns its cached answer. Clients poll; a job nobody has polled for ``abandon_s`` seconds stops at
its next progress report, as does a cancelled one. One worker thread: the CPU is shared with
training and with the other panels, so lens jobs wait in line rather than compete.

Example::

    job = JOBS.submit(("proto", run_id, 3), lambda progress: compute(progress))
    job.to_json()  # {"id", "status": "queued|running|done|error|cancelled", "progress", "result"...}
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = ["Cancelled", "Job", "Jobs"]


class Cancelled(Exception):
    """Raised inside a job's progress callback to stop it."""


class Job:
    """One computation: ``status``, ``progress`` (0..1), ``result`` or ``error``."""

    def __init__(self, key: tuple[Any, ...], abandon_s: float) -> None:
        self.key, self.abandon_s = key, abandon_s
        self.id = hashlib.sha1(repr(key).encode()).hexdigest()[:16]
        self.status, self.progress = "queued", 0.0
        self.result: Any = None
        self.error: str | None = None
        self.created, self.started, self.finished = time.time(), 0.0, 0.0
        self.seen = time.monotonic()
        self.cancelled = threading.Event()

    def report(self, done: int, total: int) -> None:
        """The progress callback handed to the computation; raises :class:`Cancelled` to stop it."""
        self.progress = min(1.0, done / max(total, 1))
        if self.cancelled.is_set():
            raise Cancelled("cancelled")
        if time.monotonic() - self.seen > self.abandon_s:
            raise Cancelled(f"abandoned: nobody asked for it for {self.abandon_s:.0f} s")

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")

    def to_json(self) -> dict[str, Any]:
        out = {"id": self.id, "status": self.status, "progress": round(self.progress, 4)}
        if self.started:
            out["seconds"] = round((self.finished or time.time()) - self.started, 3)
        if self.status == "done":
            out["result"] = self.result
        elif self.error:
            out["error"] = self.error
        return out


class Jobs:
    """The lens jobs of one server: ``jobs.submit(key, fn)``, ``jobs.cancel(id)``; ``keep`` answers cached."""

    def __init__(self, *, keep: int = 64, abandon_s: float = 20.0) -> None:
        self.keep, self.abandon_s = keep, abandon_s
        self.lock = threading.Lock()
        self.items: OrderedDict[str, Job] = OrderedDict()
        self.queue: queue.SimpleQueue[tuple[Job, Callable[..., Any]]] = queue.SimpleQueue()
        self.worker: threading.Thread | None = None

    def submit(self, key: tuple[Any, ...], fn: Callable[[Callable[[int, int], None]], Any]) -> Job:
        """The job for ``key``: the cached or running one, else ``fn(progress)`` queued now."""
        job = Job(key, self.abandon_s)
        with self.lock:
            old = self.items.get(job.id)
            if old is not None and (old.active or old.status == "done"):
                old.seen = time.monotonic()
                self.items.move_to_end(old.id)
                return old
            self.items[job.id] = job
            self._trim()
            self.queue.put((job, fn))
            if self.worker is None:  # a daemon: a job still running never holds the server's exit
                self.worker = threading.Thread(target=self._work, name="torchscope-gan-lens", daemon=True)
                self.worker.start()  # stopped by the panel's teardown when the app shuts down
        return job

    def get(self, job_id: str) -> Job | None:
        with self.lock:
            job = self.items.get(job_id)
            if job is not None:
                job.seen = time.monotonic()
            return job

    def cancel(self, job_id: str) -> Job | None:
        """Stop a queued or running job (it ends at its next progress report); None if unknown."""
        job = self.get(job_id)
        if job is not None and job.active:
            job.cancelled.set()
            if job.status == "queued":
                job.status, job.error = "cancelled", "cancelled"
        return job


    def stop(self, timeout: float = 5.0) -> None:
        """Cancel every job and wait (up to ``timeout``) for the running one to reach its next report."""
        with self.lock:
            jobs = list(self.items.values())
        for job in jobs:
            job.cancelled.set()
        deadline = time.monotonic() + timeout
        while any(j.status == "running" for j in jobs) and time.monotonic() < deadline:
            time.sleep(0.02)

    def _trim(self) -> None:  # drop the oldest finished jobs beyond ``keep``
        done = [k for k, j in self.items.items() if not j.active]
        for k in done[:max(0, len(self.items) - self.keep)]:
            del self.items[k]

    def _work(self) -> None:
        while True:
            self._run(*self.queue.get())

    def _run(self, job: Job, fn: Callable[[Callable[[int, int], None]], Any]) -> None:
        if job.cancelled.is_set() or time.monotonic() - job.seen > self.abandon_s:
            job.status, job.error = "cancelled", job.error or "cancelled before it started"
            return
        job.status, job.started = "running", time.time()
        try:
            job.result = fn(job.report)
            job.status, job.progress = "done", 1.0
        except Cancelled as exc:
            job.status, job.error = "cancelled", str(exc)
        except Exception as exc:  # the client shows the message; the server goes on
            job.status, job.error = "error", f"{type(exc).__name__}: {exc}"
        finally:
            job.finished = time.time()
