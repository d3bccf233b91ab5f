"""The Scalars panel's routes: its keys and ranks, downsampled series for many runs at once, and
exact CSV export.

``/api/scalars/keys`` lists the scalar keys of the runs with the ranks that logged each (every rank,
not only rank 0) and the ranks of each run: the page shows its rank selector when some run logged
under a rank other than 0 (``ts.init(..., all_ranks=True)``).
It also gives the runs' custom chart layout, when one logged it (``SummaryWriter.add_custom_scalars``,
``torchscope import-tensorboard``: a ``scalars.layout`` record): ``layout`` ``{"categories": [{"title",
"charts": [{"title", "type": "multiline" | "margin", "tags"}]}], "runs"}``, each run's last layout merged
in the order of the runs asked for (categories of the same title joined, the same chart once; see
``_layout``). The panel draws it as its first sections.
``/api/scalars/series`` answers one key for many runs, each reduced to ``buckets`` buckets of
last/min/max over the x range asked for (so a zoom re-queries at pixel resolution and a spike is
never hidden); ``format=bin`` sends float64 columns instead of JSON (see ``encode.py``).
``/api/scalars/csv`` streams every stored point in the range: exact values, no downsampling.
Both read one rank (``rank=1``; default 0) or, with ``rank=all``, every rank that logged the key:
one entry per run and rank, each entry saying its ``rank`` (the CSV then has a ``rank`` column).

Example::

    GET /api/scalars/series?key=train/loss&run=a1&run=b2&buckets=800&lo=100&hi=900&x=step
    GET /api/scalars/series?key=train/loss&run=a1&rank=all
"""

from __future__ import annotations

import csv
import io
from typing import Any

from ....errors import InvalidArgument, NotFound
from ....store.provider import Provider
from ...apidoc import RUN, Param
from ...context import PanelContext
from ...download import safe_name
from ...encode import binary_frame, column
from ...endpoint import Blob, Download, Query, endpoint
from ...params import float_param, int_param, run_ids, text_param
from ...registry import Panel
from .report import report

COLS = ("step", "wall_time", "value", "min", "max")


def _axis(q: Query) -> tuple[str, bool]:
    x = q.get("x", "step")
    if x not in ("step", "wall_time", "relative"):
        raise InvalidArgument("x must be step, wall_time or relative")
    return ("wall_time", True) if x == "relative" else (x, False)


MAX_RANK = 100000


def _rank(q: Query) -> int | None:
    """The ``rank`` parameter: a rank number (default 0), or None for ``rank=all``."""
    if q.get("rank") == "all":
        return None
    return int_param(q, "rank", 0, 0, MAX_RANK)


def _ranks_of(reader: Provider, rid: str, key: str) -> list[int]:
    """The ranks that logged scalar ``key`` in run ``rid`` (none for an unknown run)."""
    try:
        return sorted({k.rank for k in reader.keys(rid, kind="scalar") if k.key == key})
    except NotFound:
        return []


def _read(ctx: PanelContext, q: Query, *, exact: bool) -> tuple[str, str, list[tuple[str, int, Any]]]:
    """``(key, x, [(run, rank, series)])`` for the request's runs and rank (``rank=all``: every rank)."""
    store = reader = ctx.provider
    key = text_param(q, "key")
    x, relative = _axis(q)
    lo, hi = float_param(q, "lo"), float_param(q, "hi")
    buckets = None if exact else int_param(q, "buckets", 1000, 1, 20000)
    rank = _rank(q)
    ids = run_ids(q)
    runs = reader.by_id() if relative else {}
    ranges: dict[str, Any] = {}
    for rid in ids:
        if relative and rid not in runs:
            continue
        shift = runs[rid].created if relative else 0.0
        ranges[rid] = None if lo is None and hi is None else (None if lo is None else lo + shift,
                                                              None if hi is None else hi + shift)
    # (run, rank) pairs to read, run by run: one rank, or each rank that logged the key
    pairs = [(rid, r) for rid in ranges for r in ([rank] if rank is not None else _ranks_of(reader, rid, key))]
    out = []
    if exact:  # every point: read it fresh, never cached
        for rid, r in pairs:
            try:
                out.append((rid, r, store.scalars(rid, key, rank=r, x_range=ranges[rid], x=x)))
            except NotFound:
                continue
        return key, x, out
    # finished runs' answers come from the server's cache; the others are read in parallel
    by_query: dict[Any, list[str]] = {}
    for rid, r in pairs:
        by_query.setdefault((ranges[rid], r), []).append(rid)
    found: dict[tuple[str, int], Any] = {}
    for (rng, r), rids in by_query.items():
        got = reader.scalars_many(rids, key, rank=r, downsample=buckets, x_range=rng, x=x)
        found.update(((rid, r), s) for rid, s in zip(rids, got))
    # a run without the key (at that rank) is skipped: the others still answer
    return key, x, [(rid, r, found[(rid, r)]) for rid, r in pairs if found.get((rid, r)) is not None]


