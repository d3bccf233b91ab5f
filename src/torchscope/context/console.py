"""The training process's console in the run: ``sys.stdout`` and ``sys.stderr`` teed into the text series
``console/stdout`` and ``console/stderr`` (``ts.init(console=True)``), which the Console panel tails live.

Everything written still reaches the terminal at once; a copy is kept in memory and handed to the run
in chunks of whole lines, at most every ``interval`` seconds (sooner past ``max_chunk`` characters, and
whenever the other stream is written to, so that the two interleave as they did), each at the time
and the run's step when its first line was written, and the rest when the run finishes. A line that
a progress bar rewrote with carriage returns is kept as the terminal finally shows it. What is
written at the file-descriptor level (a C library, a subprocess) bypasses ``sys.stdout`` and is not
captured; nor is a forked child's output (a DataLoader worker's).

Example::

    cap = ConsoleCapture(lambda stream, text, wall, step: print(stream, len(text), file=sys.__stderr__))
    cap.start(); print("hello"); cap.stop()
"""

from __future__ import annotations

import io
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["ConsoleCapture", "terminal_lines"]

STREAMS = ("stdout", "stderr")


def terminal_lines(text: str) -> str:
    """Each line as a terminal leaves it after carriage returns: ``terminal_lines("10%\\r50%\\n") == "50%\\n"``."""
    if "\r" not in text:
        return text
    lines = text.split("\n")
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in lines)


class _Tee(io.TextIOBase):
    """A text stream that writes through to ``inner`` and hands a copy to its capture."""

    def __init__(self, inner: Any, name: str, capture: ConsoleCapture) -> None:
        super().__init__()
        self.inner, self.name_, self.capture = inner, name, capture

    def write(self, s: str) -> int:
        n = self.inner.write(s)
        if isinstance(s, str) and s:
            self.capture._add(self.name_, s)
        return len(s) if n is None else n

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return bool(self.inner.isatty())

    def fileno(self) -> int:
        return int(self.inner.fileno())

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.inner, "encoding", "utf-8"))

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.inner, "errors", None)

    def __getattr__(self, name: str) -> Any:  # buffer, mode, line_buffering... as the real stream has them
        return getattr(self.inner, name)


class ConsoleCapture:
    """Tees ``sys.stdout``/``sys.stderr`` into ``emit(stream, text, wall, step)`` (stream ``"stdout"`` or
    ``"stderr"``; ``wall`` the time the chunk's first line was written, ``step`` what ``step()`` said then)."""

    def __init__(self, emit: Callable[[str, str, float, int], None], *, step: Callable[[], int] = lambda: 0,
                 interval: float = 0.5, max_chunk: int = 65536) -> None:
        self.emit, self.step, self.interval, self.max_chunk = emit, step, interval, max_chunk
        self._pending: dict[str, list[str]] = {s: [] for s in STREAMS}
        self._sizes = dict.fromkeys(STREAMS, 0)
        self._last = dict.fromkeys(STREAMS, time.monotonic())  # when each stream last handed a chunk over
        self._first: dict[str, tuple[float, int]] = dict.fromkeys(STREAMS, (0.0, 0))  # the first line's (wall, step)
        self._previous = ""  # the stream written to last
        self._lock = threading.RLock()
        self._pid = os.getpid()
        self._tees: dict[str, _Tee] = {}
        self._busy = threading.local()  # emit() writing to a captured stream must not recurse

    def start(self) -> ConsoleCapture:
        for name in STREAMS:
            tee = _Tee(getattr(sys, name), name, self)
            self._tees[name] = tee
            setattr(sys, name, tee)
        return self

    def _add(self, stream: str, s: str) -> None:
        if os.getpid() != self._pid or getattr(self._busy, "on", False):
            return
        outs = []
        with self._lock:
            if self._previous and self._previous != stream and self._pending[self._previous]:
                outs.append(self._take(self._previous, whole_lines=True))  # the other stream's lines come first
            self._previous = stream
            if not self._pending[stream]:
                self._first[stream] = (time.time(), self.step())
            self._pending[stream].append(s)
            self._sizes[stream] += len(s)
            if "\n" in s and (time.monotonic() - self._last[stream] >= self.interval
                              or self._sizes[stream] > self.max_chunk):
                outs.append(self._take(stream, whole_lines=True))
        for out in outs:  # outside the lock: emit may wait for the writer, whose flush takes the lock
            self._emit(*out)

    def _take(self, stream: str, whole_lines: bool) -> tuple[str, str, float, int]:
        text = "".join(self._pending[stream])
        cut = text.rfind("\n") + 1 if whole_lines else len(text)
        wall, step = self._first[stream]
        if cut <= 0:
            return stream, "", wall, step
        rest = text[cut:]
        self._pending[stream] = [rest] if rest else []
        self._sizes[stream] = len(rest)
        self._last[stream] = time.monotonic()
        self._first[stream] = (time.time(), self.step())
        return stream, text[:cut], wall, step

    def _emit(self, stream: str, out: str, wall: float, step: int) -> None:
        if not out:
            return
        self._busy.on = True
        try:
            text = terminal_lines(out).replace("\x00", "")
            self.emit(stream, text.encode("utf-8", "backslashreplace").decode("utf-8"), wall, step)  # surrogates shown
        finally:
            self._busy.on = False

    def flush(self, *, blocking: bool = True) -> None:
        """Hand over every whole line written so far (``blocking=False``: not when another thread is at it)."""
        if not self._lock.acquire(blocking=blocking):
            return
        try:
            outs = sorted((self._take(stream, whole_lines=True) for stream in STREAMS), key=lambda o: o[2])
        finally:
            self._lock.release()
        for out in outs:
            self._emit(*out)

    def stop(self) -> None:
        """Hand over everything (a last partial line too) and put the streams back."""
        with self._lock:
            outs = sorted((self._take(stream, whole_lines=False) for stream in STREAMS), key=lambda o: o[2])
        for out in outs:
            self._emit(*out)
        with self._lock:
            for name, tee in self._tees.items():
                if getattr(sys, name) is tee:
                    setattr(sys, name, tee.inner)
                else:  # someone wrapped ours since: leave theirs, stop capturing through ours
                    tee.capture = _NULL
            self._tees = {}


class _Null:
    def _add(self, stream: str, s: str) -> None:
        pass


_NULL: Any = _Null()
