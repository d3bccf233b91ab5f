"""Which ``Host`` headers the dashboard answers: loopback literals, ``localhost``, and names the user allows.

A guard against DNS rebinding: a page at ``http://attacker.example:6006`` whose DNS name an
attacker points at 127.0.0.1 is, for the browser, the same origin as the dashboard; only the
``Host`` header it sends gives it away. So without a token the server answers only hosts that no
DNS answer can fake: literal loopback addresses (127.0.0.0/8, ``::1``, IPv4-mapped 127.x), the name
``localhost``, and the names given with ``torchscope serve --allow-host NAME`` or
``$TORCHSCOPE_ALLOWED_HOSTS`` (comma-separated). A name that merely starts with ``127.``
(``127.evil.example``, ``127.0.0.1.nip.io``) is a DNS name, not an address, and is refused.

Example::

    parse_host("[::1]:6006")          # -> "::1"
    is_loopback("127.evil.example")   # -> False
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

__all__ = ["allowed_hosts", "env_allowed_hosts", "is_loopback", "parse_host", "split_host"]

ENV = "TORCHSCOPE_ALLOWED_HOSTS"
# a DNS name (RFC 1123 labels) or an IPv4 literal; anything else (spaces, unicode, "@", "/") is garbage
_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$")


def split_host(value: str) -> tuple[str, int | None] | None:
    """A Host header (or authority) as ``(name, port)``, normalized, or None when malformed.

    The name is lowercased, without a trailing dot and without IPv6 brackets; the port is None
    when absent: ``split_host("LocalHost.:80")`` -> ``("localhost", 80)``.
    """
    value = value.strip()
    if not value or not value.isascii():
        return None
    port: str | None = None
    if value.startswith("["):
        name, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            return None
        port = rest[1:] if rest else None
        if "%" in name:  # a zone id (fe80::1%eth0) names an interface, not a host
            return None
        try:
            name = str(ipaddress.IPv6Address(name))
        except ValueError:
            return None
    elif value.count(":") > 1:  # a bare IPv6 literal (not a valid Host, but unambiguous)
        try:
            name = str(ipaddress.IPv6Address(value))
        except ValueError:
            return None
    else:
        name, sep, raw_port = value.partition(":")
        port = raw_port if sep else None
        name = name.lower()
        name = name[:-1] if name.endswith(".") else name
        if not _NAME.match(name):
            return None
    if port is None:
        return name, None
    if not port.isdigit() or len(port) > 5 or not 0 < int(port) < 65536:
        return None
    return name, int(port)


def parse_host(value: str) -> str | None:
    """The host name of a Host header, normalized, or None when malformed: ``parse_host("[::1]:80")`` -> ``"::1"``."""
    split = split_host(value)
    return split[0] if split else None


def is_loopback(host: str) -> bool:
    """True only for literal loopback addresses and ``localhost``: ``is_loopback("127.0.0.1")`` -> True.

    ``host`` may carry a port and IPv6 brackets (``[::1]:6006``). A DNS name that looks like an
    address (``127.evil.example``) is not loopback: whoever owns the name decides where it points.
    """
    name = parse_host(host)
    if name is None:
        return False
    if name == "localhost":
        return True
    try:
        addr = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_loopback


def allowed_hosts(names: Iterable[str]) -> frozenset[str]:
    """Normalized host names to accept besides loopback: ``allowed_hosts(["Dash.Example."])`` -> {"dash.example"}.

    Raises ValueError for a name that is not a host name (a wildcard, a URL, a port).
    """
    out = set()
    for raw in names:
        split = split_host(raw)
        if split is None or split[1] is not None:
            raise ValueError(f"not a host name: {raw!r} (give a bare name or address, like dash.example)")
        out.add(split[0])
    return frozenset(out)


def env_allowed_hosts(value: str | None) -> list[str]:
    """The names in ``$TORCHSCOPE_ALLOWED_HOSTS`` (comma-separated): ``env_allowed_hosts("a, b")`` -> ["a", "b"]."""
    return [n.strip() for n in (value or "").split(",") if n.strip()]
