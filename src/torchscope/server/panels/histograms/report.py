"""The histograms panel's part of the static report: each key's histograms as the panel asks for them.

The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import keys_of, plural

__all__ = ["report"]


def report(ctx: Any) -> str | None:
    keys = keys_of(ctx, "histogram")
    for k in keys:
        ctx.snap.json("histograms/series", {"key": k["key"], "run": ctx.ids, "limit": 60})
    return plural(len(keys), "key") if keys else None
