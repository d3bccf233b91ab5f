"""Cross-site request refusal: no other web page can make the dashboard change anything.

Any page the user visits can send ``POST`` requests to ``http://127.0.0.1:6006`` (a form, or
``fetch`` in ``no-cors`` mode with a ``text/plain`` body): the browser sends them without asking and
only hides the answer. So every request that changes state (``POST``, ``PUT``, ``PATCH``,
``DELETE``) must prove it comes from the dashboard's own page, and is refused with 403 when

- ``Sec-Fetch-Site`` says ``cross-site`` or ``same-site`` (another port of ``localhost`` is the same
  *site* but not the same *origin*: another local web app must not drive the dashboard either);
- ``Origin`` is present and is not this server's origin (its host and port must be the ``Host`` the
  request came to; ``Origin: null`` (sandboxed frames, ``file://`` pages) is refused too);

and with 415 when a ``POST``, ``PUT`` or ``PATCH`` does not say ``Content-Type: application/json``
(or ``application/octet-stream``, the GAN lab's state upload): a page cannot send these types to
another site without a CORS preflight, which this server never grants, so even a browser that sends
neither header above cannot forge them. ``DELETE`` needs no body: a page cannot send it to another
site without a preflight either. Requests without these headers (``curl``, scripts, tests) pass.

Reading is guarded too: a ``GET`` that ``Sec-Fetch-Site`` marks ``cross-site`` is refused unless it
is a top-level navigation (a link to the dashboard still opens it), so another site cannot start the
GAN panel's computations with ``<img src=...>``.

Example::

    app = SameOrigin(app)   # beside TokenAuth, in create_app
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .encode import JSON
from .hosts import split_host

__all__ = ["BODY_TYPES", "SAFE_METHODS", "SameOrigin", "refusal"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BODY_TYPES = frozenset({"application/json", "application/octet-stream"})
_DEFAULT_PORT = {"http": 80, "https": 443}


def _same_origin(origin: str, host: str) -> bool:
    """Whether ``Origin`` names the server the request reached (its ``Host``).

    A Host without a port (a proxy in front of the server) stands for the default port of the
    Origin's scheme: ``_same_origin("https://dash.example", "dash.example")`` -> True.
    """
    try:
        parts = urlsplit(origin)
        origin_port = parts.port
    except ValueError:
        return False
    if parts.scheme not in _DEFAULT_PORT or not parts.netloc or parts.path not in ("", "/"):
        return False
    ours, theirs = split_host(host), split_host(parts.netloc)
    if ours is None or theirs is None or ours[0] != theirs[0]:
        return False
    theirs_port = origin_port if origin_port is not None else _DEFAULT_PORT[parts.scheme]
    return theirs_port == (ours[1] if ours[1] is not None else _DEFAULT_PORT[parts.scheme])


def refusal(method: str, headers: dict[bytes, bytes]) -> tuple[int, str] | None:
    """Why a request must be refused, as ``(status, message)``, or None when it may go on.

    ``refusal("POST", {b"sec-fetch-site": b"cross-site"})`` -> ``(403, "...")``.
    """
    site = headers.get(b"sec-fetch-site", b"").decode("latin-1").strip().lower()
    if method in SAFE_METHODS:
        navigation = headers.get(b"sec-fetch-mode", b"").decode("latin-1").strip().lower() == "navigate"
        if site == "cross-site" and not navigation:
            return 403, "cross-site request refused: the dashboard answers only its own page"
        return None
    if site and site not in ("same-origin", "none"):
        return 403, f"cross-site request refused (Sec-Fetch-Site: {site}): only the dashboard's own page may change it"
    origin = headers.get(b"origin")
    if origin is not None:
        host = headers.get(b"host", b"").decode("latin-1")
        if not _same_origin(origin.decode("latin-1").strip(), host):
            return 403, "cross-origin request refused: the Origin is not this dashboard"
    if method != "DELETE":
        media = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
        if media not in BODY_TYPES:
            return 415, ("send the body as Content-Type: application/json "
                         f"(or application/octet-stream for a file), not {media or 'none'!r}")
    return None


class SameOrigin:
    """ASGI middleware: 403 for cross-site requests that change state (or read as a sub-resource), 415 for
    a state-changing request that is not JSON (or octet-stream)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        why = refusal(scope["method"].upper(), dict(scope.get("headers") or []))
        if why is not None:
            await JSON({"error": why[1]}, status_code=why[0])(scope, receive, send)
            return
        await self.app(scope, receive, send)
