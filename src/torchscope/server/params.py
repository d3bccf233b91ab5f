"""Reading and checking query parameters. Ids and keys only ever reach the store as SQL parameters.

Each accessor reads a :class:`~.endpoint.Query` (a data function's second argument; a plain
Starlette route makes one with ``Query(request.query_params)``) and raises
:class:`~torchscope.errors.InvalidArgument` (400, with the reason) for a missing or bad value.

Example::

    runs = run_ids(q)              # ?run=a1&run=b2 (or ?runs=a1,b2)
    key = text_param(q, "key")     # required, at most 1000 characters
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..errors import InvalidArgument

if TYPE_CHECKING:
    from .endpoint import Query

__all__ = ["float_param", "int_param", "one_run", "run_ids", "text_param"]

MAX_RUNS = 2000


def text_param(q: Query, name: str, default: str | None = None, *, max_len: int = 1000) -> str:
    """A required (or defaulted) string parameter: ``text_param(q, "key")``."""
    value = q.get(name, default)
    if value is None:
        raise InvalidArgument(f"missing query parameter {name!r}")
    if len(value) > max_len or "\x00" in value:
        raise InvalidArgument(f"parameter {name!r} is too long or holds NUL")
    return value


def run_ids(q: Query, *, required: bool = True) -> list[str]:
    """The run ids of a request: ``?run=a&run=b`` or ``?runs=a,b`` (order kept, duplicates dropped)."""
    ids = q.getlist("run")
    for joined in q.getlist("runs"):
        ids += [i for i in joined.split(",") if i]
    ids = list(dict.fromkeys(ids))
    if required and not ids:
        raise InvalidArgument("give at least one run id: ?run=ID")
    if len(ids) > MAX_RUNS or any(len(i) > 200 or "\x00" in i for i in ids):
        raise InvalidArgument("too many or malformed run ids")
    return ids


def one_run(q: Query) -> str:
    """The first run id of a request (the routes about one run): ``one_run(q)``."""
    return run_ids(q)[0]


def int_param(q: Query, name: str, default: int, lo: int, hi: int) -> int:
    """An int parameter within [lo, hi]: ``int_param(q, "buckets", 1000, 1, 20000)``."""
    raw = q.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidArgument(f"parameter {name!r} must be an integer, got {raw[:40]!r}") from None
    if not lo <= value <= hi:
        raise InvalidArgument(f"parameter {name!r} must be in [{lo}, {hi}], got {value}")
    return value


def float_param(q: Query, name: str) -> float | None:
    """An optional finite float parameter: ``float_param(q, "lo")``."""
    raw = q.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidArgument(f"parameter {name!r} must be a number, got {raw[:40]!r}") from None
    if not math.isfinite(value):
        raise InvalidArgument(f"parameter {name!r} must be finite")
    return value
