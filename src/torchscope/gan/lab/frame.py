"""``LabFrame``: one picture of the lab, as a record (kind ``"gan.lab2d.frame"``).

A frame holds every layer of the canvas (real and generated points, D's decision heat map, the
warped noise grid with its opacity, generator gradient arrows), the curves so far (columnar
``history`` per step and ``metrics`` every few steps), the settings and a ``message`` that says
what went wrong, if anything. ``run.log_record(lab.frame())`` stores it; :meth:`to_message`
gives the compact JSON the worker streams to a browser (documented in ``docs/gan_lab.md``).

Example::

    f = lab.frame(); f.save("lab.png"); msg = f.to_message()
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ...records import Record, register_record, to_jsonable

__all__ = ["LabFrame"]


def _flat(a: np.ndarray, decimals: int) -> list[float]:
    return [float(v) for v in np.round(np.nan_to_num(np.asarray(a, np.float64), nan=0.0), decimals).reshape(-1)]


def _clean(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


@register_record
@dataclass
class LabFrame(Record):
    """The data one frame of the 2-D GAN lab shows; draw it with ``figure()``.

    Coordinates are lab coordinates in ``bounds`` (both axes). ``heat[i, j]`` is D's decision at
    row ``i`` (y, from the bottom) and column ``j`` (x); ``manifold[i, j]`` is G's image of noise
    grid node ``(i, j)``; ``opacity[i, j]`` is the generated density of the cell between nodes.
    """

    kind: ClassVar[str] = "gan.lab2d.frame"
    step: int
    real: np.ndarray
    fake: np.ndarray
    arrows: np.ndarray
    heat: np.ndarray
    manifold: np.ndarray
    opacity: np.ndarray
    centers: np.ndarray
    bounds: list[float] = field(default_factory=lambda: [-1.5, 1.5])
    config: dict[str, Any] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    latest: dict[str, Any] = field(default_factory=dict)
    status: str = "ok"  # "ok" | "warning" | "diverged" | "error"
    message: str = ""
    phase: dict[str, Any] = field(default_factory=dict)

    def to_message(self, history_since: int = 0, decimals: int = 4) -> dict[str, Any]:
        """The compact JSON frame for a browser (flat lists, heat as 0..255 integers).

        ``history_since`` sends only history rows from that index on (the client keeps the rest).
        Example: ``json.dumps(lab.frame().to_message())``.
        """
        k = self.heat.shape[0]
        m = self.manifold.shape[0]
        hist = {name: [_clean(v) for v in col[history_since:]] for name, col in self.history.items()
                if name not in ("epoch",)}
        return {
            "type": "frame", "step": self.step, "status": self.status, "message": self.message,
            "bounds": list(self.bounds), "config": to_jsonable(self.config),
            "real": _flat(self.real, decimals), "fake": _flat(self.fake, decimals),
            "arrows": _flat(self.arrows, decimals),
            "heat": {"size": k, "values": np.round(np.clip(self.heat, 0, 1) * 255).astype(int).reshape(-1).tolist()},
            "manifold": {"size": m, "points": _flat(self.manifold, decimals),
                         "opacity": _flat(self.opacity, 3)},
            "centers": _flat(self.centers, decimals),
            "history": {"since": history_since, "rows": len(self.history.get("step", [])), **hist},
            "metrics": {name: [_clean(v) for v in col] for name, col in self.metrics.items()},
            "latest": {k2: _clean(v) for k2, v in to_jsonable(self.latest).items()},
            "phase": to_jsonable(self.phase),
        }

    def figure(self, layers: tuple[str, ...] = ("heat", "manifold", "real", "fake", "arrows"),
               curves: bool = True) -> Any:
        """A matplotlib Figure: the canvas with ``layers``, and (``curves``) the loss and metric curves."""
        from .render import draw_frame

        return draw_frame(self, layers=layers, curves=curves)

    def _repr_html_(self) -> str:
        import base64
        import io

        buf = io.BytesIO()
        self.figure().savefig(buf, format="png", dpi=90)
        img = base64.b64encode(buf.getvalue()).decode()
        note = f"<div style='color:#b45309'>{html.escape(self.message)}</div>" if self.message else ""
        return (f"<div class='torchscope-record'><b>GAN lab</b> step {self.step}{note}"
                f"<img src='data:image/png;base64,{img}'/></div>")
