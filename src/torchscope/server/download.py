"""``Content-Disposition`` for downloads whose names come from user data (keys, run names).

HTTP headers travel as Latin-1, so a key like ``train/损失`` cannot sit in ``filename="..."``.
RFC 6266 (with RFC 5987's encoding) says how: ``filename*=UTF-8''<percent-encoded>`` carries the
real name, and a plain ASCII ``filename="..."`` beside it serves old clients.

Example::

    attachment("train_损失.csv")
    # -> attachment; filename="train___.csv"; filename*=UTF-8''train_%E6%8D%9F%E5%A4%B1.csv
"""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["attachment", "safe_name"]


def safe_name(text: str, *, default: str, limit: int = 80) -> str:
    """A file name from user text: letters and digits of any script, ``-_.``; the rest ``_``.

    ``safe_name("train/损失", default="scalars")`` -> ``"train_损失"``.
    """
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:limit].strip(".")
    return name or default


def attachment(filename: str) -> str:
    """The header value that downloads ``filename`` (any Unicode): ASCII fallback plus RFC 5987 UTF-8 name."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in filename) or "download"
    value = f'attachment; filename="{fallback}"'
    if filename and fallback != filename:
        value += "; filename*=UTF-8''" + quote(filename, safe="")
    return value
