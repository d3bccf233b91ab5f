"""Wiring ``ts.init(console=True, code=True)`` to a run: the console's chunks become text points, the code
snapshot a ``run.code`` record taken on the writer thread (git and package metadata stay off the
training thread).

Example: ``cap = attach(run, console=True, code=True)``; ``cap.stop()`` at finish (``Run.finish`` does it).
"""

from __future__ import annotations

import json
import time
from typing import Any

from .console import ConsoleCapture

__all__ = ["attach"]


def attach(run: Any, *, console: bool, code: bool) -> ConsoleCapture | None:
    """Queue the code snapshot (``code``) and start teeing the console (``console``); returns the capture."""
    from ..track.messages import RecordMsg, TextMsg

    writer = run._writer
    if writer is None:
        return None
    if code:
        def build() -> tuple[str, dict[str, bytes]]:
            from .code import capture

            data, blobs = capture().to_dict()
            return json.dumps(data), blobs

        writer.put(RecordMsg("code", run._log_rank, 0, time.time(), "run.code", "", {}, 0, build))
    if not console:
        return None

    def emit(stream: str, text: str, wall: float, step: int) -> None:
        writer.put(TextMsg(f"console/{stream}", run._log_rank, step, wall, text))

    cap = ConsoleCapture(emit, step=lambda: max(run._step - 1, 0), interval=writer.flush_interval / 2)
    # lines that wait for company are handed over on the writer's cadence (never waiting for the lock there)
    writer.monitors.append(lambda _batch: cap.flush(blocking=False))
    return cap.start()
