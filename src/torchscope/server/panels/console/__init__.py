"""The Console panel's routes: a run's captured console (``console/stdout``, ``console/stderr`` text series,
``ts.init(console=True)``) as chunks in time order, and its code snapshot (``run.code``, ``ts.init(code=True)``).

Example::

    GET /api/console/tail?run=a1                        -> {"chunks": [...], "seen": {"stdout": 12, "stderr": 3}}
    GET /api/console/tail?run=a1&stdout=12&stderr=3     -> only what came since
"""

from __future__ import annotations

from typing import Any

from ....errors import NotFound
from ...apidoc import RUN, Param
from ...context import PanelContext
from ...endpoint import Query, endpoint
from ...params import int_param, one_run
from ...registry import Panel
from ...shared.records import entries
from .report import report

STREAMS = ("stdout", "stderr")
FIRST_CHUNKS = 2000  # a first read keeps the newest this many chunks


def _texts(ctx: PanelContext, rid: str, stream: str) -> list[Any]:
    try:
        return ctx.provider.texts(rid, f"console/{stream}")
    except NotFound:
        return []


def tail(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """Chunks after the ``stdout``/``stderr`` counts already seen (none given: the newest ``FIRST_CHUNKS``),
    merged in time order; ``seen`` is what to ask with next."""
    rid = one_run(q)
    chunks: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    skipped = 0
    for stream in STREAMS:
        texts = _texts(ctx, rid, stream)
        start = int_param(q, stream, -1, -1, 1 << 40)
        if start < 0:
            start = max(0, len(texts) - FIRST_CHUNKS)
            skipped += start
        seen[stream] = len(texts)
        chunks += [{"stream": stream, "step": t.step, "wall": t.wall_time, "text": t.text} for t in texts[start:]]
    chunks.sort(key=lambda c: c["wall"])
    return {"run": rid, "chunks": chunks, "seen": seen, "skipped": skipped}


def code(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """The run's code snapshot (the latest), or ``{"code": null}``."""
    rid = one_run(q)
    found = entries(ctx.provider, rid, ("run.code",))
    if not found:
        return {"run": rid, "code": None}
    return {"run": rid, "code": {k: v for k, v in found[-1].data.items()}}


COUNT = Param("chunks of the stream already seen", type="integer", minimum=-1, maximum=1 << 40)

PANEL = Panel(
    name="console", report=report, title="Console", order=68,
    routes=[endpoint("/tail", tail), endpoint("/code", code)],
    api_doc={
        "/tail": {"summary": "A run's console output (stdout and stderr chunks in time order)",
                  "params": {"run": RUN, "stdout": COUNT, "stderr": COUNT}},
        "/code": {"summary": "A run's code snapshot: git commit, diff, command line, versions",
                  "params": {"run": RUN}},
    },
)
