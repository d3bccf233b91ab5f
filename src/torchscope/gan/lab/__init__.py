"""The 2-D GAN lab: watch a real PyTorch GAN learn a 2-D distribution (``ts.gan.Lab2D``).

Example::

    lab = ts.gan.Lab2D(target="ring"); lab.step(300); lab.figure()
"""

from typing import TYPE_CHECKING

from ..._lazy import lazy_package

if TYPE_CHECKING:
    from .distributions import TARGETS, Target, drawn, target
    from .engine import Lab2D
    from .frame import LabFrame
    from .losses import LOSSES, get_loss
    from .worker import LabSession, LabWorker

__all__ = ["LOSSES", "TARGETS", "Lab2D", "LabFrame", "LabSession", "LabWorker", "Target", "drawn", "get_loss",
           "target"]

# each name loads on first use: a lab frame read back (the record) needs no torch
lazy_package(__name__, {
    "TARGETS": ".distributions", "Target": ".distributions", "drawn": ".distributions", "target": ".distributions",
    "Lab2D": ".engine", "LabFrame": ".frame", "LOSSES": ".losses", "get_loss": ".losses", "LabSession": ".worker",
    "LabWorker": ".worker",
})
