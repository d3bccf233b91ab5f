"""Training-health alarms: what went wrong, in which layer, at which step.

Checks (thresholds are class attributes of :class:`HealthMonitor`, overridable):

- ``nonfinite_output`` / ``nonfinite_grad``: the first layer (in forward order, resp. in backward
  order) whose output or gradient held NaN/Inf, checked on every step;
- ``exploding_grad``: a layer's gradient norm jumps above ``explode_factor`` x its median so far;
- ``vanishing_grad``: a layer's gradient norm falls below ``vanish_ratio`` x its weight norm;
- ``dead_relu``: a ReLU-family layer where at least ``dead_fraction`` of the units are zero for
  the whole batch (Lu et al., "Dying ReLU and Initialization", 2019);
- ``lr_too_high`` / ``lr_too_low``: the median update-to-weight ratio (Karpathy's ~1e-3 rule of
  thumb) outside [``ratio_low``, ``ratio_high``] on two samples in a row;
- ``loss_divergence`` / ``loss_plateau``: a logged loss that becomes non-finite or climbs far above
  its best value, or stops improving.

Each alarm is a record (kind ``health.alarm``), printed once on stderr and stored with the run.
"""

from __future__ import annotations

import dataclasses
import html
import math
import statistics
import sys
from typing import Any, ClassVar, TextIO

from ..records import Record, register_record

__all__ = ["Alarm", "HealthMonitor"]


@register_record
@dataclasses.dataclass
class Alarm(Record):
    """One detected training problem: ``Alarm(type="dead_relu", step=300, layer="features.1", ...)``."""

    kind: ClassVar[str] = "health.alarm"
    type: str
    step: int
    message: str
    layer: str | None = None
    value: float | None = None
    key: str | None = None  # the logged series where it shows

    def __str__(self) -> str:
        return f"[{self.type}] step {self.step}: {self.message}"

    def _facts(self) -> list[tuple[str, str]]:
        value = None if self.value is None else f"{self.value:.4g}"
        rows = [("step", str(self.step)), ("layer", self.layer), ("value", value), ("series", self.key)]
        return [(k, v) for k, v in rows if v is not None]

    def figure(self) -> Any:
        """The alarm as a small card: its type, the facts, and the message wrapped."""
        import textwrap

        from matplotlib.figure import Figure
        from matplotlib.patches import Rectangle

        fig = Figure(figsize=(6, 1.9))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.axis("off")
        ax.add_patch(Rectangle((0.01, 0.04), 0.98, 0.92, facecolor="#fff4e5", edgecolor="#e8590c", lw=1.5,
                               transform=ax.transAxes))
        ax.text(0.04, 0.84, f"\u26a0 {self.type}", fontsize=12, weight="bold", color="#c2410c", va="top",
                transform=ax.transAxes)
        ax.text(0.04, 0.6, "   ".join(f"{k}: {v}" for k, v in self._facts()), fontsize=9, va="top",
                family="monospace", transform=ax.transAxes)
        ax.text(0.04, 0.4, "\n".join(textwrap.wrap(self.message, 90)[:3]), fontsize=9, va="top",
                transform=ax.transAxes)
        return fig

    def _repr_html_(self) -> str:
        facts = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                        for k, v in self._facts())
        return ("<div class='torchscope-record torchscope-alarm' style='border-left:4px solid #e8590c;"
                "padding:4px 10px;background:#fff4e5'>"
                f"<b>&#9888; {html.escape(self.type)}</b> {html.escape(self.message)}"
                f"<table style='font-size:12px'>{facts}</table></div>")


