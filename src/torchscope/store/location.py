"""Where a store lives: a directory (the SQLite store) or a database URL (the PostgreSQL team store).

``ts.init(store=...)``, ``ts.open(...)``, ``torchscope serve`` and ``torchscope report`` take either.
Without one: ``$TORCHSCOPE_STORE``, else ``$TORCHSCOPE_DIR``, else ``./tsruns``. A URL's password
never reaches a message, a page, a log line or a report: :func:`redact` is how a URL is shown.

Example::

    is_url("postgresql://me@db.lab/runs")        # True
    redact("postgresql://me:s3cret@db/runs")     # 'postgresql://me:***@db/runs'
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["SCHEMES", "is_url", "redact", "resolve"]

SCHEMES = ("postgresql", "postgres")
_SECRET_PARAMS = {"password", "sslpassword", "passfile", "sslkey"}


def is_url(location: Any) -> bool:
    """True for a PostgreSQL URL (``postgresql://`` or ``postgres://``)."""
    return isinstance(location, str) and bool(re.match(r"(?i)(postgresql|postgres)://", location))


def redact(url: str) -> str:
    """The URL with its password (in the user part or the query) replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<a database URL>"
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        netloc = f"{user}@{host}"
    query = urlencode([(k, "***" if k.lower() in _SECRET_PARAMS else v)
                       for k, v in parse_qsl(parts.query, keep_blank_values=True)])
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def resolve(store: Any = None, dir: Any = None) -> Any:
    """The location asked for: ``store`` or ``dir`` (not both), else ``$TORCHSCOPE_STORE``, else
    ``$TORCHSCOPE_DIR``, else ``"tsruns"``. A URL is returned as a string, a directory as given."""
    if store is not None and dir is not None:
        raise TypeError("give store= or dir=, not both (store= takes a directory or a postgresql:// URL)")
    chosen = store if store is not None else dir
    if chosen is None:
        chosen = os.environ.get("TORCHSCOPE_STORE") or os.environ.get("TORCHSCOPE_DIR") or "tsruns"
    if isinstance(chosen, str) and "://" in chosen and not is_url(chosen):
        scheme = chosen.split("://", 1)[0]
        raise ValueError(f"store {scheme}://... is not a store this torchscope reads: give a directory or a "
                         f"postgresql:// URL")
    return chosen
