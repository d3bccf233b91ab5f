"""``build_report``: the dashboard's panels for some runs, as one self-contained HTML file.

Steps: choose the runs (:mod:`.source`); build the real dashboard app over the store, in-process
(``create_app(store, warm=False)``: its panels, their state and their data functions, never
served); for each panel, make the requests its default view makes (each panel's ``report`` part,
in its folder; the contract is in :mod:`.plans`) by calling the routes' data functions and keep
the answers (:mod:`.snapshot`); inline them with the panels' own modules and styles (:mod:`.assets`)
into one page (:mod:`.page`). The page needs no server and no network: ``web/offline.js``
answers the panels' ``api`` from the snapshot.

Example::

    build_report("tsruns", "report.html")                 # every run that is not archived
    build_report("tsruns", "best.html", runs=["86ed39ce9ba3"], progress=None)
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .assets import collect_modules, stylesheets
from .page import render_page
from .plans import FUZZY, Context, Limits
from .snapshot import Snapshot
from .source import select_runs

__all__ = ["build_report"]

REPORT_MODULES = {"ganlab": "report/ganlab.js"}  # panels a report shows with its own module
PRIVATE_RUN_FIELDS = ("host",)  # not needed by any panel, and a report travels (so: the store's name, not its path)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def build_report(source: str | os.PathLike[str] | None = None, out: str | os.PathLike[str] | None = None, *,
                 runs: Sequence[str] | None = None, panels: Sequence[str] | None = None, title: str | None = None,
                 limits: Limits | None = None, progress: Callable[[str], Any] | None = print) -> Path:
    """Write the report of ``source``'s runs to ``out`` (default ``report.html``); returns its path.

    ``source``: a store directory, a directory of stores, or a run id (see :func:`select_runs`);
    ``runs``: only these run ids (or names); ``panels``: only these panels (names, as in the
    dashboard's URLs); ``limits``: what to keep (:class:`~torchscope.report.plans.Limits`);
    ``progress``: called with a line per step (None: quiet). Example:
    ``build_report("tsruns", "report.html", runs=["a1b2c3"])``.
    """
    from ..server.app import create_app, shutdown

    say = progress or (lambda line: None)
    t0 = time.perf_counter()
    limits = limits or Limits()
    sel = select_runs(source, runs)
    out_path = Path(out if out is not None else "report.html")
    say(f"report of {len(sel.runs)} run{'s' if len(sel.runs) != 1 else ''} from {sel.dir}")
    app = create_app(sel.store, warm=False)
    snap = Snapshot.of(app)
    try:
        if panels is not None:
            unknown = sorted(set(panels) - {p.name for p in app.state.panels})
            if unknown:
                raise ValueError(f"unknown panel(s) {', '.join(unknown)}; the panels are "
                                 f"{', '.join(p.name for p in app.state.panels)}")
        got = snap.answer("runs", {"archived": "all"})
        assert got is not None, snap.failed
        listed = {r["id"]: r for r in json.loads(got[0])["runs"]}
        run_json = [{k: v for k, v in listed[r.id].items() if k not in PRIVATE_RUN_FIELDS} for r in sel.runs]
        ctx = Context(snap, sel.store, run_json, limits)
        sections, skipped, folders = [], [], []
        for p in app.state.panels:
            if panels is not None and p.name not in panels:
                continue
            title_ = p.panel.title if p.panel else p.name
            if p.panel is None:
                skipped.append({"name": p.name, "title": title_, "reason": f"the panel failed to load: {p.error}"})
                continue
            plan = p.panel.report
            if plan is None:
                skipped.append({"name": p.name, "title": title_, "reason": "no static view of this panel"})
                continue
            t = time.perf_counter()
            try:
                summary = plan(ctx)
            except Exception as exc:  # one panel's trouble never stops the report
                say(f"  {title_}: left out ({type(exc).__name__}: {exc})")
                skipped.append({"name": p.name, "title": title_, "reason": f"could not be read: {exc}"})
                continue
            if summary is None:
                skipped.append({"name": p.name, "title": title_, "reason": "nothing logged"})
                continue
            module = REPORT_MODULES.get(p.name, f"panels/{p.name}/{p.panel.module}")
            sections.append({"name": p.name, "title": title_, "module": module, "summary": summary})
            folders.append(p.panel.folder)
            say(f"  {title_}: {summary} ({time.perf_counter() - t:.1f} s, {_size(snap.size)} so far)")
        entries, gz_pack, raw_pack = snap.packs()
    finally:
        shutdown(app)
    from .. import __version__

    names = [r.name for r in sel.runs]
    meta = {
        "title": title or ("torchscope report: " + (", ".join(names[:3]) + (" ..." if len(names) > 3 else ""))),
        "created": time.time(), "version": __version__, "source": sel.dir.name, "runs": run_json,
        "sections": sections, "skipped": skipped, "fuzzy": FUZZY, "entries": entries,
        "limits": dataclasses.asdict(limits),
    }
    modules = collect_modules(["report/shell.js", *(s["module"] for s in sections)])
    html = render_page(meta, modules, stylesheets(f for f in folders if f is not None), gz_pack, raw_pack)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".part")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out_path)
    size = out_path.stat().st_size
    say(f"wrote {out_path} ({_size(size)}: {len(entries)} answers, {len(sections)} panels) "
        f"in {time.perf_counter() - t0:.1f} s")
    return out_path
