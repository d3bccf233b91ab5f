"""Projector panel benchmark: frame time while panning 70,000 points in headless Chromium.

Logs a 70,000-point projection with thumbnails (the MNIST test set's PCA repeated 7 times when
../shared/data/mnist exists, synthetic clusters otherwise; built by the e2e tests' helper) to a
store under /tmp, serves it, opens the Projector panel in headless Chromium (Debian's
/usr/bin/chromium, software rendering: --disable-gpu) and prints:

- the time from navigation until the 70,000 points are drawn, this version against the previous
  one (kept below as the reference: the list of sources and the points answered from the rebuilt
  record, which decodes its 55-megapixel sprite sheet, every integer column as int32), in
  alternating rounds, each on a fresh server (a cold read cache) and a fresh browser context (a
  cold HTTP cache), with the time the sources and points requests took in the browser;
- while panning (each animation frame moves the view and redraws every point): the draw time per
  frame and the interval between animation frames (median and 95th percentile; goal: under 16 ms);
- the same frames drawn the way a hand-written canvas scatter does it (one ``arc`` + ``fill`` per
  point with the class colour, same canvas size), and the ratio.

    python benchmarks/bench_projector_page.py [--points 70000] [--rounds 6] [--frames 240] [--width 1280 --height 900]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAN = """(frames) => new Promise((done) => { const s = window.torchscope.projector.scatter;
  const draws = [], gaps = []; let last = null, k = 0;
  function step(t) { if (last !== null) gaps.push(t - last); last = t; s.panBy(3, 1.5);
    cancelAnimationFrame(s.pending); s.pending = 0; draws.push(s.draw());
    if (++k < frames) requestAnimationFrame(step); else done({ draws, gaps }); }
  requestAnimationFrame(step); })"""

NAIVE = """(frames) => new Promise((done) => { const p = window.torchscope.projector, s = p.scatter;
  const c = document.createElement('canvas'); c.width = s.W; c.height = s.H; const g = c.getContext('2d');
  const colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf"];
  const draws = [], gaps = []; let last = null, k = 0;
  function step(t) { if (last !== null) gaps.push(t - last); last = t; s.panBy(3, 1.5); cancelAnimationFrame(s.pending);
    s.pending = 0; const t0 = performance.now(); s.project(); g.fillStyle = '#fff'; g.fillRect(0, 0, c.width, c.height);
    g.globalAlpha = s.alpha; const r = s.size * s.dpr;
    for (let i = 0; i < s.n; i++) { g.fillStyle = colors[p.cols.labels[i] % 10]; g.beginPath();
      g.arc(s.sx[i], s.sy[i], r, 0, 6.2832); g.fill(); }
    g.getImageData(0, 0, 1, 1); draws.push(performance.now() - t0);
    if (++k < frames) requestAnimationFrame(step); else done({ draws, gaps }); }
  requestAnimationFrame(step); })"""


# -- the previous release's /sources and /points (the reference) -------------------------------------
def _previous_frame(header: dict[str, Any], columns: list[tuple[str, np.ndarray]]) -> bytes:
    """The previous frame: every integer column as int32 (the layout is the same)."""
    import struct

    from torchscope.server.encode import jsonable

    arrays = []
    for name, a in columns:
        f = np.asarray(a).dtype.kind == "f"
        arrays.append((name, "float32" if f else "int32", np.ascontiguousarray(a, "<f4" if f else "<i4").ravel()))
    cols: list[dict[str, Any]] = []
    head = b""
    for _ in range(16):
        head = json.dumps(jsonable({**header, "columns": cols}), allow_nan=False, separators=(",", ":")).encode()
        off = 4 + len(head) + (-(4 + len(head))) % 8
        new = []
        for name, dtype, a in arrays:
            new.append({"name": name, "dtype": dtype, "offset": off, "length": int(a.size)})
            off += a.nbytes + (-a.nbytes) % 8
        if new == cols:
            break
        cols = new
    parts = [struct.pack("<I", len(head)), head, b"\0" * ((-(4 + len(head))) % 8)]
    for _, _, a in arrays:
        parts += [a.tobytes(), b"\0" * ((-a.nbytes) % 8)]
    return b"".join(parts)


def sources_previous(ctx: Any, q: Any) -> dict[str, Any]:
    """The previous /sources: each projection described from its rebuilt record."""
    from torchscope.server.panels.projector import KINDS, _describe
    from torchscope.server.params import run_ids
    from torchscope.server.shared.data_records import data_entries

    out = []
    for rid in run_ids(q):
        for info, entries in data_entries(ctx.provider, rid, KINDS):
            for e in entries:
                recs = [(-1, e.record)] if e.record.kind == "data.projection" else \
                    [(i, c) for i, c in enumerate(getattr(e.record, "records", [])) if c.kind == "data.projection"]
                for part, rec in recs:
                    out.append({"run": rid, "key": info.key, "id": e.id, "part": part, "step": e.step,
                                "wall_time": e.wall_time, **_describe(rec)})
    out.sort(key=lambda s: s["wall_time"])
    return {"sources": out}


def points_previous(ctx: Any, q: Any) -> Any:
    """The previous /points: the rebuilt record's columns, integers as int32, indices always."""
    from torchscope.server.endpoint import Blob
    from torchscope.server.panels.projector import IMMUTABLE, _describe, _projection

    rec = _projection(ctx, q)
    cols = [("coords", np.asarray(rec.coords, np.float32)), ("labels", np.asarray(rec.labels))]
    if rec.predictions is not None:
        cols.append(("predictions", np.asarray(rec.predictions)))
    if rec.indices is not None and len(rec.indices) and int(np.max(rec.indices)) < 2 ** 31:
        cols.append(("indices", np.asarray(rec.indices)))
    return Blob(_previous_frame(_describe(rec), cols), "application/octet-stream", IMMUTABLE)


