"""Static reports: the dashboard's panels for some runs in one self-contained HTML file.

``torchscope report RUN_OR_DIR -o report.html`` (or :func:`build_report`) writes a page that needs
no server and no network: its data, images, scripts and styles are inlined. It shows every panel
with something to show, stacked with a table of contents, drawn by the dashboard's own panel
modules over a snapshot of the API answers their views ask for; charts zoom, sliders scrub, the
model graph folds, and each scalar key's exact CSV is attached. It prints to PDF a panel a page.
See ``docs/report.md``.

Example::

    from torchscope.report import build_report
    build_report("tsruns", "report.html")
"""

from __future__ import annotations

from .build import build_report
from .plans import Limits
from .source import select_runs

__all__ = ["Limits", "build_report", "select_runs"]
