"""The GAN lab panel: a real PyTorch GAN learning a 2-D distribution, live in the dashboard.

Each browser page opens its own lab session (``torchscope.gan.LabWorker``) and watches it over a
server-sent event stream; the page draws the frames on a canvas and sends commands by POST. Routes
are in :mod:`.routes`, the session bookkeeping in :mod:`.hub`, export in :mod:`.recording`, the
``torchscope gan-lab`` command in :mod:`.cli`; the page is ``panel.js``. See ``README.md``.

Example::

    GET /#ganlab   (or: torchscope gan-lab --open)
"""

from __future__ import annotations

from typing import Any

from ...registry import Panel
from .report import report
from .routes import API_DOC, routes


def _setup(ctx: Any) -> Any:
    from .hub import Hub

    return Hub()


def _teardown(hub: Any) -> None:
    hub.close_all()  # every lab session stops with the server (torchscope serve and gan-lab alike)


PANEL = Panel(name="ganlab", report=report, title="GAN lab", order=70, routes=routes, api_doc=API_DOC, setup=_setup,
              teardown=_teardown)
