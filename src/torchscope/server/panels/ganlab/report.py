"""The ganlab panel's part of the static report: the last logged frames, rendered here.

The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....errors import NotFound
from ....report.plans._util import plural

__all__ = ["report"]


MAX_LAB_FRAMES = 4


def report(ctx: Any) -> str | None:
    from ....gan.lab.export import render_png

    frames: list[Any] = []
    for rid in ctx.ids:
        try:
            entries = ctx.store.records(rid, kind="gan.lab2d.frame")
        except NotFound:
            continue
        latest: dict[str, Any] = {}
        for e in entries:
            latest[e.key] = e
        for e in latest.values():
            if len(frames) >= MAX_LAB_FRAMES:
                break
            q = {"run": rid, "key": e.key, "step": e.step}
            ctx.snap.add("report/ganlab.png", q, "url", render_png(e.record, curves=True, dpi=80), "image/png")
            cfg = getattr(e.record, "config", None) or {}
            frames.append({**q, "config": {k: cfg[k] for k in list(cfg)[:16]} if isinstance(cfg, dict) else {}})
    if not frames:
        return None
    import json

    from ...encode import jsonable

    ctx.snap.add("report/ganlab", {"run": ctx.ids}, "json",
                 json.dumps(jsonable({"frames": frames}), allow_nan=False).encode(), "application/json")
    return plural(len(frames), "logged frame")
