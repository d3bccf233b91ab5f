"""The Scalars panel's routes: downsampled series for many runs at once, and exact CSV export.

``/api/scalars/series`` answers one key for many runs, each reduced to ``buckets`` buckets of
last/min/max over the x range asked for (so a zoom re-queries at pixel resolution and a spike is
never hidden); ``format=bin`` sends float64 columns instead of JSON (see ``encode.py``).
``/api/scalars/csv`` streams every stored point in the range: exact values, no downsampling.

Example::

    GET /api/scalars/series?key=train/loss&run=a1&run=b2&buckets=800&lo=100&hi=900&x=step
"""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ...encode import JSON, binary_frame, column
from ...params import float_param, int_param, run_ids, text_param
from ...registry import Panel

COLS = ("step", "wall_time", "value", "min", "max")


def _axis(request: Request) -> tuple[str, bool]:
    x = request.query_params.get("x", "step")
    if x not in ("step", "wall_time", "relative"):
        raise HTTPException(400, "x must be step, wall_time or relative")
    return ("wall_time", True) if x == "relative" else (x, False)


def _read(request: Request, *, exact: bool) -> tuple[str, str, list[tuple[str, Any]]]:
    store = request.app.state.store
    key = text_param(request, "key")
    x, relative = _axis(request)
    lo, hi = float_param(request, "lo"), float_param(request, "hi")
    buckets = None if exact else int_param(request, "buckets", 1000, 1, 20000)
    rank = int_param(request, "rank", 0, 0, 100000)
    ids = run_ids(request)
    runs = request.app.state.runs.get() if relative else {}
    reader = request.app.state.series
    ranges: dict[str, Any] = {}
    for rid in ids:
        if relative and rid not in runs:
            continue
        shift = runs[rid].created if relative else 0.0
        ranges[rid] = None if lo is None and hi is None else (None if lo is None else lo + shift,
                                                              None if hi is None else hi + shift)
    out = []
    if exact:  # every point: read it fresh, never cached
        for rid, rng in ranges.items():
            try:
                out.append((rid, store.scalars(rid, key, rank=rank, x_range=rng, x=x)))
            except KeyError:
                continue
        return key, x, out
    # finished runs' answers come from the server's cache; the others are read in parallel
    by_range: dict[Any, list[str]] = {}
    for rid, rng in ranges.items():
        by_range.setdefault(rng, []).append(rid)
    found: dict[str, Any] = {}
    for rng, rids in by_range.items():
        got = reader.scalars_many(rids, key, rank=rank, downsample=buckets, x_range=rng, x=x)
        found.update(zip(rids, got))
    # a run without the key is skipped: the others still answer
    out = [(rid, found[rid]) for rid in ranges if found.get(rid) is not None]
    return key, x, out


def series(request: Request) -> Response:
    """One key for many runs: JSON ``{"key", "x", "runs": [{"run", "total", "downsampled", cols...}]}``."""
    key, x, found = _read(request, exact=False)
    if request.query_params.get("format") == "bin":
        names = [c for c in COLS if not (c == "wall_time" and x == "step")]  # on a step axis: not drawn
        header: dict[str, Any] = {"key": key, "x": x, "cols": names, "runs": []}
        cols = []
        for rid, s in found:
            header["runs"].append({"run": rid, "n": len(s), "total": s.total, "downsampled": s.downsampled})
            lo_, hi_ = (s.min, s.max) if s.downsampled else (s.value, s.value)
            by = {"step": s.step, "wall_time": s.wall_time, "value": s.value, "min": lo_, "max": hi_}
            cols += [by[c] for c in names]
        return Response(binary_frame(header, cols), media_type="application/octet-stream")
    runs = []
    for rid, s in found:
        entry: dict[str, Any] = {"run": rid, "total": s.total, "downsampled": s.downsampled}
        entry.update({c: column(getattr(s, c)) for c in COLS if getattr(s, c) is not None})
        runs.append(entry)
    return JSON({"key": key, "x": x, "runs": runs})


def export_csv(request: Request) -> StreamingResponse:
    """Every point of the key in the range, for each run: ``run,name,step,wall_time,value``."""
    key, _, found = _read(request, exact=True)
    names = {rid: r.name for rid, r in request.app.state.runs.get().items()}

    def rows() -> Any:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["run", "name", "step", "wall_time", "value"])
        for rid, s in found:
            for step, wall, val in zip(s.step.tolist(), s.wall_time.tolist(), s.value.tolist()):
                w.writerow([rid, names.get(rid, ""), step, repr(wall), repr(val)])
                if buf.tell() > 1 << 16:
                    yield buf.getvalue()
                    buf.seek(0)
                    buf.truncate()
        yield buf.getvalue()

    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in key)[:80] or "scalars"
    return StreamingResponse(rows(), media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="{safe}.csv"'})


_PARAMS = {"key": "scalar key (required)", "run": "run id, repeatable", "x": "step, wall_time or relative",
           "lo": "x range start", "hi": "x range end", "rank": "rank (default 0)"}
PANEL = Panel(
    name="scalars", title="Scalars", order=10,
    routes=[Route("/series", series), Route("/csv", export_csv)],
    api_doc={
        "/series": {"summary": "One key for many runs, downsampled to buckets of last/min/max",
                    "params": {**_PARAMS, "buckets": "buckets per run (default 1000)",
                               "format": "json (default) or bin (float64 columns; no wall_time when x=step)"}},
        "/csv": {"summary": "Exact CSV of every point in the range", "params": _PARAMS, "media": "text/csv"},
    },
)
