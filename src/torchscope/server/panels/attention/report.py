"""The Attention panel's part of the static report: what the panel opens with, for every record.

For each ``attention.maps`` record, the first sample's labels, thumbnails, and the default layer
(the last) as the panel asks for it: every head and the mean when the sequence is short enough for
the head view, else the mean over heads at the heat map's default size; the rollout and the image
of a vision transformer. Short records (the head view's) keep every layer of their first sample,
up to ``LAYER_BUDGET`` bytes a record, so the layer picker works offline. Every ``explain.tokens``
record's samples. The contract of a report part is in ``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import plural

__all__ = ["LAYER_BUDGET", "report"]

LAYER_BUDGET = 4 << 20  # bytes of layer frames kept per record beyond the default one


def report(ctx: Any) -> str | None:
    snap = ctx.snap
    maps = tokens = 0
    for rid in ctx.ids:
        idx = snap.json("attention/index", {"run": rid})
        if not idx or not (idx["maps"] or idx["tokens"]):
            continue
        for m in idx["maps"]:
            maps += 1
            one = {"run": rid, "key": m["key"], "step": m["step"]}
            snap.json("attention/labels", {**one, "sample": 0})
            g = m["groups"][0]
            first = {**one, "sample": 0, "group": g["name"]}
            snap.url("attention/thumbs", first)
            layers, tq, tk = g["shape"][0], g["shape"][3], g["shape"][4]
            if max(tq, tk) <= idx["limit"]:
                used = 0
                for li in range(layers - 1, -1, -1):  # the last first: the panel opens on it
                    body = snap.url("attention/layer", {**first, "layer": li, "size": max(tq, tk)})
                    used += len(body or b"")
                    if used > LAYER_BUDGET:
                        break
            else:
                snap.url("attention/layer", {**first, "layer": layers - 1, "head": "mean", "size": idx["size"]})
            if m["grid"]:
                snap.json("attention/rollout", first)
                if m["image"]:
                    snap.url("attention/image.png", {**one, "sample": 0})
        for t in idx["tokens"]:
            tokens += 1
            snap.json("attention/tokens", {"run": rid, "key": t["key"], "step": t["step"]})
    if not maps and not tokens:
        return None
    return f"{plural(maps, 'attention record')}, {plural(tokens, 'token attribution')}"
