"""The projector panel's part of the static report: each projection's points and thumbnail pages.

The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import plural

__all__ = ["report"]


def report(ctx: Any) -> str | None:
    snap = ctx.snap
    got = snap.json("projector/sources", {"run": ctx.ids})
    sources = (got or {}).get("sources", [])
    if not sources:
        return None
    pages_left, pages = ctx.limits.max_thumb_pages, 0
    for s in reversed(sources):  # the panel opens the newest
        addr = {"run": s["run"], "key": s["key"], "id": s["id"], "part": s["part"]}
        snap.url("projector/points", addr)
        thumbs = s.get("thumbs") or {}
        for page in range(min(int(thumbs.get("pages", 0)), pages_left)):
            if snap.url("projector/thumbs", {**addr, "page": page}) is not None:
                pages += 1
                pages_left -= 1
    return f"{plural(len(sources), 'projection')}, {plural(pages, 'thumbnail page')}"
