"""Connections to the team store's PostgreSQL server: the driver, errors in torchscope's terms, SQL dialect.

psycopg 3 is an optional dependency (``pip install 'torchscope[postgres]'``); importing it is
deferred to the first connection so ``import torchscope`` never needs it. A server that cannot
be reached is :class:`~torchscope.errors.StoreUnavailableError` (the tracker keeps its data and
retries; the dashboard answers 503); a URL that is wrong (bad host name, bad login, no such
database) says so with the password redacted.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ...errors import StoreLocationError, StoreUnavailableError
from ..location import redact

__all__ = ["CHANNEL", "connect", "driver", "sql", "unavailable"]

CHANNEL = "torchscope"  # LISTEN/NOTIFY channel; the payload says which schema and run changed


def driver() -> Any:
    """The psycopg module, or an ImportError that says how to install it."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - the tests install it
        raise ImportError("a postgresql:// store needs psycopg 3: pip install 'torchscope[postgres]'") from exc
    return psycopg


def unavailable(url: str, exc: BaseException) -> StoreUnavailableError:
    """The typed error for a server that cannot be reached (no password in the message)."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    detail = detail.replace(url, redact(url))
    return StoreUnavailableError(f"the PostgreSQL store {redact(url)} cannot be reached: {detail[:300]}")


_BAD_LOGIN = ("password authentication failed", "does not exist", "no password supplied", "role ",
              "could not translate host name", "invalid connection option", "invalid dsn", "missing \"=\"")


def connect(url: str, *, autocommit: bool = True, **kw: Any) -> Any:
    """A psycopg connection to ``url``: a refused login or unknown database is StoreLocationError
    (fix the URL), a server that does not answer is StoreUnavailableError (retry later)."""
    psycopg = driver()
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=kw.pop("connect_timeout", 10), **kw)
    except psycopg.OperationalError as exc:
        text = str(exc).lower()
        if any(s in text for s in _BAD_LOGIN):
            detail = str(exc).strip().splitlines()[-1][:300].replace(url, redact(url))
            raise StoreLocationError(f"cannot open the PostgreSQL store {redact(url)}: {detail}") from None
        raise unavailable(url, exc) from None
    except psycopg.ProgrammingError as exc:  # a malformed URL
        raise StoreLocationError(f"{redact(url)} is not a usable PostgreSQL URL: {str(exc)[:200]}") from None


@functools.lru_cache(maxsize=512)
def sql(query: str) -> str:
    """A query written for SQLite's ``?`` placeholders in psycopg's ``%s`` form (``%`` escaped)."""
    return re.sub(r"\?", "%s", query.replace("%", "%%"))
