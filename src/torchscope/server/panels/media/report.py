"""The Media panel's part of the static report: each key's media at up to ``STEPS`` steps, the 3-D ones as
projections at eight azimuths (the panel's 2-D view; a report has no WebGL code).

The contract of a report part is in ``torchscope.report.plans``. The route's index is kept as it is; beside
it, ``report/media?run=`` lists only the steps kept, which the page reads instead, so the panel's step
sliders offer nothing the report lacks.
"""

from __future__ import annotations

from typing import Any

from ....report.plans._util import evenly, plural
from ...endpoint import encode_answer

__all__ = ["report"]

STEPS = 12  # steps kept per key (evenly spaced, first and last): media are heavy
AZIMUTHS = (0, 45, 90, 135, 180, 225, 270, 315)  # view3d.js REPORT_AZIMUTHS
ELEVATION, SIZE = 20, 360  # view3d.js REPORT_ELEVATION, VIEW_SIZE


def _kept(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_key: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_key.setdefault(e["key"], []).append(e)
    return [e for key in by_key for e in evenly(by_key[key], STEPS)]


def report(ctx: Any) -> str | None:
    snap = ctx.snap
    counts = [0, 0, 0]
    for rid in ctx.ids:
        idx = snap.json("media/index", {"run": rid})
        if not idx or not (idx["videos"] or idx["audio"] or idx["points"]):
            continue
        idx = {**idx, "videos": _kept(idx["videos"]), "audio": _kept(idx["audio"]), "points": _kept(idx["points"])}
        snap.add("report/media", {"run": rid}, "json", *encode_answer(idx))
        for e in idx["videos"]:
            snap.url("media/video", {"run": rid, "key": e["key"], "step": e["step"]})
        for e in idx["audio"]:
            one = {"run": rid, "key": e["key"], "step": e["step"]}
            snap.json("media/waveform", one)
            snap.url("media/audio.wav", one)
            snap.url("media/spectrogram.png", one)
        for e in idx["points"]:
            for az in AZIMUTHS:
                snap.url("media/points.png", {"run": rid, "key": e["key"], "step": e["step"], "batch": 0, "azimuth": az,
                                              "elevation": ELEVATION, "size": SIZE})
        counts = [counts[0] + len(idx["videos"]), counts[1] + len(idx["audio"]), counts[2] + len(idx["points"])]
    if not any(counts):
        return None
    return ", ".join([plural(counts[0], "video"), plural(counts[1], "audio clip"), plural(counts[2], "3-D view")])
