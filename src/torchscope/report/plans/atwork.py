"""Plans for the trained model at work: Evaluation, Explain, Detections (see ``__init__``).

Evaluation: every ``eval.*`` record of the runs (the source menus can pick any) and the mistakes'
image sheets. Explain: per run, the index, each attribution's sample gallery, the image and heat
map of its first ``limits.max_samples`` samples, feature maps and filters. Detections: every
record with its image and masks.

Example::

    atwork.evaluation(ctx)   # "7 records"
"""

from __future__ import annotations

from typing import Any

from ._util import plural

__all__ = ["detections", "evaluation", "explain"]


def evaluation(ctx: Any) -> str | None:
    snap = ctx.snap
    index = snap.json("evaluation/index", {"run": ctx.ids})
    if not index or not any(index["runs"].get(r) for r in ctx.ids):
        return None
    n = 0
    for rid in ctx.ids:
        for e in index["runs"].get(rid, []):
            q = {"run": rid, "kind": e["kind"], "key": e["key"], "step": e["step"]}
            rec = snap.json("evaluation/record", q)
            n += rec is not None
            if rec and e["kind"] == "eval.mistakes" and rec["data"].get("images", {}).get("kept"):
                snap.url("evaluation/mistakes.png", {"run": rid, "key": e["key"], "step": e["step"]})
    return plural(n, "record")


def explain(ctx: Any) -> str | None:
    snap, most = ctx.snap, ctx.limits.max_samples
    found = attributions = 0
    for rid in ctx.ids:
        idx = snap.json("explain/index", {"run": rid})
        if not idx or not (idx["attributions"] or idx["feature_maps"] or idx["filters"] or idx["topk"]):
            continue
        found += 1
        for a in idx["attributions"]:
            attributions += 1
            one = {"run": rid, "key": a["key"], "step": a["step"]}
            snap.url("explain/gallery.png", one)
            for i in range(min(a["n"], most)):
                snap.url("explain/image.png", {**one, "i": i})
                snap.url("explain/heat.png", {**one, "i": i})
        for route, entries in (("explain/maps.png", idx["feature_maps"]), ("explain/filters.png", idx["filters"])):
            for e in entries:
                snap.url(route, {"run": rid, "key": e["key"], "step": e["step"]})
    return f"{plural(found, 'run')}, {plural(attributions, 'attribution')}" if found else None


def detections(ctx: Any) -> str | None:
    snap = ctx.snap
    index = snap.json("detections/index", {"run": ctx.ids})
    n = 0
    for rid in ctx.ids:
        for e in (index or {"runs": {}})["runs"].get(rid, []):
            q = {"run": rid, "key": e["key"], "step": e["step"]}
            rec = snap.json("detections/record", q)
            if rec is None:
                continue
            n += 1
            snap.url("detections/image.png", q)
            if rec.get("masks"):
                snap.url("detections/masks.png", q)
    return plural(n, "image") if n else None
