"""3-D volumes: load them (NIfTI, DICOM, torchio, MONAI, arrays), view three linked planes, log them.

``ts.volume(x, labels=, pred=, heat=)`` returns a :class:`Volume` record (notebook viewer,
matplotlib figure); ``run.log_volume(key, x, ...)`` logs one for the dashboard's Volumes panel and
the report. Voxels are kept in RAS+ order with their spacing in millimetres.

Example::

    vol = ts.volume(ts.data.example_volume_path(), title="T1")
    vol.figure().savefig("t1.png")
"""

from typing import TYPE_CHECKING, Any

from .._lazy import LazyPackage, lazy_package

if TYPE_CHECKING:
    from .build import volume
    from .examples import example_volume, example_volume_path, load_volume
    from .inputs import VolumeError
    from .record import Volume

__all__ = ["Volume", "VolumeError", "example_volume", "example_volume_path", "load_volume", "volume"]



class _CallableModule(LazyPackage):
    """Importing ``torchscope.volume`` binds the package over the lazy ``ts.volume`` function, so the
    package calls through: ``ts.volume(x)`` works whatever was imported first."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .build import volume

        return volume(*args, **kwargs)


lazy_package(__name__, {"volume": ".build", "Volume": ".record", "VolumeError": ".inputs",
                        "example_volume": ".examples", "example_volume_path": ".examples",
                        "load_volume": ".examples"}, cls=_CallableModule)
