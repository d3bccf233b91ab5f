"""The Text panel's route: a key's texts (markdown source; the browser renders it safely).

Example::

    GET /api/text/entries?key=notes&run=a1 -> {"runs": {"a1": [{"step": 3, "text": "**lr** halved"}]}}
"""

from __future__ import annotations

from typing import Any

from ....errors import NotFound
from ...apidoc import RUN, Param
from ...context import PanelContext
from ...endpoint import Query, endpoint
from ...params import int_param, run_ids, text_param
from ...registry import Panel
from .report import report


def entries(ctx: PanelContext, q: Query) -> dict[str, Any]:
    store = ctx.provider
    key = text_param(q, "key")
    limit = int_param(q, "limit", 200, 1, 10000)
    out: dict[str, list[dict[str, Any]]] = {}
    for rid in run_ids(q):
        try:
            rows = store.texts(rid, key)
        except NotFound:
            continue
        out[rid] = [{"step": t.step, "wall_time": t.wall_time, "text": t.text} for t in rows[-limit:]]
    return {"key": key, "runs": out}


PANEL = Panel(
    name="text", report=report, title="Text", order=40,
    routes=[endpoint("/entries", entries)],
    api_doc={"/entries": {"summary": "Texts of a key per run, newest last",
                          "params": {"key": Param("text key", required=True), "run": RUN,
                                     "limit": Param("most entries (default 200)", type="integer", minimum=1,
                                                    maximum=10000)}}},
)
