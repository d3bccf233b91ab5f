"""Plans for the GAN panels: GAN (image GANs) and the GAN lab (see ``__init__``).

GAN: per GAN run, the overview (curves, timeline, metrics, alarms), the fixed-noise grid of up to
``limits.max_steps`` checkpoints (the scrubber snaps to the nearest kept one), and for a run
with a generator checkpoint the latent explorer's principal directions with each slider swept
alone over -3..3 sigma (moving several sliders at once shows the nearest kept image).

GAN lab: a live PyTorch session on the server, which a file cannot run. The report shows instead
the lab frames the runs logged (``gan.lab2d.frame`` records, e.g. the demo's ``gan/lab``), drawn
by the lab's own renderer, under ``report/ganlab`` (a report-only route; ``web/ganlab.js``).

Example::

    gan.gan(ctx)   # "1 run, 56 checkpoints, 37 explorer images"
"""

from __future__ import annotations

from typing import Any

from ._util import evenly, plural

__all__ = ["SWEEP", "gan", "ganlab"]

SWEEP = (-3, -2, -1, 1, 2, 3)  # sigma, one slider at a time
MAX_LAB_FRAMES = 4


def gan(ctx: Any) -> str | None:
    snap = ctx.snap
    got = snap.json("gan/runs", {"run": ctx.ids})
    runs = (got or {}).get("runs", [])
    if not runs:
        return None
    samples = explored = 0
    for r in runs:
        rid = r["id"]
        ov = snap.json("gan/overview", {"run": rid, "buckets": 512})
        if not ov:
            continue
        for t in evenly(ov.get("timeline", []), ctx.limits.max_steps):
            samples += snap.url("gan/sample", {"run": rid, "step": t["step"]}) is not None
        if not ov.get("checkpoint"):
            continue
        d = snap.json("gan/directions", {"run": rid})
        if not d:
            continue
        k = int(d["k"])
        vectors = [[0.0] * k]
        for i in range(k):
            for v in SWEEP:
                vec = [0.0] * k
                vec[i] = float(v)
                vectors.append(vec)
        for vec in vectors:
            explored += snap.url("gan/explore", {"run": rid, "s": ",".join(f"{v:.2f}" for v in vec)}) is not None
    return f"{plural(len(runs), 'run')}, {plural(samples, 'checkpoint')}, {plural(explored, 'explorer image')}"


def ganlab(ctx: Any) -> str | None:
    from ...gan.lab.export import render_png

    frames: list[Any] = []
    for rid in ctx.ids:
        try:
            entries = ctx.store.records(rid, kind="gan.lab2d.frame")
        except KeyError:
            continue
        latest: dict[str, Any] = {}
        for e in entries:
            latest[e.key] = e
        for e in latest.values():
            if len(frames) >= MAX_LAB_FRAMES:
                break
            q = {"run": rid, "key": e.key, "step": e.step}
            ctx.snap.add("report/ganlab.png", q, "url", render_png(e.record, curves=True, dpi=80), "image/png")
            cfg = getattr(e.record, "config", None) or {}
            frames.append({**q, "config": {k: cfg[k] for k in list(cfg)[:16]} if isinstance(cfg, dict) else {}})
    if not frames:
        return None
    import json

    from ...server.encode import jsonable

    ctx.snap.add("report/ganlab", {"run": ctx.ids}, "json",
                 json.dumps(jsonable({"frames": frames}), allow_nan=False).encode(), "application/json")
    return plural(len(frames), "logged frame")
