"""Target distributions of the 2-D GAN lab: what the generator has to learn.

Every target lives in the lab's square view ``[-1.5, 1.5]^2`` and samples with a
``torch.Generator`` (reproducible). Mixtures also know their mode centres and spread, which
:func:`~torchscope.gan.lab.metrics.mode_coverage` uses. The ring of 8 Gaussians is the benchmark
of the mode-collapse literature (Metz et al. 2017, "Unrolled GANs"; Srivastava et al. 2017,
"VEEGAN"); the set of shapes follows GAN Lab (Kahng et al. 2018, "GAN Lab: Understanding Complex
Deep Generative Models using Interactive Visual Experimentation").

Example::

    x = target("ring").sample(512)              # tensor (512, 2)
    t = drawn([[0, 0], [0.5, 0.5], [1, 0]])     # a user's drawing
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

__all__ = ["BOUNDS", "TARGETS", "Target", "drawn", "target"]

BOUNDS = (-1.5, 1.5)  # the lab's view box, both axes


@dataclass
class Target:
    """A 2-D distribution: ``name``, its parameters and (for mixtures) mode centres and spread.

    Example: ``target("mixture", modes=3).sample(100, torch.Generator().manual_seed(0))``.
    """

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    centers: np.ndarray | None = None  # (K, 2) for mixtures, else None
    std: float = 0.0
    points: np.ndarray | None = None  # drawn targets: the (N, 2) polyline vertices / points
    strokes: list[int] | None = None  # drawn targets: the length of each stroke in ``points``

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples as a float32 tensor ``(n, 2)``: ``target("moons").sample(256)``."""
        g = generator if generator is not None else torch.Generator().manual_seed(0)
        x = _SAMPLERS[self.name](self, int(n), g)
        return x.to(torch.float32)

    def spec(self) -> dict[str, Any]:
        """A JSON-able description that :func:`target` turns back into this target."""
        out: dict[str, Any] = {"name": self.name, **self.params}
        if self.points is not None:
            out["points"] = self.points.tolist()
            out["strokes"] = list(self.strokes or [len(self.points)])
        return out


def _uniform(n: int, g: torch.Generator, lo: float = 0.0, hi: float = 1.0) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=g)


def _mixture(t: Target, n: int, g: torch.Generator) -> torch.Tensor:
    centers = torch.as_tensor(t.centers, dtype=torch.float32)
    idx = torch.randint(len(centers), (n,), generator=g)
    return centers[idx] + t.std * torch.randn(n, 2, generator=g)


def _line(t: Target, n: int, g: torch.Generator) -> torch.Tensor:
    s = _uniform(n, g, -1.0, 1.0)
    return torch.stack([s, 0.5 * s], 1) + t.params.get("noise", 0.02) * torch.randn(n, 2, generator=g)


def _moons(t: Target, n: int, g: torch.Generator) -> torch.Tensor:
    a = _uniform(n, g, 0.0, math.pi)
    upper = torch.rand(n, generator=g) < 0.5
    x = torch.where(upper, torch.cos(a), 1.0 - torch.cos(a))
    y = torch.where(upper, torch.sin(a), 0.5 - torch.sin(a))
    pts = torch.stack([x - 0.5, y - 0.25], 1) * 0.9
    return pts + t.params.get("noise", 0.05) * torch.randn(n, 2, generator=g)


def _spiral(t: Target, n: int, g: torch.Generator) -> torch.Tensor:
    s = torch.sqrt(_uniform(n, g))  # uniform along the arc, roughly
    a = 3.0 * math.pi * s
    r = 1.2 * s
    pts = torch.stack([r * torch.cos(a), r * torch.sin(a)], 1)
    return pts + t.params.get("noise", 0.03) * torch.randn(n, 2, generator=g)


def _disc(t: Target, n: int, g: torch.Generator) -> torch.Tensor:
    r = t.params.get("radius", 1.0) * torch.sqrt(_uniform(n, g))
    a = _uniform(n, g, 0.0, 2 * math.pi)
    return torch.stack([r * torch.cos(a), r * torch.sin(a)], 1)


def _checkerboard(t: Target, n: int, g: torch.Generator) -> torch.Tensor:
    k = int(t.params.get("cells", 4))
    size = 2.4 / k
    cells = [(i, j) for i in range(k) for j in range(k) if (i + j) % 2 == 0]
    corner = torch.tensor(cells, dtype=torch.float32)[torch.randint(len(cells), (n,), generator=g)]
    return (corner + torch.rand(n, 2, generator=g)) * size - 1.2


