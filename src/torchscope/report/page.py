"""The report's HTML: one file with its data, modules and styles inlined, and a strict policy.

Everything the page holds that is not ours (run names, config, logged text...) is inside JSON in
``<script type="application/json">`` elements, escaped so that no ``<`` (hence no ``</script>``
and no ``<!--``), ``>`` or ``&`` appears there; the page's code only ever inserts it as text. The
Content Security Policy allows exactly one inline script (``web/loader.js``, by its hash), modules
from ``blob:`` URLs that script makes, images from ``data:``/``blob:`` URLs, and no network at all.

Example::

    html = render_page(meta, modules, styles, gz_pack, raw_pack)
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from pathlib import Path
from typing import Any

__all__ = ["CSP", "render_page", "script_json"]

WEB = Path(__file__).parent / "web"
CSP = ("default-src 'none'; script-src {script} blob:; style-src 'unsafe-inline'; img-src data: blob:; "
       "connect-src data: blob:; font-src data:; media-src data: blob:; base-uri 'none'; form-action 'none'")
_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(obj: Any) -> str:
    """JSON safe inside a ``<script>`` element: ``script_json("</script>")`` -> ``"\\u003c/script\\u003e"``."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in _ESCAPES.items():
        text = text.replace(ch, esc)
    return text


def _favicon() -> str:
    svg = (Path(__file__).resolve().parent.parent / "web" / "favicon.svg").read_bytes()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def render_page(meta: dict[str, Any], modules: list[tuple[str, str]], styles: list[tuple[str, str]],
                gz_pack: bytes, raw_pack: bytes) -> str:
    """The whole page as text (see the module docstring)."""
    loader = (WEB / "loader.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(loader.encode()).digest()).decode()
    csp = CSP.format(script=f"'sha256-{digest}'")
    bundle = {"entry": "report/shell.js", "modules": modules, "styles": styles}
    return "\n".join([
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="torchscope {html.escape(str(meta["version"]))}">',
        f"<title>{html.escape(meta['title'])}</title>",
        f'<link rel="icon" href="{_favicon()}">',
        "<style>body{font:14px/1.4 system-ui,sans-serif;margin:0}#report>.boot{padding:24px;color:#6b6b73}</style>",
        "</head>",
        "<body>",
        '<div id="report" class="rp" data-state="loading"><p class="boot">Loading the report… '
        "(it needs JavaScript; nothing is fetched from the network)</p></div>",
        f'<script type="application/json" id="ts-report">{script_json(meta)}</script>',
        f'<script type="application/json" id="ts-modules">{script_json(bundle)}</script>',
        f'<script type="text/plain" id="ts-pack-z">{base64.b64encode(gz_pack).decode()}</script>',
        f'<script type="text/plain" id="ts-pack-r">{base64.b64encode(raw_pack).decode()}</script>',
        f'<script type="module">{loader}</script>',
        "</body>",
        "</html>",
        "",
    ])
