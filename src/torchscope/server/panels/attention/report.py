"""The Attention panel's part of the static report: what the panel opens with, for every record.

For each ``attention.maps`` record and each of its groups: the first sample's labels and
thumbnails, and its layers as the panel asks for them. A sequence within the head view's limit
keeps every layer (every head and the mean, exact: the head view and the heat map), and further
samples (up to ``limits.max_samples``) while the record's answers stay under ``RECORD_BUDGET``
bytes; a longer one keeps its last layer's mean over heads at the heat map's default size (its
other heads, samples and zoomed windows need a server). A vision transformer's rollout and image;
every ``explain.tokens`` record's samples. The contract of a report part is in
``torchscope.report.plans``.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import plural

__all__ = ["RECORD_BUDGET", "report"]

RECORD_BUDGET = 4 << 20  # bytes of answers kept per record beyond its first sample


def _sample(snap: Any, one: dict[str, Any], m: dict[str, Any], idx: dict[str, Any], sample: int) -> int:
    """Keep one sample of a record as the panel asks for it; the bytes kept."""
    snap.json("attention/labels", {**one, "sample": sample})
    used = 0
    for g in m["groups"]:
        first = {**one, "sample": sample, "group": g["name"]}
        used += len(snap.url("attention/thumbs", first) or b"")
        layers, tq, tk = g["shape"][0], g["shape"][3], g["shape"][4]
        if max(tq, tk) <= idx["limit"]:
            for li in range(layers - 1, -1, -1):  # the last first: the panel opens on it
                used += len(snap.url("attention/layer", {**first, "layer": li, "size": max(tq, tk)}) or b"")
        else:
            used += len(snap.url("attention/layer", {**first, "layer": layers - 1, "head": "mean",
                                                     "size": idx["size"]}) or b"")
        if m["grid"] and g["role"] == "self":
            snap.json("attention/rollout", first)
    if m["image"]:
        used += len(snap.url("attention/image.png", {**one, "sample": sample}) or b"")
    return used


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
            _sample(snap, one, m, idx, 0)
            short = all(max(g["shape"][3], g["shape"][4]) <= idx["limit"] for g in m["groups"])
            used = 0
            for sample in range(1, min(m["samples"], ctx.limits.max_samples) if short else 1):
                used += _sample(snap, one, m, idx, sample)
                if used > RECORD_BUDGET:
                    break
        for t in idx["tokens"]:
            tokens += 1
            snap.json("attention/tokens", {"run": rid, "key": t["key"], "step": t["step"]})
    if not maps and not tokens:
        return None
    return f"{plural(maps, 'attention record')}, {plural(tokens, 'token attribution')}"