@contextlib.contextmanager
def routes(previous: bool) -> Iterator[None]:
    """The projector panel's routes as this version has them, or with the previous /sources and /points."""
    from torchscope.server.endpoint import endpoint
    from torchscope.server.panels.projector import PANEL

    kept = list(PANEL.routes)
    if previous:
        fns = {"/sources": sources_previous, "/points": points_previous}
        PANEL.routes[:] = [endpoint(r.path, fns[r.path]) if r.path in fns else r for r in kept]
    try:
        yield
    finally:
        PANEL.routes[:] = kept


TIMINGS = """() => Object.fromEntries(performance.getEntriesByType('resource')
  .filter((e) => e.name.includes('/api/projector/'))
  .map((e) => [e.name.includes('/sources') ? 'sources' : 'points', [e.responseEnd - e.startTime, e.transferSize]]))"""


def first_open(browser: Any, store: Path, run_id: str, previous: bool, width: int, height: int) -> dict[str, Any]:
    """Navigation to the drawn points on a fresh server and browser context; the page stays open."""
    from tests.server.util import ServerThread

    from torchscope.server import create_app

    with routes(previous):
        app = create_app(store, warm=False)
    with ServerThread(app) as url:
        ctx = browser.new_context(viewport={"width": width, "height": height})
        page = ctx.new_page()
        sel = json.dumps({"manual": True, "selected": [run_id]})
        page.add_init_script(f"localStorage.setItem('torchscope.runs', {json.dumps(sel)})")
        t = time.perf_counter()
        page.goto(f"{url}/#projector")
        page.wait_for_selector(".projector[data-state='drawn']", timeout=120_000)
        page.evaluate("() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)))")
        first = time.perf_counter() - t
        out = {"first": first, **page.evaluate(TIMINGS)}
        ctx.close()
    return out


