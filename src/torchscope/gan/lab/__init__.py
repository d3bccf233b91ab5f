"""The 2-D GAN lab: watch a real PyTorch GAN learn a 2-D distribution (``ts.gan.Lab2D``).

Example::

    lab = ts.gan.Lab2D(target="ring"); lab.step(300); lab.figure()
"""

from .distributions import TARGETS, Target, drawn, target
from .engine import Lab2D
from .frame import LabFrame
from .losses import LOSSES, get_loss
from .worker import LabSession, LabWorker

__all__ = ["LOSSES", "TARGETS", "Lab2D", "LabFrame", "LabSession", "LabWorker", "Target", "drawn", "get_loss",
           "target"]