class HealthMonitor:
    """Turns per-step layer statistics and logged losses into :class:`Alarm` records (once each)."""

    explode_factor = 100.0
    vanish_ratio = 1e-7
    dead_fraction = 0.9
    ratio_low, ratio_high = 1e-6, 1e-1
    divergence_factor = 10.0
    plateau_points = 200
    plateau_tolerance = 1e-3

    def __init__(self, prefix: str = "watch", stream: TextIO | None = sys.stderr) -> None:
        self.prefix = prefix
        self.stream = stream
        self.raised: set[tuple[str, str | None]] = set()
        self._grad_history: dict[str, list[float]] = {}
        self._ratio_strikes = {"lr_too_high": 0, "lr_too_low": 0}
        self._loss_best: dict[str, float] = {}
        self._loss_tail: dict[str, list[float]] = {}

    def _alarm(self, out: list[Alarm], type: str, step: int, layer: str | None, message: str,
               value: float | None = None, key: str | None = None) -> None:
        # NaN/Inf spreads everywhere after the first occurrence: that one alone is news
        ident = (type, None if type.startswith("nonfinite") else layer)
        if ident in self.raised:
            return
        self.raised.add(ident)
        alarm = Alarm(type=type, step=step, layer=layer, message=message, value=value, key=key)
        out.append(alarm)
        if self.stream is not None:
            self.stream.write(f"torchscope health {alarm}\n")

    def check_nonfinite(self, step: int, first_output: str | None, first_grad: str | None) -> list[Alarm]:
        out: list[Alarm] = []
        if first_output is not None:
            self._alarm(out, "nonfinite_output", step, first_output,
                        f"layer '{first_output}' is the first to produce NaN/Inf (or overflow) in its output")
        if first_grad is not None:
            self._alarm(out, "nonfinite_grad", step, first_grad,
                        f"layer '{first_grad}' is the first (in backward order) to get a NaN/Inf gradient")
        return out

    def check_layers(self, step: int, stats: dict[str, dict[str, float]], relu_layers: set[str]) -> list[Alarm]:
        """Alarms from one sampled step's statistics: ``stats[layer][field]``."""
        out: list[Alarm] = []
        ratios = []
        for layer, s in stats.items():
            g, w = s.get("grad_norm"), s.get("weight_norm")
            if g is not None and math.isfinite(g):
                hist = self._grad_history.setdefault(layer, [])
                if len(hist) >= 3 and g > self.explode_factor * max(statistics.median(hist), 1e-12):
                    self._alarm(out, "exploding_grad", step, layer,
                                f"gradient norm of '{layer}' jumped to {g:.3g} (median so far "
                                f"{statistics.median(hist):.3g})", g, f"{self.prefix}/{layer}/grad_norm")
                hist.append(g)
                if w is not None and w > 0 and g < self.vanish_ratio * w:
                    self._alarm(out, "vanishing_grad", step, layer,
                                f"gradient norm of '{layer}' is {g:.3g}, under {self.vanish_ratio:g} x its weight norm",
                                g, f"{self.prefix}/{layer}/grad_norm")
            dead = s.get("dead")
            if layer in relu_layers and dead is not None and dead >= self.dead_fraction:
                self._alarm(out, "dead_relu", step, layer,
                            f"{dead:.0%} of the units of '{layer}' output zero for the whole batch",
                            dead, f"{self.prefix}/{layer}/dead")
            r = s.get("update_ratio")
            if r is not None and math.isfinite(r) and r > 0:
                ratios.append(r)
        if ratios:
            med = statistics.median(ratios)
            for kind, bad in (("lr_too_high", med > self.ratio_high), ("lr_too_low", med < self.ratio_low)):
                self._ratio_strikes[kind] = self._ratio_strikes[kind] + 1 if bad else 0
                if self._ratio_strikes[kind] >= 2:
                    word = "high" if kind == "lr_too_high" else "low"
                    self._alarm(out, kind, step, None,
                                f"the median update/weight ratio is {med:.2g}, far from the healthy ~1e-3: "
                                f"the learning rate looks too {word}", med)
        return out

    def check_loss(self, key: str, steps: list[int], values: list[float]) -> list[Alarm]:
        """Alarms from newly logged values of a loss series."""
        out: list[Alarm] = []
        tail = self._loss_tail.setdefault(key, [])
        for step, v in zip(steps, values):
            if not math.isfinite(v):
                self._alarm(out, "loss_divergence", step, None, f"'{key}' became {v}", v, key)
                continue
            best = self._loss_best.get(key)
            if best is None or v < best:
                self._loss_best[key] = best = v
            first = tail[0] if tail else v
            if len(tail) >= 10 and v > best + self.divergence_factor * max(abs(first - best), abs(best), 1e-8):
                self._alarm(out, "loss_divergence", step, None,
                            f"'{key}' climbed to {v:.4g}, far above its best {best:.4g}", v, key)
            tail.append(v)
            if len(tail) >= 2 * self.plateau_points:
                old, new = tail[: self.plateau_points], tail[self.plateau_points:]
                if min(new) >= min(old) - self.plateau_tolerance * max(abs(min(old)), 1e-8):
                    self._alarm(out, "loss_plateau", step, None,
                                f"'{key}' has not improved over its last {self.plateau_points} values "
                                f"(best {min(old):.4g})", min(new), key)
                del tail[: self.plateau_points]
        return out
