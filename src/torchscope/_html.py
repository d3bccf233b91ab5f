"""Small HTML pieces shared by the records' notebook displays (``_repr_html_``)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

__all__ = ["card", "table"]


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