def stats(xs: list[float]) -> tuple[float, float]:
    xs = sorted(xs)
    return statistics.median(xs), xs[min(len(xs) - 1, int(0.95 * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=70_000)
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--rounds", type=int, default=6, help="alternating first-open rounds, previous vs now")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=900)
    ap.add_argument("--store", default="/tmp/torchscope-bench-projector")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright
    from tests.e2e.test_data_panels import big_projection
    from tests.server.util import ServerThread

    import torchscope as ts
    from torchscope.server import create_app

    store = Path(args.store) / str(args.points)
    if not (store / ".complete").exists():
        shutil.rmtree(store, ignore_errors=True)
        t = time.perf_counter()
        run = ts.init(project="bench", name=f"projector-{args.points}", dir=store)
        run.log_record(big_projection(args.points), key="projection")
        run.finish()
        (store / ".complete").write_text(run.id)
        print(f"built {store} in {time.perf_counter() - t:.1f} s")
    run_id = (store / ".complete").read_text()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        opens: dict[str, list[dict[str, Any]]] = {"previous": [], "now": []}
        for r in range(args.rounds):
            for who in (("previous", "now") if r % 2 == 0 else ("now", "previous")):
                opens[who].append(first_open(browser, store, run_id, who == "previous", args.width, args.height))
        with ServerThread(create_app(store, warm=False)) as url:
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            sel = json.dumps({"manual": True, "selected": [run_id]})
            page.add_init_script(f"localStorage.setItem('torchscope.runs', {json.dumps(sel)})")
            page.goto(f"{url}/#projector")
            page.wait_for_selector(".projector[data-state='drawn']", timeout=120_000)
            size = page.evaluate("() => { const s = window.torchscope.projector.scatter; return [s.W, s.H, s.n]; }")
            ours = page.evaluate(PAN, args.frames)
            naive = page.evaluate(NAIVE, max(20, args.frames // 4))
        browser.close()
    d50, d95 = stats(ours["draws"])
    g50, g95 = stats(ours["gaps"])
    n50, n95 = stats(naive["draws"])
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    print(f"projector panel, {size[2]:,} points on a {size[0]}x{size[1]} canvas (headless Chromium, --disable-gpu); "
          f"machine load {load:.1f} per CPU (p95 figures suffer when it is above 1)")
    print(f"  first draw after navigation (fresh server and browser context; {args.rounds} alternating rounds):")
    for who in ("previous", "now"):
        f = [o["first"] for o in opens[who]]
        src = [o["sources"][0] for o in opens[who]]
        pts = [o["points"][0] for o in opens[who]]
        print(f"    {who:8s} {min(f):.2f}-{max(f):.2f} s (median {statistics.median(f):.2f}); /sources "
              f"{min(src):.0f}-{max(src):.0f} ms, /points {min(pts):.0f}-{max(pts):.0f} ms "
              f"({opens[who][0]['points'][1] / 1e6:.2f} MB)")
    ratios = sorted(p["first"] / n["first"] for p, n in zip(opens["previous"], opens["now"]))
    print(f"    previous/now {ratios[0]:.1f}-{ratios[-1]:.1f}x (median {statistics.median(ratios):.1f}x); goal: "
          f"under 1 s -> {'met' if statistics.median([o['first'] for o in opens['now']]) < 1 else 'NOT met'} (median)")
    print(f"  panning, {len(ours['draws'])} frames: draw {d50:.2f} ms median, {d95:.2f} ms p95; "
          f"frame interval {g50:.2f} ms median, {g95:.2f} ms p95 ({1000 / g50:.0f} fps) -> goal (median frame "
          f"under 16 ms at 60 fps): {'met' if d50 < 16 and g50 < 17.5 else 'NOT met'}")
    print(f"  hand-written canvas scatter (arc+fill per point), {len(naive['draws'])} frames: draw {n50:.2f} ms "
          f"median, {n95:.2f} ms p95 -> torchscope is {n50 / d50:.1f}x faster per frame")


if __name__ == "__main__":
    main()
