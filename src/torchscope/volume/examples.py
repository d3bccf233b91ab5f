"""Real volumes with no download: the example images inside the nibabel wheel, and ``load_volume``.

``anatomical``: a T1-weighted head MRI, 33 x 41 x 25 voxels of 3 x 3 x 3 mm (nibabel's
``tests/data/anatomical.nii``); ``example4d``: a functional series, 128 x 96 x 24 voxels over 2
time points (``example4d.nii.gz``). They are found from ``nibabel.__file__`` (importing
``nibabel.testing`` would pull pytest). nibabel is MIT licensed; see its ``tests/data/README.rst``.

Example::

    vol = ts.data.example_volume()            # a Volume record
    path = ts.data.example_volume_path("example4d")
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .build import volume
from .inputs import VolumeError
from .record import Volume

__all__ = ["EXAMPLES", "example_volume", "example_volume_path", "load_volume"]

EXAMPLES = {"anatomical": "anatomical.nii", "example4d": "example4d.nii.gz"}


def example_volume_path(name: str = "anatomical") -> Path:
    """Where nibabel's example ``name`` (``anatomical`` or ``example4d``) lies on this machine."""
    if name not in EXAMPLES:
        raise VolumeError(f"no example volume {name!r}; the examples are {', '.join(EXAMPLES)}")
    import nibabel

    path = Path(nibabel.__file__).parent / "tests" / "data" / EXAMPLES[name]
    if not path.is_file():
        raise VolumeError(f"{path} is missing: this nibabel was installed without its test data "
                          f"(reinstall it from the wheel: pip install --force-reinstall nibabel)")
    return path


def example_volume(name: str = "anatomical", **kw: Any) -> Volume:
    """nibabel's example ``name`` as a :class:`Volume` (keywords as ``ts.volume``)."""
    return volume(example_volume_path(name), **kw)


def load_volume(source: str | os.PathLike[str] | Sequence[str] | Any, labels: Any = None, **kw: Any) -> Volume:
    """A volume from a NIfTI file, a DICOM folder, a torchio or MONAI object: ``ts.data.load_volume("ct.nii.gz")``.

    The same as ``ts.volume`` (keywords ``pred=``, ``heat=``, ``title=``, ``class_names=``...);
    the voxels are ``vol.array`` (T, X, Y, Z) in RAS+ order, their size ``vol.spacing`` in mm.
    """
    return volume(source, labels, **kw)
