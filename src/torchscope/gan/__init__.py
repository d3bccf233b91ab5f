"""GANs made visible: the 2-D GAN lab (``ts.gan.Lab2D``); image-GAN tools live next to it.

Example::

    lab = ts.gan.Lab2D(target="ring"); lab.step(500); lab.figure()
"""

from .lab import Lab2D, LabFrame, LabWorker

__all__ = ["Lab2D", "LabFrame", "LabWorker"]
