"""``torchscope serve [DIR] [--port N] [--host H] [--token T] [--allow-host NAME] [--open]``: run the dashboard.

Binds 127.0.0.1 by default. Any other host requires a token: one is generated and printed in the
URL (as Jupyter does) unless given with ``--token`` (or ``$TORCHSCOPE_TOKEN``); an empty or blank
token is no token (off loopback one is generated then too). Without a token the server answers
only loopback Host names, plus those given with ``--allow-host`` (repeatable) or
``$TORCHSCOPE_ALLOWED_HOSTS`` (comma-separated).

Example::

    serve("tsruns", port=6006)   # prints http://127.0.0.1:6006/ and serves until Ctrl-C
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
from typing import Any

from .auth import clean_token, is_loopback, new_token
from .context import app_context
from .hosts import ENV as ALLOWED_HOSTS_ENV
from .hosts import allowed_hosts, env_allowed_hosts

__all__ = ["configure_parser", "free_port", "listen", "port_number", "run_command", "serve", "url_for"]

PORT_TRIES = 10  # a taken port: the next ones are tried (as Jupyter does), and the one taken is said


def url_for(host: str, port: int, token: str | None) -> str:
    """The address to open: ``url_for("127.0.0.1", 6006, None)`` -> ``http://127.0.0.1:6006/``."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host in ("::", "::1") else host)
    if host not in ("0.0.0.0", "", "::", "::1") and not is_loopback(host):
        shown = host
    elif host in ("0.0.0.0", "::"):
        shown = socket.gethostname()
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def free_port(host: str = "127.0.0.1") -> int:
    """A port free right now on ``host``: ``free_port()`` -> e.g. 53121."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_number(text: str) -> int:
    """A TCP port as ``--port`` takes it (0 = any free one): ``port_number("6006")`` -> 6006."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0 to 65535; 0 picks a free one)")
    return port


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: a restart reuses its port
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def listen(host: str, port: int, *, tries: int = PORT_TRIES) -> socket.socket:
    """A socket bound to ``host:port``, or to the next free port when that one is taken (up to
    ``tries`` ports, each taken one said on stderr): ``listen("127.0.0.1", 6006).getsockname()``.

    Raises OSError with one readable sentence when nothing can be bound (a bad port or host, no
    permission, every port tried taken), before anything is printed on stdout.
    """
    if not 0 <= port <= 65535:
        raise ValueError(f"{port} is not a port number (0 to 65535; 0 picks a free one)")
    candidates = [port] if port == 0 else list(range(port, min(65536, port + max(1, tries))))
    for i, p in enumerate(candidates):
        try:
            return _bind(host, p)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                why = (exc.strerror or str(exc)).lower()
                raise OSError(f"cannot listen on {host}:{p}: {why}") from None
            later = f"; trying {candidates[i + 1]}" if i + 1 < len(candidates) else ""
            print(f"torchscope: port {p} is in use{later}", file=sys.stderr, flush=True)
    raise OSError(f"ports {candidates[0]} to {candidates[-1]} on {host} are all in use: give another with --port "
                  "(0 picks any free one)")


def serve(dir: Any = None, *, host: str = "127.0.0.1", port: int = 6006, token: str | None = None,
          open_browser: bool = False, poll_interval: float = 0.5, log_level: str = "warning",
          allow_hosts: list[str] | None = None, admin_token: str | None = None) -> None:
    """Serve the store in ``dir`` (a directory or a postgresql:// URL) until interrupted:
    ``serve("tsruns", port=6006)``.

    ``token``: required on every request (blank: none; generated when ``host`` is not loopback);
    ``admin_token``: the only key to renaming, tagging, archiving and deleting runs (a team server;
    with a read token and no admin token the dashboard is read-only);
    ``allow_hosts``: Host names answered without a token besides loopback (behind a proxy, say).
    """
    import uvicorn

    from .app import create_app

    token = clean_token(token)
    if token is None and not is_loopback(host):
        token = new_token()
    app = create_app(dir, token=token, poll_interval=poll_interval, allow_hosts=allow_hosts or (),
                     admin_token=admin_token)
    sock = listen(host, port)  # bound before any URL is printed: a taken port is said, never another server's URL
    port = int(sock.getsockname()[1])
    url = url_for(host, port, token)
    print(f"torchscope dashboard for {app_context(app).provider.location}\n  {url}", flush=True)
    if clean_token(admin_token):
        print(f"  {url_for(host, port, clean_token(admin_token))}  (admin: may rename and delete runs)", flush=True)
    elif token is not None:
        print("  read-only: give --admin-token to allow renaming and deleting runs", flush=True)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=1,
                            access_log=False)
    with sock:
        uvicorn.Server(config).run(sockets=[sock])


def configure_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", nargs="?", default=None, help="store directory or postgresql:// URL "
                                                        "(default: $TORCHSCOPE_STORE, $TORCHSCOPE_DIR or ./tsruns)")
    p.add_argument("--port", type=port_number, default=6006,
                   help="port (default 6006; when taken, the next free one is used and said; 0 picks any free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--token", default=os.environ.get("TORCHSCOPE_TOKEN"),
                   help="access token (generated when the host is not loopback; an empty one is none)")
    p.add_argument("--allow-host", action="append", dest="allow_hosts", metavar="NAME",
                   default=env_allowed_hosts(os.environ.get(ALLOWED_HOSTS_ENV)),
                   help="without a token, also answer requests for this Host name (repeatable; default "
                        f"${ALLOWED_HOSTS_ENV}, comma-separated); only loopback addresses and localhost otherwise")
    p.add_argument("--admin-token", default=os.environ.get("TORCHSCOPE_ADMIN_TOKEN"),
                   help="the key to renaming and deleting runs, distinct from --token (default "
                        "$TORCHSCOPE_ADMIN_TOKEN); with a token and no admin token the dashboard is read-only")
    p.add_argument("--open", action="store_true", help="open the dashboard in a web browser")


def run_command(args: argparse.Namespace) -> int:
    try:
        allowed_hosts(args.allow_hosts)
    except ValueError as exc:
        print(f"torchscope serve: --allow-host: {exc}", file=sys.stderr)
        return 2
    if clean_token(args.admin_token) is not None and clean_token(args.admin_token) == clean_token(args.token):
        print("torchscope serve: --admin-token must differ from --token (anyone who can read could change runs)",
              file=sys.stderr)
        return 2
    try:
        serve(args.dir, host=args.host, port=args.port, token=args.token, open_browser=args.open,
              allow_hosts=args.allow_hosts, admin_token=args.admin_token)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return 0
