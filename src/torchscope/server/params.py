"""Reading and checking query parameters. Ids and keys only ever reach the store as SQL parameters.

Example::

    runs = run_ids(request)              # ?run=a1&run=b2 (or ?runs=a1,b2)
    key = text_param(request, "key")     # required, at most 1000 characters
"""

from __future__ import annotations

import math

from starlette.exceptions import HTTPException
from starlette.requests import Request

__all__ = ["float_param", "int_param", "run_ids", "text_param"]

MAX_RUNS = 2000


def _bad(msg: str) -> HTTPException:
    return HTTPException(status_code=400, detail=msg)


def text_param(request: Request, name: str, default: str | None = None, *, max_len: int = 1000) -> str:
    """A required (or defaulted) string parameter: ``text_param(request, "key")``."""
    value = request.query_params.get(name, default)
    if value is None:
        raise _bad(f"missing query parameter {name!r}")
    if len(value) > max_len or "\x00" in value:
        raise _bad(f"parameter {name!r} is too long or holds NUL")
    return value


def run_ids(request: Request, *, required: bool = True) -> list[str]:
    """The run ids of a request: ``?run=a&run=b`` or ``?runs=a,b`` (order kept, duplicates dropped)."""
    ids = list(request.query_params.getlist("run"))
    for joined in request.query_params.getlist("runs"):
        ids += [i for i in joined.split(",") if i]
    ids = list(dict.fromkeys(ids))
    if required and not ids:
        raise _bad("give at least one run id: ?run=ID")
    if len(ids) > MAX_RUNS or any(len(i) > 200 or "\x00" in i for i in ids):
        raise _bad("too many or malformed run ids")
    return ids


def int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    """An int parameter within [lo, hi]: ``int_param(request, "buckets", 1000, 1, 20000)``."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _bad(f"parameter {name!r} must be an integer, got {raw[:40]!r}") from None
    if not lo <= value <= hi:
        raise _bad(f"parameter {name!r} must be in [{lo}, {hi}], got {value}")
    return value


def float_param(request: Request, name: str) -> float | None:
    """An optional finite float parameter: ``float_param(request, "lo")``."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise _bad(f"parameter {name!r} must be a number, got {raw[:40]!r}") from None
    if not math.isfinite(value):
        raise _bad(f"parameter {name!r} must be finite")
    return value
