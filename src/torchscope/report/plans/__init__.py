"""The contract of a panel's part of the static report (its ``report.py``, given as ``Panel(report=...)``).

A panel's *report part* is one function, ``report(ctx) -> str | None``, in the panel's own folder
(``server/panels/<name>/report.py``): it makes through ``ctx.snap`` the
requests the panel's ``panel.js`` makes (read from its source: the ``api.json``, ``api.binary``
and ``api.url`` calls, with the same parameters), plus the ones its controls make where a report
can afford them (every image step, every evaluation record, graph views one fold away...). It
returns a one-line summary for the progress output, or None when the runs hold nothing for the
panel (the report leaves it out). A panel that asks for something new asks for it in its report
part too (``tests/report`` checks that the default views ask for nothing the report lacks).

``FUZZY`` tells the page how to answer a request the snapshot lacks with the nearest one it holds:
``near`` parameters are compared numerically (comma-separated lists as vectors), ``quiet`` ones
too but without telling the reader (a resolution: 512 buckets asked, 1,024 kept), ``ignore``
parameters are not compared; every other parameter must match.

Example::

    summary = panel.report(ctx)   # "12 charts, 48,000 points"
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from ...store.provider import Provider

__all__ = ["FUZZY", "Context", "Limits", "Plan"]


@dataclasses.dataclass(frozen=True)
class Limits:
    """How much a report keeps (``build_report(limits=Limits(max_steps=20))``).

    ``buckets``: points per scalar series (min/max per bucket kept, as the dashboard draws them),
    fewer with many runs (``series_budget`` buckets per chart in all, at least 128 per run);
    ``csv``: attach every stored point of each scalar key as CSV, the smallest keys first, up to
    ``max_csv_points`` points in all (a key that does not fit gets no CSV); ``max_steps``:
    image/sample steps per timeline (evenly spaced, first and last kept), fewer with many runs
    (``max_images`` per key in all);
    ``max_samples``: explained samples per attribution; ``max_thumb_pages``: projector thumbnail
    pages (1,024 thumbnails each) in all; ``graph_views``: graph layouts one fold away from the
    default view.
    """

    buckets: int = 1024
    series_budget: int = 8192
    csv: bool = True
    max_csv_points: int = 500_000
    max_steps: int = 100
    max_images: int = 400
    max_samples: int = 32
    max_thumb_pages: int = 8
    graph_views: int = 120


@dataclasses.dataclass
class Context:
    """What a plan works with: the snapshot, the store, the runs (their ``/api/runs`` JSON)."""

    snap: Any
    store: Provider
    runs: list[dict[str, Any]]
    limits: Limits
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return [r["id"] for r in self.runs]


Plan = Callable[[Context], "str | None"]


FUZZY: dict[str, dict[str, list[str]]] = {
    "scalars/series": {"quiet": ["buckets"], "ignore": ["lo", "hi"]},  # a zoom: the full series, zoomed here
    "scalars/csv": {"quiet": ["x"], "ignore": ["lo", "hi"]},  # the whole series' CSV (x: the same rows)
    "images/blob": {"near": ["step"]},
    "histograms/series": {"quiet": ["limit"]},
    "health/matrix": {"quiet": ["cols"]},
    "health/histograms": {"near": ["step"]},
    "gan/overview": {"quiet": ["buckets"]},
    "gan/sample": {"near": ["step"]},
    "gan/explore": {"near": ["s"], "ignore": ["scale"]},
}
