"""Display helpers shared by the records: class colours, and the HTML of their notebook display."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

__all__ = ["card", "class_colors", "table"]


def class_colors(k: int) -> list[tuple[float, float, float, float]]:
    """``k`` distinct colours (tab10, tab20, then evenly spaced hues): ``class_colors(3)``."""
    from matplotlib import colormaps

    if k <= 10:
        return [colormaps["tab10"](i) for i in range(k)]
    if k <= 20:
        return [colormaps["tab20"](i) for i in range(k)]
    return [colormaps["hsv"](i / k) for i in range(k)]


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A small HTML table, every cell escaped: ``table(["class", "n"], [["cat", 3]])``."""
    def cell(v: Any) -> str:
        return html.escape(f"{v:.4g}" if isinstance(v, float) else str(v))

    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return (f"<table style='border-collapse:collapse;font-size:12px'><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def card(title: str, fig: Any, extra: str = "") -> str:
    """Notebook HTML of a record: a title, the figure as an inline PNG, then ``extra`` HTML folded."""
    from .data._images import figure_html

    more = f"<details><summary>table</summary>{extra}</details>" if extra else ""
    return f"<div class='torchscope-record'><b>{html.escape(title)}</b><br/>{figure_html(fig)}{more}</div>"
