"""The lab's settings as data: one dataclass, its validation, and the advice it gives.

Invalid settings (an unknown loss, a negative learning rate, zero layers' width) raise a
``ValueError`` that says what to choose instead; legal but unwise ones (a learning rate of 0 or
1e9) pass and produce a human-readable ``advice`` line that the lab puts into its frames.

Example::

    cfg = LabConfig(loss="hinge", lr_d=0.0).validated(); cfg.advice()  # ['lr_d is 0: ...']
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from .distributions import target as make_target
from .losses import get_loss
from .models import NOISES

__all__ = ["ARCHITECTURE", "OPTIMIZERS", "LabConfig"]

OPTIMIZERS = ("adam", "sgd")
ARCHITECTURE = frozenset({"z_dim", "hidden", "width"})  # changing these rebuilds the networks


@dataclass
class LabConfig:
    """Everything that defines a lab; ``Lab2D(**fields)`` takes the same names.

    Example: ``LabConfig(target="moons", loss="lsgan", width=32)``.
    """

    target: Any = "ring"
    loss: str = "nonsaturating"
    optimizer: str = "adam"
    lr_d: float = 1e-3
    lr_g: float = 1e-3
    d_steps: int = 1
    g_steps: int = 1
    z_dim: int = 2
    noise: str = "normal"
    hidden: int = 2
    width: int = 64
    batch_size: int = 256
    seed: int = 0
    grid: int = 48          # heat-map resolution (grid x grid cells)
    manifold: int = 21      # noise-grid lines per axis for the warped manifold
    points: int = 512       # real and generated points shown in a frame
    metric_every: int = 10  # steps between divergence / coverage estimates

    def validated(self) -> LabConfig:
        """Check every field; returns self, with the loss name and target made canonical."""
        self.loss = get_loss(self.loss).name
        self.optimizer = str(self.optimizer).lower()
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        if self.noise not in NOISES:
            raise ValueError(f"unknown noise {self.noise!r}; choose one of {', '.join(NOISES)}")
        for name in ("lr_d", "lr_g"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")
            setattr(self, name, float(value))
        limits = {"d_steps": (0, 100), "g_steps": (0, 100), "z_dim": (1, 64), "hidden": (0, 8),
                  "width": (1, 1024), "batch_size": (2, 8192), "grid": (4, 256), "manifold": (2, 64),
                  "points": (2, 8192), "metric_every": (1, 100_000)}
        for name, (lo, hi) in limits.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
        if self.d_steps == 0 and self.g_steps == 0:
            raise ValueError("d_steps and g_steps are both 0: a step would do nothing; set one to >= 1")
        if not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")
        self.target = make_target(self.target).spec()
        return self

    def advice(self) -> list[str]:
        """Warnings about legal but unwise settings, one sentence each (empty when all is well)."""
        out = []
        for net, lr in (("D", self.lr_d), ("G", self.lr_g)):
            name = f"lr_{net.lower()}"
            if lr == 0:
                out.append(f"{name} is 0: {net} will not learn (its weights stay as they are).")
            elif lr > 1.0:
                out.append(f"{name}={lr:g} is very large: expect training to diverge (try 1e-4 to 1e-2).")
        return out

    def replace(self, **changes: Any) -> LabConfig:
        """A validated copy with ``changes``; unknown names raise: ``cfg.replace(lr_g=1e-4)``."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"unknown setting(s) {', '.join(unknown)}; the lab has {', '.join(sorted(names))}")
        return dataclasses.replace(self, **changes).validated()

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-able dict: ``LabConfig(**cfg.to_dict())`` rebuilds it."""
        return dataclasses.asdict(self)
