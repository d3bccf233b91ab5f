"""What the tracker accepts, checked on the caller's thread with an error that names the argument.

One rule per kind of value, applied at the call so that nothing un-storable ever reaches the
background writer (where it could only be dropped):

- **keys** (``run.log`` keys, image/histogram/text keys, record kinds, project and run names):
  non-empty, not only spaces, at most :data:`MAX_KEY` characters, no NUL, valid Unicode (no lone
  surrogates, which ``os.fsdecode`` makes of undecodable file names). The dashboard's series API
  applies the same limits, so every key that is logged can be read back.
- **text** (``log_text``, captions): valid Unicode; NUL is allowed.
- **steps**: integers that fit SQLite's signed 64-bit INTEGER with room for the next auto-step
  (``-2**63 <= step <= 2**63 - 2``).
- **wall times**: finite numbers of seconds since the epoch.
- **scalar values**: real numbers representable as float64 (``10**400`` is refused, not an
  ``OverflowError`` from deep inside); NaN and infinities are kept as they are.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from ..records import to_jsonable

__all__ = ["MAX_KEY", "MAX_STEP", "MIN_STEP", "check_key", "check_nrow", "check_scalar", "check_step",
           "check_text", "check_wall", "jsonable_config", "printable"]

MAX_KEY = 1000
MAX_STEP = 2**63 - 2  # the next auto-step (step + 1) must still fit a signed 64-bit integer
MIN_STEP = -(2**63)
_INT_DTYPES = (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8, torch.bool)


def _surrogate_at(text: str) -> int | None:
    """Index of the first lone surrogate in ``text`` (None when it is valid Unicode)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def _unicode_hint(arg: str, text: str, at: int) -> str:
    return (f"{arg} is not valid Unicode: a lone surrogate {text[at]!r} at index {at} (what os.fsdecode() "
            f"makes of a file name that is not UTF-8), in {printable(text)!r:.80}. Store it readably with "
            f"s.encode('utf-8', 'surrogateescape').decode('utf-8', 'backslashreplace')")


def printable(text: str) -> str:
    """``text`` with lone surrogates shown as ``\\xNN`` (or ``\\udNNN``) escapes: always storable."""
    if _surrogate_at(text) is None:
        return text
    try:  # the surrogates os.fsdecode() makes stand for bytes: show the bytes
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def check_key(key: Any, arg: str = "key") -> str:
    """A key as stored and served: ``check_key("train/loss")``; TypeError/ValueError naming ``arg``."""
    if not isinstance(key, str):
        raise TypeError(f"{arg} must be a string such as 'train/loss', got {type(key).__name__}: {key!r:.60}")
    if not key.strip() or "\x00" in key or len(key) > MAX_KEY:
        raise ValueError(f"{arg} must be a non-empty string of at most {MAX_KEY} characters without NUL, "
                         f"got {len(key)} characters: {key!r:.60}")
    at = _surrogate_at(key)
    if at is not None:
        raise ValueError(_unicode_hint(arg, key, at))
    return key


def check_text(text: Any, arg: str = "text") -> str:
    """Text as stored (markdown, captions): a valid Unicode ``str``."""
    if not isinstance(text, str):
        raise TypeError(f"{arg} must be a str, got {type(text).__name__}")
    at = _surrogate_at(text)
    if at is not None:
        raise ValueError(_unicode_hint(arg, text, at))
    return text


def check_step(step: Any) -> int:
    """A step as stored: an int (or a 1-element integer tensor) in [-2**63, 2**63 - 2]."""
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        if isinstance(step, torch.Tensor) and step.numel() == 1 and not step.is_floating_point():
            step = int(step.item())
        else:
            raise TypeError(f"step must be an int, got {type(step).__name__}: {step!r:.60}")
    step = int(step)
    if not MIN_STEP <= step <= MAX_STEP:
        raise ValueError(f"step must fit a signed 64-bit integer with room for the next step "
                         f"({MIN_STEP} <= step <= {MAX_STEP}), got {step}")
    return step


def check_wall(wall_time: Any) -> float:
    """A wall time as stored: finite seconds since the epoch."""
    if isinstance(wall_time, bool) or not isinstance(wall_time, (numbers.Real, np.number)):
        raise TypeError(f"wall_time must be seconds since the epoch (a number), got {type(wall_time).__name__}")
    try:
        value = float(wall_time)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"wall_time must be a finite number of seconds since the epoch, got {wall_time!r:.60}")
    return value


def check_nrow(nrow: Any) -> int | None:
    """Images per row of a logged batch's grid: None (about square) or an int >= 1."""
    if nrow is None:
        return None
    if isinstance(nrow, bool) or not isinstance(nrow, numbers.Integral) or nrow < 1:
        raise ValueError(f"nrow must be a positive int (images per row of the grid) or None, got {nrow!r:.60}")
    return int(nrow)


def check_scalar(key: str, value: Any) -> Any:
    """A float (or a deferred CUDA scalar tensor), or a TypeError/ValueError naming the key."""
    t = type(value)
    if t is float:
        return value
    if isinstance(value, torch.Tensor):
        if value.numel() != 1 or value.is_complex() or not (value.is_floating_point() or value.dtype in _INT_DTYPES):
            raise TypeError(f"value for {key!r} must be a number; got a tensor of shape {tuple(value.shape)} "
                            f"and dtype {value.dtype} (log one element, e.g. loss.item() or loss.mean())")
        if value.device.type == "cpu":
            return float(value.item())
        return value.detach().reshape(()).clone()  # read on the writer thread: no sync here
    if isinstance(value, (numbers.Real, np.number, np.bool_)) and not isinstance(value, np.complexfloating):
        try:
            return float(value)
        except OverflowError:
            raise ValueError(f"value for {key!r} is too large for a float64 (at most about 1.8e308): "
                             f"{str(value)[:40]}...") from None
    raise TypeError(f"value for {key!r} must be a number (int, float, numpy or 1-element tensor), "
                    f"got {type(value).__name__}: {value!r:.60}. Use log_text() for text.")


def jsonable_config(config: Any) -> dict[str, Any]:
    """A config (dict or argparse.Namespace) as plain JSON-able data, or a TypeError saying why not."""
    if config is None:
        return {}
    if hasattr(config, "__dict__") and not isinstance(config, Mapping):  # argparse.Namespace and the like
        config = vars(config)
    if not isinstance(config, Mapping):
        raise TypeError(f"config must be a dict (or argparse.Namespace), got {type(config).__name__}")
    try:
        out = to_jsonable(dict(config))
        json.dumps(out, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"config must be JSON-serializable: {exc}") from exc
    return out
