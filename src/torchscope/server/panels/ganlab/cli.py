"""``torchscope gan-lab [--port N] [--open]``: the dashboard, opened directly on the GAN lab panel.

The dashboard needs a store: ``$TORCHSCOPE_DIR`` or ``./tsruns`` when it exists (so your runs are
one click away), else a temporary empty store that is removed on exit. Binds 127.0.0.1 only.

Example::

    torchscope gan-lab --open      # prints http://127.0.0.1:6006/#ganlab and opens it
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["configure", "lab_url", "open_lab_store", "run"]


def configure(p: argparse.ArgumentParser) -> None:
    """Add the command's options to ``p``."""
    p.add_argument("--port", type=int, default=6006, help="port (default 6006, or a free one if taken; 0: any)")
    p.add_argument("--open", action="store_true", help="open the GAN lab in a web browser")


def open_lab_store(stack: contextlib.ExitStack) -> Any:
    """The store to show: ``$TORCHSCOPE_DIR`` or ``./tsruns`` if it holds one, else a temporary empty one."""
    from ....store import open_store

    env = os.environ.get("TORCHSCOPE_DIR")
    for cand in ([Path(env)] if env else []) + [Path("tsruns")]:
        if cand.is_dir():
            with contextlib.suppress(FileNotFoundError):
                return open_store(cand)
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="torchscope-ganlab-"))) / "tsruns"
    return open_store(tmp, create=True)  # an empty store: the dashboard's run list stays empty


def lab_url(port: int) -> str:
    """The page to open: ``lab_url(6006)`` -> ``http://127.0.0.1:6006/#ganlab``."""
    return f"http://127.0.0.1:{port}/#ganlab"


def _port(wanted: int) -> int:
    from ...serve import free_port

    if wanted == 0:
        return free_port()
    try:  # another dashboard may hold the default port: then any free one
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", wanted))
        return wanted
    except OSError:
        return free_port()


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C: ``run(argparse.Namespace(port=0, open=False))``."""
    import uvicorn

    from ...app import create_app
    from ...context import app_context

    with contextlib.ExitStack() as stack:
        app = create_app(open_lab_store(stack))
        port = _port(int(args.port))
        url = lab_url(port)
        print(f"torchscope GAN lab (store {app_context(app).provider.location})\n  {url}", flush=True)
        if args.open:
            import threading
            import webbrowser

            threading.Timer(1.0, webbrowser.open, args=(url,)).start()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                                timeout_graceful_shutdown=1)
        try:
            uvicorn.Server(config).run()
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)
        finally:  # the app's lifespan closed every session; an app run without one: here
            hub: Any = app_context(app).state.get("ganlab")
            if hub is not None:
                hub.close_all()
    return 0
