"""What a volume's viewer needs, computed once: intensity statistics, window presets, a histogram, Dice.

Percentiles come from at most ``SAMPLE`` voxels taken at an even stride (exact for volumes up to
4 million voxels, within a bin width of the exact value beyond); the histogram counts every voxel.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

__all__ = ["CT_PRESETS", "dice", "focus", "guess_modality", "histogram", "presets", "statistics"]

SAMPLE = 4_000_000
BINS = 128
# (name, window centre, window width) in Hounsfield units: the usual radiology presets
CT_PRESETS = [("CT brain", 40.0, 80.0), ("CT soft tissue", 50.0, 400.0), ("CT lung", -600.0, 1500.0),
              ("CT bone", 400.0, 1800.0)]
PERCENTILES = (0.5, 1.0, 2.0, 98.0, 99.0, 99.5)


def _sample(image: np.ndarray) -> np.ndarray:
    flat = image.ravel(order="K")  # memory order: no copy of a Fortran-ordered (NIfTI) volume either
    step = max(1, flat.size // SAMPLE)
    return flat[::step]


def statistics(image: np.ndarray) -> dict[str, float]:
    """min, max, mean, std and the percentiles the presets use (``p0.5`` ... ``p99.5``)."""
    s = _sample(image).astype(np.float64, copy=False)
    out = {"min": float(image.min()), "max": float(image.max()), "mean": float(s.mean()), "std": float(s.std())}
    for q, v in zip(PERCENTILES, np.percentile(s, PERCENTILES), strict=True):
        out[f"p{q:g}"] = float(v)
    return out


def histogram(image: np.ndarray, stats: dict[str, float], bins: int = BINS) -> dict[str, list[float]]:
    """Counts of every voxel over ``bins`` equal bins from min to max."""
    lo, hi = stats["min"], stats["max"]
    if hi <= lo:
        hi = lo + 1.0
    counts, edges = np.histogram(image.ravel(order="K"), bins=bins, range=(lo, hi))  # no C-order copy
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}


def guess_modality(stats: dict[str, float], given: str | None) -> str | None:
    """``given``, else "CT" when the values look like Hounsfield units (air near -1000), else None."""
    if given:
        return str(given)
    # CT: air (-1000 HU) fills the field of view around the body, so the lowest percentile sits there,
    # and nothing is far below it (-1024 is the scanners' floor); noise around zero in an MR image is not
    return "CT" if stats["min"] >= -1100 and stats["p1"] <= -900 and stats["max"] >= 300 else None


def presets(stats: dict[str, float], modality: str | None) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """The window presets (CT windows for CT; percentile windows always) and the default window."""
    def window(name: str, lo: float, hi: float) -> dict[str, Any]:
        width = max(hi - lo, 1e-6)
        return {"name": name, "center": (lo + hi) / 2, "width": width}

    out: list[dict[str, Any]] = []
    if modality and modality.upper() == "CT":
        out += [{"name": n, "center": c, "width": w} for n, c, w in CT_PRESETS]
    out += [window("0.5-99.5 %", stats["p0.5"], stats["p99.5"]), window("1-99 %", stats["p1"], stats["p99"]),
            window("2-98 %", stats["p2"], stats["p98"]), window("full range", stats["min"], stats["max"])]
    default = next(p for p in out if p["name"] == ("CT soft tissue" if out[0]["name"].startswith("CT")
                                                    else "0.5-99.5 %"))
    return out, {"center": float(default["center"]), "width": float(default["width"])}


def dice(labels: np.ndarray, pred: np.ndarray, ids: list[int]) -> dict[str, float]:
    """Dice per class id: 2|A and B| / (|A| + |B|) (1.0 when the class is in neither)."""
    out: dict[str, float] = {}
    top = int(max(ids, default=0)) + 1
    if top <= 256:
        both = np.bincount((labels.astype(np.int64) * top + pred).ravel(), minlength=top * top).reshape(top, top)
        a, b = both.sum(1), both.sum(0)
        for c in ids:
            denom = a[c] + b[c]
            out[str(c)] = float(2 * both[c, c] / denom) if denom else 1.0
        return out
    for c in ids:
        la, pb = labels == c, pred == c
        denom = int(la.sum() + pb.sum())
        out[str(c)] = float(2 * np.logical_and(la, pb).sum() / denom) if denom else 1.0
    return out


def _nearest(mask: np.ndarray, com: np.ndarray) -> tuple[int, int, int]:
    """The voxel of ``mask`` nearest ``com`` (ties: the first in C order, as np.argwhere lists them), one
    plane at a time across the axis slowest in memory (NIfTI's are Fortran-ordered): squared distances
    from broadcast axes, not np.argwhere's 24 bytes of indices a voxel."""
    a = int(np.argmax(mask.strides))
    best: tuple[float, tuple[int, int, int]] | None = None
    for i in range(mask.shape[a]):
        cut = mask[(slice(None),) * a + (i,)]
        if not cut.any():
            continue
        parts = [((np.arange(n) - com[j]) ** 2).reshape([-1 if k == j else 1 for k in range(3)])
                 for j, n in enumerate(mask.shape)]
        parts[a] = parts[a][(slice(None),) * a + (slice(i, i + 1),)]
        d2 = np.where(cut, ((parts[0] + parts[1]) + parts[2]).squeeze(a), np.inf)  # summed as argwhere's rows are
        low = float(d2.min())
        if best is not None and low > best[0]:
            continue
        ties = np.insert(np.argwhere(d2 == low), a, i, axis=1)
        x, y, z = (int(v) for v in ties[np.lexsort(ties.T[::-1])[0]])
        if best is None or (low, (x, y, z)) < best:
            best = (low, (x, y, z))
    assert best is not None
    return best[1]


def focus(labels: np.ndarray | None, pred: np.ndarray | None, heat: np.ndarray | None, signed: bool,
          shape: tuple[int, ...]) -> tuple[int, int, int]:
    """A voxel worth opening on: on the largest labelled class (else the prediction's), nearest that class's
    centre of mass; else the heat map's peak; else the middle voxel."""
    for arr in (labels, pred):
        if arr is not None and arr.any():
            counts = np.bincount(arr.ravel(order="K"))  # memory order: no copy of a NIfTI volume
            counts[0] = 0
            mask = arr == int(np.argmax(counts))
            # its centre of mass from the mask's projections (np.argwhere takes 24 bytes a voxel of the class)
            per_axis = [np.count_nonzero(mask, axis=tuple(j for j in range(3) if j != i)) for i in range(3)]
            com = np.array([p @ np.arange(len(p)) / counts.max() for p in per_axis])
            # the lattice points nearest the centre, in C order (a coordinate at .5 has two), else a search
            near = [[int(np.floor(c)), int(np.ceil(c))] if c % 1 == 0.5 else [int(np.round(c))] for c in com]
            hit = next((v for v in itertools.product(*near) if mask[v]), None)
            return (hit[0], hit[1], hit[2]) if hit is not None else _nearest(mask, com)
    if heat is not None:
        dev = np.abs(heat.astype(np.int16) - (128 if signed else 0))
        x, y, z = np.unravel_index(int(np.argmax(dev)), dev.shape)
        return int(x), int(y), int(z)
    return int(shape[0]) // 2, int(shape[1]) // 2, int(shape[2]) // 2
