"""``run.log_volume``: check and copy on the caller's thread, everything else on the writer thread.

The caller pays for the checks (shapes, dtypes, a NaN/Inf scan without temporaries) and one
private copy of each array (so the training loop may change its tensors right after); the
reorientation, statistics, histogram, Dice and the encoding run in the background writer, which
skips a volume that fails there loudly without losing anything else.
"""

from __future__ import annotations

import json
from time import time
from typing import Any

from ..track.messages import RecordMsg
from .build import finish, prepare
from .inputs import VolumeError

__all__ = ["log_volume"]

_FINISH = ("title", "class_names", "modality", "t_names", "heat_method")
_PREPARE = ("spacing", "sample")


def log_volume(run: Any, key: str, volume: Any, step: int | None = None, *, labels: Any = None, pred: Any = None,
               heat: Any = None, affine: Any = None, advance: bool = True, wall_time: float | None = None,
               **options: Any) -> None:
    """What ``Run.log_volume`` does (see there)."""
    from ..track.checks import check_wall

    unknown = sorted(set(options) - set(_FINISH) - set(_PREPARE))
    if unknown:
        raise TypeError(f"log_volume() got unexpected keyword arguments {unknown}; "
                        f"accepted: {', '.join(_FINISH + _PREPARE)}")
    run._key(key)
    wall = time() if wall_time is None else check_wall(wall_time)
    for name in ("title", "modality", "heat_method"):
        if options.get(name) is not None and not isinstance(options[name], str):
            raise VolumeError(f"{name} must be a string, got {type(options[name]).__name__}")
    prepared = prepare(volume, labels=labels, pred=pred, heat=heat, affine=affine, sample=options.get("sample", 0),
                       spacing=options.get("spacing"), copy=True)
    if not run._live():
        return
    later = {k: options[k] for k in _FINISH if k in options}

    def build() -> tuple[str, dict[str, bytes]]:
        data, blobs = finish(prepared, **later).to_dict()
        return json.dumps(data, allow_nan=True), blobs

    run._writer.put(RecordMsg(key, run._log_rank, run._next_step(step, advance), wall, "volume", "", {},
                              prepared.nbytes, build))