def _drawn(t: Target, n: int, g: torch.Generator) -> torch.Tensor:
    pts = torch.as_tensor(t.points, dtype=torch.float32)
    jitter = t.params.get("noise", 0.04)
    segs = _segments(pts, t.strokes or [len(pts)])
    if segs is None:  # isolated points: a small Gaussian around each
        base = pts[torch.randint(len(pts), (n,), generator=g)]
    else:
        a, b = segs
        length = (b - a).norm(dim=1)
        idx = torch.multinomial(length / length.sum(), n, replacement=True, generator=g)
        s = torch.rand(n, 1, generator=g)
        base = a[idx] + s * (b[idx] - a[idx])
    return base + jitter * torch.randn(n, 2, generator=g)


def _segments(pts: torch.Tensor, strokes: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor] | None:
    a, b, start = [], [], 0
    for k in strokes:
        if k >= 2:
            a.append(pts[start:start + k - 1])
            b.append(pts[start + 1:start + k])
        start += k
    if not a:
        return None
    a_t, b_t = torch.cat(a), torch.cat(b)
    keep = (b_t - a_t).norm(dim=1) > 1e-9
    return (a_t[keep], b_t[keep]) if keep.any() else None


_SAMPLERS = {"line": _line, "mixture": _mixture, "ring": _mixture, "moons": _moons, "spiral": _spiral,
             "disc": _disc, "checkerboard": _checkerboard, "drawn": _drawn}
TARGETS = tuple(_SAMPLERS)


def _ring_centers(k: int, radius: float) -> np.ndarray:
    a = 2 * np.pi * np.arange(k) / k
    return np.stack([radius * np.cos(a), radius * np.sin(a)], 1).astype(np.float32)


def target(name: str | dict[str, Any] | Target = "ring", **params: Any) -> Target:
    """A named target: ``target("ring", modes=8, std=0.05)``; also takes a :meth:`Target.spec` dict.

    Names: line, mixture (``modes`` Gaussians on a 2-row grid), ring (``modes`` Gaussians on a
    circle), moons, spiral, disc, checkerboard, drawn (``points=`` and optional ``strokes=``).
    """
    if isinstance(name, Target):
        return name
    if isinstance(name, dict):
        spec = dict(name)
        name = spec.pop("name", "ring")
        params = {**spec, **params}
    if name not in _SAMPLERS:
        raise ValueError(f"unknown target {name!r}; choose one of {', '.join(TARGETS)} "
                         "(or 'drawn' with points=[[x, y], ...])")
    if name == "drawn":
        return drawn(params.pop("points", None), strokes=params.pop("strokes", None), **params)
    if name in ("ring", "mixture"):
        k = int(params.get("modes", 8 if name == "ring" else 6))
        std = float(params.get("std", 0.05 if name == "ring" else 0.08))
        if k < 1 or std <= 0:
            raise ValueError(f"{name}: modes must be >= 1 and std > 0 (got modes={k}, std={std})")
        if name == "ring":
            centers = _ring_centers(k, float(params.get("radius", 1.0)))
        else:
            cols = math.ceil(k / 2)
            xs = np.linspace(-1.0, 1.0, cols) if cols > 1 else np.zeros(1)
            centers = np.array([(xs[i % cols], 0.5 if i < cols else -0.5) for i in range(k)], np.float32)
        return Target(name, {"modes": k, "std": std, **params}, centers=centers, std=std)
    return Target(name, dict(params))


def drawn(points: Any, strokes: Sequence[int] | None = None, *, noise: float = 0.04) -> Target:
    """A user-drawn target from points ``[[x, y], ...]`` (or a list of strokes of points).

    Consecutive points of a stroke are joined into line segments and sampled uniformly along
    them; isolated points become small Gaussians. At least two distinct points are needed.
    Example: ``drawn([[[0, 0], [1, 1]], [[0, 1], [1, 0]]])`` draws a cross of two strokes.
    """
    if points is None:
        raise ValueError("a drawn target needs points=[[x, y], ...] (draw at least two points)")
    if strokes is None and len(points) and isinstance(points[0], (list, tuple, np.ndarray)) \
            and len(points[0]) and isinstance(points[0][0], (list, tuple, np.ndarray)):
        strokes = [len(s) for s in points]
        points = [p for s in points for p in s]
    arr = np.asarray(points, dtype=np.float32).reshape(-1, 2) if len(points) else np.zeros((0, 2), np.float32)
    if not np.isfinite(arr).all():
        raise ValueError("a drawn target's points must be finite numbers")
    if len(np.unique(arr.round(6), axis=0)) < 2:
        raise ValueError(f"a drawn target needs at least 2 distinct points; got {len(arr)} "
                         "(draw a stroke or several points to give the generator a shape to learn)")
    strokes = [int(k) for k in (strokes or [len(arr)])]
    if sum(strokes) != len(arr) or min(strokes) < 1:
        raise ValueError(f"strokes {strokes} must be positive lengths that add up to the {len(arr)} points")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    arr = np.clip(arr, *BOUNDS)
    return Target("drawn", {"noise": float(noise)}, points=arr, strokes=strokes)
