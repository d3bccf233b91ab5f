"""The lab over time, for export: a bounded list of frames kept while a session is watched.

:class:`Recording` keeps a slim copy of the session's frame (no curves) every ``every`` steps;
when it holds ``cap`` frames it keeps every other one and doubles ``every``, so an hour of
training still fits. A step counter that goes back (reset, loading an earlier state) starts a new
recording. :func:`export` draws the frames with the engine's own renderer
(:mod:`torchscope.gan.lab.export`) into an animated GIF or a zip of numbered PNG frames, with the
curves up to each frame's step when ``curves``.

Example::

    rec = Recording(); rec.offer(session.latest()); data = export(rec.frames(), "gif")
"""

from __future__ import annotations

import bisect
import dataclasses
import io
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ....errors import InvalidArgument
from ....gan.lab import LabFrame
from ....gan.lab.export import render_png, save_gif

__all__ = ["FORMATS", "Recording", "export"]

FORMATS = {"gif": ("image/gif", "gif"), "png": ("application/zip", "zip")}


class Recording:
    """Frames of one session over time: ``Recording(cap=120, every=5)``."""

    def __init__(self, cap: int = 120, every: int = 5) -> None:
        self.cap, self.base = int(cap), int(every)
        self.every = self.base
        self._frames: list[LabFrame] = []
        self._lock = threading.Lock()

    def offer(self, frame: LabFrame) -> bool:
        """Keep ``frame`` if it is ``every`` steps past the last kept one; True when kept."""
        if frame.phase:  # slow-motion frames are explanations, not the lab over time
            return False
        with self._lock:
            last = self._frames[-1].step if self._frames else None
            if last is not None and frame.step < last:
                self._frames, self.every = [], self.base
                last = None
            if last is not None and frame.step < last + self.every:
                return False
            self._frames.append(dataclasses.replace(frame, history={}, metrics={}))
            if len(self._frames) > self.cap:
                self._frames = self._frames[::2]
                self.every *= 2
            return True

    def frames(self, latest: LabFrame | None = None) -> list[LabFrame]:
        """The kept frames (plus ``latest`` when newer), each with the curves up to its step."""
        with self._lock:
            out = list(self._frames)
        if latest is not None and not latest.phase and (not out or latest.step > out[-1].step):
            out.append(latest)
        if latest is None:
            return out
        return [_with_curves(f, latest) for f in out]

    def __len__(self) -> int:
        return len(self._frames)


def _cut(cols: dict[str, list[float]], step: int) -> dict[str, list[float]]:
    steps = cols.get("step", [])
    n = bisect.bisect_right(steps, step)
    return {k: list(v[:n]) for k, v in cols.items() if k != "epoch"}


def _with_curves(frame: LabFrame, latest: LabFrame) -> LabFrame:
    return dataclasses.replace(frame, history=_cut(latest.history, frame.step),
                               metrics=_cut(latest.metrics, frame.step))


def pick(frames: Sequence[LabFrame], most: int) -> list[LabFrame]:
    """At most ``most`` frames, evenly spread, first and last included: ``pick(frames, 40)``."""
    if len(frames) <= most:
        return list(frames)
    idx = np.unique(np.linspace(0, len(frames) - 1, most).round().astype(int))
    return [frames[i] for i in idx]


def export(frames: Sequence[LabFrame], fmt: str = "gif", *, curves: bool = False, fps: float = 8.0,
           size: float = 4.0) -> bytes:
    """The frames as GIF bytes (``fmt="gif"``) or a zip of ``frame_00000.png``, ... (``"png"``).

    Example: ``open("lab.gif", "wb").write(export(rec.frames(session.latest()), "gif"))``.
    """
    if fmt not in FORMATS:
        raise InvalidArgument(f"unknown export format {fmt!r}; choose gif or png")
    if not frames:
        raise InvalidArgument("nothing to export yet: play the lab for a moment first")
    if fmt == "png":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:  # PNGs are compressed already
            for i, f in enumerate(frames):
                zf.writestr(f"frame_{i:05d}.png", render_png(f, curves=curves, size=size))
        return buf.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        path = save_gif(frames, Path(tmp) / "lab.gif", fps=fps, curves=curves, size=size)
        return path.read_bytes()
