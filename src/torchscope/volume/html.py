"""The notebook view of a volume: the dashboard's slice viewer in one self-contained HTML fragment.

``notebook_html(record)`` embeds the whole volume downsampled (the ``TSV1`` format of
:func:`~torchscope.volume.slicing.volume_bytes`, base64, at most ``max_size`` voxels a side and
``MAX_FRAMES`` frames of the 4th axis) and the viewer's own ES modules (``server/panels/volumes``:
``view.js`` and what it imports), turned into one classic script: each module becomes a function
returning its exports, each import a lookup of them. No module loader, no ``blob:`` URL, no network:
it runs wherever a notebook runs an output's scripts (JupyterLab and Notebook for trusted output,
VS Code, Colab); elsewhere the fragment says what it would show.

Example::

    html = notebook_html(ts.data.example_volume())    # what Volume._repr_html_ returns
"""

from __future__ import annotations

import base64
import html
import json
import re
import secrets
from typing import Any

from ..report.assets import PLACEHOLDER, ROOTS, collect_modules
from ..report.plans._util import evenly
from ..server.encode import dumps
from .record import Volume
from .slicing import index_entry, volume_bytes

__all__ = ["MAX_FRAMES", "bundle", "notebook_html"]

MAX_FRAMES = 16  # frames of the 4th axis embedded (evenly spaced, first and last kept)
ENTRIES = ("panels/volumes/view.js", "panels/volumes/sources.js")
IMPORT = re.compile(r"""^[ \t]*import\s*\{(?P<names>[^}]*)\}\s*from\s*"""
                    + f'"{re.escape(PLACEHOLDER)}' + r"""(?P<dep>[^"]+)"\s*;?""", re.M)
EXPORT = re.compile(r"^export\s+(?:(?:async\s+)?function\*?|class|const|let|var)\s+(?P<name>[A-Za-z_$][\w$]*)", re.M)
EXPORT_LIST = re.compile(r"^export\s*\{(?P<names>[^}]*)\}\s*;?", re.M)


def _imports(m: re.Match[str]) -> str:
    fields = []
    for n in (n.strip() for n in m["names"].split(",")):
        name, _, alias = n.partition(" as ")
        if name:
            fields.append(f"{name.strip()}: {alias.strip()}" if alias else name)
    return f"const {{ {', '.join(fields)} }} = __m[{json.dumps(m['dep'])}];"


def _module(mid: str, text: str) -> str:
    exports = [m["name"] for m in EXPORT.finditer(text)]
    for m in EXPORT_LIST.finditer(text):
        exports += [n.strip() for n in m["names"].split(",") if n.strip()]
    body = EXPORT_LIST.sub("", text)
    body = re.sub(r"^export\s+", "", body, flags=re.M)
    body = IMPORT.sub(_imports, body)
    if re.search(r"^\s*(import|export)\b", body, re.M) or "import(" in body:
        raise ValueError(f"{mid}: an import or export the notebook bundle cannot turn into a plain script")
    names = ", ".join(f"{b.strip()}: {a.strip()}" if b else a for a, _, b in (n.partition(" as ") for n in exports))
    return f'__m[{json.dumps(mid)}] = (function () {{ "use strict";\n{body}\nreturn {{ {names} }};\n}})();\n'


def bundle(entries: tuple[str, ...] = ENTRIES) -> str:
    """The viewer's modules as one classic script defining ``__m`` (module id -> its exports)."""
    return "".join(_module(mid, text) for mid, text in collect_modules(entries))


BOOT = """
const root = document.getElementById(%(id)s);
try {
  const data = JSON.parse(document.getElementById(%(data)s).textContent);
  const { localSource } = __m["panels/volumes/sources.js"], { VolumeView } = __m["panels/volumes/view.js"];
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
  localSource(data.meta, (t) => bytes(data.frames[String(t)]), data.kept).then((source) => {
    const view = new VolumeView(source), head = document.createElement("div"), title = document.createElement("b");
    title.textContent = data.meta.title || "volume";
    head.className = "vol-head";
    head.append(title);
    root.className = "";
    root.replaceChildren(head, view.el);
    view.start();
    root.viewer = view;
  }).catch((e) => { root.textContent = "The volume viewer failed: " + (e && e.message || e); });
} catch (e) { root.textContent = "The volume viewer failed: " + (e && e.message || e); }
"""


def notebook_html(record: Volume, max_size: int = 128) -> str:
    """The interactive viewer of ``record`` as HTML: ``IPython.display.HTML(notebook_html(vol))``.

    ``max_size``: most voxels along the embedded volume's longest axis (128: 4 MB of image at most).
    """
    uid = f"tsvol-{secrets.token_hex(6)}"
    meta: dict[str, Any] = index_entry(record, record.title or "volume", 0)
    kept = evenly(list(range(int(record.shape[0]))), MAX_FRAMES)
    frames = {str(t): base64.b64encode(volume_bytes(record, t, max_size)).decode("ascii") for t in kept}
    data = dumps({"meta": meta, "kept": kept, "frames": frames}).decode().replace("</", "<\\/")
    css = (ROOTS["panels"] / "volumes" / "volumes.css").read_text(encoding="utf-8")
    boot = BOOT % {"id": json.dumps(uid), "data": json.dumps(f"{uid}-data")}
    script = f"(function () {{\nconst __m = {{}};\n{bundle()}{boot}}})();".replace("</script", "<\\/script")
    title = html.escape(record.title or "volume")
    shape = "×".join(str(n) for n in record.shape[1:])
    return (f'<div class="tsvol-nb" style="max-width: 980px"><style>{css}</style>'
            f'<div id="{uid}" class="vol-note">{title}: {shape} voxels. The interactive viewer needs the '
            "notebook to run this output's script (a trusted notebook); <code>vol.figure()</code> draws the "
            "same planes with matplotlib.</div>"
            f'<script type="application/json" id="{uid}-data">{data}</script>'
            f"<script>{script}</script></div>")