# what one layout may hold (a record is the user's data: a hostile or broken one must not cost much)
MAX_CATEGORIES, MAX_CHARTS, MAX_TAGS, MAX_TEXT = 100, 200, 100, 1000


def _text(v: Any) -> str | None:
    return v[:MAX_TEXT] if isinstance(v, str) else None


def _charts(raw: Any) -> list[dict[str, Any]]:
    """The well-formed charts of one category (others are left out)."""
    out: list[dict[str, Any]] = []
    for c in raw[:MAX_CHARTS] if isinstance(raw, list) else []:
        if not (isinstance(c, dict) and c.get("type") in ("multiline", "margin") and isinstance(c.get("tags"), list)):
            continue
        tags = [t for t in (_text(t) for t in c["tags"][:MAX_TAGS]) if t]
        title = _text(c.get("title")) or ", ".join(tags)
        if tags and (c["type"] == "multiline" or len(tags) == 3):  # a margin chart: value, lower, upper
            out.append({"title": title, "type": c["type"], "tags": tags})
    return out


def _layout(ctx: PanelContext, ids: list[str]) -> dict[str, Any] | None:
    """The runs' last ``scalars.layout`` records merged: ``{"categories", "runs"}`` (None when no run has one).
    Categories of the same title are one; a chart (title, type and tags) already there is not repeated."""
    cats: dict[str, list[dict[str, Any]]] = {}
    runs = []
    for rid in ids:
        try:
            entries = ctx.provider.records(rid, kind="scalars.layout")
        except NotFound:
            continue
        if not entries or not isinstance(entries[-1].data, dict):
            continue
        runs.append(rid)
        raw = entries[-1].data.get("categories")
        for cat in raw[:MAX_CATEGORIES] if isinstance(raw, list) else []:
            if not isinstance(cat, dict):
                continue
            title = _text(cat.get("title")) or ""
            if title not in cats and len(cats) >= MAX_CATEGORIES:
                continue
            have = cats.setdefault(title, [])
            have += [c for c in _charts(cat.get("charts")) if c not in have][:MAX_CHARTS - len(have)]
    if not runs:
        return None
    return {"categories": [{"title": t, "charts": cs} for t, cs in cats.items() if cs], "runs": runs}


