"""The Volumes panel's part of the static report: each run's volume index and whole downsampled volumes.

The report cannot ask for planes, so it keeps each volume whole (``volume.bin``: every layer, at most
``MAX_SIDE`` voxels a side, evenly spaced frames of the 4th axis, at most ``MAX_FRAMES``) and the page
slices it (``panel.js`` with ``sources.localSource``). The latest step of each key comes first; past
``MAX_VOLUMES`` volumes or ``BUDGET`` bytes the rest are left out. The index stays the live route's
answer; what the page holds goes beside it (``report/volumes?run=``: ``{"volumes": {"key|step": {"max",
"frames"}}, "note"}``), and the panel says what was left out. The contract of a report part is in
``torchscope.report.plans``.

Example::

    summary = report(ctx)   # "1 run, 3 volumes (2 frames)"
"""

from __future__ import annotations

import math
from typing import Any

from ....report.plans._util import evenly, plural
from ...endpoint import encode_answer

__all__ = ["BUDGET", "MAX_FRAMES", "MAX_SIDE", "MAX_VOLUMES", "report"]

MAX_SIDE = 128  # voxels along a kept volume's longest axis
MAX_FRAMES = 8  # kept frames (time points or channels) per volume
MAX_VOLUMES = 24  # kept volumes in the whole report
BUDGET = 64 << 20  # raw bytes of kept volumes in all (the page holds them gzipped and base64-encoded)


def _frame_bytes(v: dict[str, Any]) -> int:
    """What one kept frame of ``v`` weighs: the downsampled voxels times the bytes of its layers."""
    stride = max(1, -(-max(v["shape"][1:]) // MAX_SIDE))
    voxels = math.prod(-(-n // stride) for n in v["shape"][1:])
    return voxels * (2 + 2 * v["has_labels"] + 2 * v["has_pred"] + v["has_heat"])


def _priority(volumes: list[dict[str, Any]]) -> list[int]:
    """Indices of ``volumes``: the latest step of each key first (keys in order), then the rest newest first."""
    last: dict[str, int] = {}
    for i, v in enumerate(volumes):
        if v["key"] not in last or v["step"] >= volumes[last[v["key"]]]["step"]:
            last[v["key"]] = i
    first = list(last.values())
    rest = sorted(set(range(len(volumes))) - set(first), key=lambda i: -volumes[i]["step"])
    return first + rest


def report(ctx: Any) -> str | None:
    snap = ctx.snap
    runs = kept = frames = left = used = 0
    for rid in ctx.ids:
        idx = snap.json("volumes/index", {"run": rid})
        if not idx or not idx["volumes"]:
            continue
        runs += 1
        vols, out = idx["volumes"], 0
        keep: dict[str, dict[str, Any]] = {}  # "key|step" -> what the page holds: {"max", "frames"}
        for i in _priority(vols):
            v = vols[i]
            ts = evenly(list(range(v["shape"][0])), MAX_FRAMES)
            need = _frame_bytes(v) * len(ts)
            held = keep[f"{v['key']}|{v['step']}"] = {"max": MAX_SIDE, "frames": []}
            if kept >= MAX_VOLUMES or used + need > BUDGET:
                out += 1
                continue
            got = []
            for t in ts:
                body = snap.url("volumes/volume.bin", {"run": rid, "key": v["key"], "step": v["step"], "t": t,
                                                       "max": MAX_SIDE})
                if body is not None:
                    got.append(t)
                    used += len(body)
            held["frames"] = got
            kept, frames = kept + bool(got), frames + len(got)
        note = None
        if out:
            note = (f"{plural(out, 'volume')} of this run left out of the report (it keeps at most {MAX_VOLUMES} "
                    f"volumes and {BUDGET >> 20} MB of voxels; the latest step of each key first); torchscope serve "
                    "shows them all.")
            left += out
        # the index stays the live route's answer; what the page holds goes beside it (no route: report/)
        snap.add("report/volumes", {"run": rid}, "json", *encode_answer({"volumes": keep, "note": note}))
    if not runs:
        return None
    return (f"{plural(runs, 'run')}, {plural(kept, 'volume')} ({plural(frames, 'frame')})"
            + (f", {left} left out" if left else ""))
