"""The Overview panel, where the dashboard opens: one card per stage of deep learning.

Each card says in one sentence what its panel shows, lists a few facts about the selected runs,
draws a thumbnail from the store (a loss curve per run, a confusion matrix, a projection, samples,
an explanation, GAN samples...) and links into the panel; a stage with nothing logged says what
to log to see it. The page re-reads the cards when runs log something new.

Example::

    GET /api/overview/stages?run=a1&run=b2        -> {"stages": [{"id": "data", "panel": "data", ...}, ...]}
    GET /api/overview/thumb?run=a1&stage=explain  -> image/png
"""

from __future__ import annotations

from typing import Any

from ...apidoc import RUN, Param
from ...context import PanelContext
from ...endpoint import Blob, Query, endpoint
from ...params import one_run, run_ids, text_param
from ...registry import Panel
from .report import report
from .stages import STAGES, cards
from .thumbs import STAGES as PICTURES
from .thumbs import thumb as picture


def stages(ctx: PanelContext, q: Query) -> dict[str, Any]:
    return {"stages": cards(ctx.provider, run_ids(q, required=False))}


def thumb(ctx: PanelContext, q: Query) -> Blob:
    return picture(ctx.provider, one_run(q), text_param(q, "stage"))


PANEL = Panel(
    name="overview", report=report, title="Overview", order=0,
    routes=[endpoint("/stages", stages), endpoint("/thumb", thumb)],
    api_doc={
        "/stages": {"summary": "One card per stage for the runs: what it shows, facts, a thumbnail, its panel",
                    "params": {"run": Param(RUN.description, many=True, max_length=200)}},
        "/thumb": {"summary": "A stage's picture thumbnail for one run", "media": ("image/png", "image/jpeg",
                   "image/gif", "image/webp", "application/octet-stream"),
                   "params": {"run": RUN, "stage": Param("the stage", required=True, enum=PICTURES),
                              "v": Param("ignored: changes when the picture may have (a cache buster)")}},
    },
)

__all__ = ["PANEL", "STAGES"]