def keys(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """The scalar keys of the runs at every rank, and the ranks of each run that logged scalars:
    ``{"keys": [{"key", "runs", "ranks", "count", "counts": {rank: points}}], "ranks", "run_ranks"}``,
    and ``layout`` (``_layout``) when a run logged one."""
    reader = ctx.provider  # finished runs' listings are kept
    merged: dict[str, dict[str, Any]] = {}
    run_ranks: dict[str, list[int]] = {}
    ids = run_ids(q)
    for rid in ids:
        try:
            infos = reader.keys(rid, kind="scalar")
        except NotFound:
            continue
        mine: set[int] = set()
        for k in infos:
            mine.add(k.rank)
            e = merged.setdefault(k.key, {"key": k.key, "runs": [], "ranks": set(), "count": 0, "counts": {}})
            if not e["runs"] or e["runs"][-1] != rid:  # a run's keys come together
                e["runs"].append(rid)
            e["ranks"].add(k.rank)
            e["count"] += k.count
            e["counts"][str(k.rank)] = e["counts"].get(str(k.rank), 0) + k.count
        if mine:  # a run without scalars (or unknown) is left out
            run_ranks[rid] = sorted(mine)
    out = [{**e, "ranks": sorted(e["ranks"])} for _, e in sorted(merged.items())]
    every = sorted({r for rs in run_ranks.values() for r in rs})
    answer: dict[str, Any] = {"keys": out, "ranks": every, "run_ranks": run_ranks}
    layout = _layout(ctx, ids)
    if layout is not None:  # (no field when no run has a layout)
        answer["layout"] = layout
    return answer


def series(ctx: PanelContext, q: Query) -> dict[str, Any] | Blob:
    """One key for many runs: JSON ``{"key", "x", "runs": [{"run", "rank", "total", "downsampled", cols...}]}``
    (``format=bin``: the same as a binary frame of float64 columns)."""
    key, x, found = _read(ctx, q, exact=False)
    if q.get("format") == "bin":
        names = [c for c in COLS if not (c == "wall_time" and x == "step")]  # on a step axis: not drawn
        header: dict[str, Any] = {"key": key, "x": x, "cols": names, "runs": []}
        cols = []
        for rid, r, s in found:
            header["runs"].append({"run": rid, "rank": r, "n": len(s), "total": s.total,
                                   "downsampled": s.downsampled})
            lo_, hi_ = (s.min, s.max) if s.downsampled else (s.value, s.value)
            by = {"step": s.step, "wall_time": s.wall_time, "value": s.value, "min": lo_, "max": hi_}
            cols += [by[c] for c in names]
        return Blob(binary_frame(header, cols), "application/octet-stream")
    runs = []
    for rid, r, s in found:
        entry: dict[str, Any] = {"run": rid, "rank": r, "total": s.total, "downsampled": s.downsampled}
        entry.update({c: column(getattr(s, c)) for c in COLS if getattr(s, c) is not None})
        runs.append(entry)
    return {"key": key, "x": x, "runs": runs}


def export_csv(ctx: PanelContext, q: Query) -> Download:
    """Every point of the key in the range, for each run: ``run,name,step,wall_time,value``
    (``rank=all``: ``run,name,rank,step,wall_time,value``, every rank of each run)."""
    every = _rank(q) is None
    key, _, found = _read(ctx, q, exact=True)
    names = {rid: r.name for rid, r in ctx.provider.by_id().items()}

    def rows() -> Any:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["run", "name", "rank", "step", "wall_time", "value"] if every
                   else ["run", "name", "step", "wall_time", "value"])
        for rid, r, s in found:
            head = [rid, names.get(rid, ""), r] if every else [rid, names.get(rid, "")]
            for step, wall, val in zip(s.step.tolist(), s.wall_time.tolist(), s.value.tolist()):
                w.writerow([*head, step, repr(wall), repr(val)])
                if buf.tell() > 1 << 16:
                    yield buf.getvalue()
                    buf.seek(0)
                    buf.truncate()
        yield buf.getvalue()

    name = safe_name(key, default="scalars") + ".csv"  # as chart.js names it; any script (RFC 6266 header)
    return Download(rows(), name, "text/csv")


_PARAMS = {"key": Param("scalar key", required=True), "run": RUN,
           "x": Param("step, wall_time or relative", enum=("step", "wall_time", "relative")),
           "lo": Param("x range start", type="number"), "hi": Param("x range end", type="number"),
           "rank": Param("rank (default 0), or all: every rank that logged the key, one entry per run and rank",
                         pattern="^(all|[0-9]{1,5})?$", max_length=8)}
PANEL = Panel(
    name="scalars", report=report, title="Scalars", order=10,
    routes=[endpoint("/keys", keys), endpoint("/series", series), endpoint("/csv", export_csv)],
    api_doc={
        "/keys": {"summary": "Scalar keys of the runs at every rank: keys [{key, runs, ranks, count, counts "
                             "(points per rank)}], ranks (all of them), run_ranks ({run: [ranks]}) and, when a run "
                             "logged add_custom_scalars, layout {categories [{title, charts [{title, type "
                             "(multiline: tags are regexes; margin: value, lower, upper), tags}]}], runs}",
                  "params": {"run": RUN}},
        "/series": {"summary": "One key for many runs, downsampled to buckets of last/min/max",
                    "params": {**_PARAMS, "buckets": Param("buckets per run (default 1000)", type="integer", minimum=1,
                                                             maximum=20000),
                               "format": Param("json (default) or bin (float64 columns; no wall_time when x=step)",
                                               enum=("json", "bin"))},
                    "media": ("application/json", "application/octet-stream")},
        "/csv": {"summary": "Exact CSV of every point in the range (rank=all: with a rank column)",
                 "params": _PARAMS, "media": "text/csv"},
    },
)
