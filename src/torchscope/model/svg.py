"""Drawing a graph view: standalone SVG, positioned JSON, interactive notebook HTML, matplotlib.

The layout is ours (:mod:`torchscope.model.layout`), so nothing needs the Graphviz binary.
Edges are drawn as cubic Bezier curves with vertical tangents through the layout's polyline
points, the usual smoothing of layered drawings (cf. Gansner et al. [1], section 5); node
colours group layer families (convolution, linear, normalization, activation...).

[1] E. Gansner, E. Koutsofios, S. North, K.-P. Vo, "A technique for drawing directed graphs",
    IEEE Trans. Software Eng. 19(3), 1993.

Example: ``open("net.svg", "w").write(render_svg(ts.graph(model, x).view()))``
"""

from __future__ import annotations

import html
import itertools
import json
import uuid
from typing import Any

from .layout import Layout, layout
from .view import View

__all__ = ["PALETTE", "interactive_html", "positioned", "render_figure", "render_svg"]

PALETTE: dict[str, tuple[str, str]] = {  # category -> (fill, stroke)
    "input": ("#e0f2fe", "#0284c7"), "output": ("#fae8ff", "#a21caf"), "repeat": ("#e2e8f0", "#334155"),
    "module": ("#f1f5f9", "#64748b"), "op": ("#ffffff", "#94a3b8"), "conv": ("#dbeafe", "#2563eb"),
    "linear": ("#ede9fe", "#7c3aed"), "norm": ("#dcfce7", "#16a34a"), "activation": ("#ffedd5", "#ea580c"),
    "pool": ("#ccfbf1", "#0d9488"), "attention": ("#fee2e2", "#dc2626"), "embedding": ("#fef9c3", "#ca8a04"),
    "dropout": ("#f3f4f6", "#9ca3af"), "saved": ("#fff7ed", "#f59e0b"),
}
FONT = "Inter, 'Segoe UI', 'DejaVu Sans', Helvetica, Arial, sans-serif"
HEADER = 30.0


def _size(n: dict[str, Any]) -> tuple[float, float]:
    op = n["kind"] == "op"
    tw = len(n["title"]) * (6.9 if op else 7.9)
    sw = len(n["sub"]) * 6.0
    w = max(tw, sw) + (28 if n["expandable"] else 18)
    return max(w, 44.0 if op else 64.0), (34.0 if n["sub"] else 24.0) if not op or n["sub"] else 22.0


def compute(view: View) -> Layout:
    """The layout of a view (sizes from the labels): ``compute(g.view())``."""
    sizes = [_size(n) for n in view.nodes]
    top = {k for k, n in enumerate(view.nodes) if n["kind"] == "input"}
    bottom = {k for k, n in enumerate(view.nodes) if n["kind"] == "output"}
    titles = {c: len(t) * 6.6 + 16 for c, t in view.clusters.items()}
    return layout(sizes, [(a, b) for a, b, _ in view.edges], groups=view.groups, top=top, bottom=bottom,
                  min_widths=titles)


def positioned(view: View) -> dict[str, Any]:
    """A positioned JSON of the view, for a frontend to draw: ``positioned(g.view())["nodes"][0]["x"]``."""
    lay = compute(view)
    return {
        "width": round(lay.width, 1), "height": round(lay.height, 1),
        "nodes": [{**n, "x": round(lay.x[k], 1), "y": round(lay.y[k], 1), "w": round(lay.w[k], 1),
                   "h": round(lay.h[k], 1)} for k, n in enumerate(view.nodes)],
        "edges": [{"src": view.nodes[a]["id"], "dst": view.nodes[b]["id"], "label": label,
                   "points": [[round(px, 1), round(py, 1)] for px, py in pts]}
                  for (a, b, label), pts in zip(view.edges, lay.edges)],
        "clusters": [{"id": c, "title": view.clusters[c], "box": [round(v, 1) for v in box]}
                     for c, box in lay.clusters.items()],
    }


def _path(pts: list[tuple[float, float]]) -> str:
    d = [f"M{pts[0][0]:.1f},{pts[0][1]:.1f}"]
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        dy = (y1 - y0) * 0.5
        d.append(f"C{x0:.1f},{y0 + dy:.1f} {x1:.1f},{y1 - dy:.1f} {x1:.1f},{y1:.1f}")
    return " ".join(d)


def _fit(text: str, width: float, char: float = 6.6) -> str:
    """Shorten ``text`` with an ellipsis to fit ``width`` pixels."""
    n = max(3, int(width / char))
    return text if len(text) <= n else text[: n - 1] + "…"


def _esc(s: str) -> str:
    return html.escape(s, quote=True)


def _body(view: View, lay: Layout, dy: float) -> tuple[list[str], float]:
    out = []
    right = 0.0
    depth = {c: 0 for c in lay.clusters}
    for g in view.groups:
        for k, c in enumerate(g):
            depth[c] = k
    for c, (x0, y0, x1, y1) in sorted(lay.clusters.items(), key=lambda kv: depth[kv[0]]):
        fill = ("#f8fafc", "#f1f5f9", "#eef2f7")[depth[c] % 3]
        out.append(f'<g class="cl" data-id="{c}"><rect x="{x0:.1f}" y="{y0 + dy:.1f}" width="{x1 - x0:.1f}" '
                   f'height="{y1 - y0:.1f}" rx="8" fill="{fill}" stroke="#cbd5e1" stroke-width="1"/>'
                   f'<text x="{x0 + 8:.1f}" y="{y0 + dy + 13:.1f}" font-size="10.5" font-weight="600" '
                   f'fill="#475569">{_esc(_fit(view.clusters[c], x1 - x0 - 14))}</text></g>')
    labelled = set()
    for k, ((a, _b, label), pts) in enumerate(zip(view.edges, lay.edges)):
        pts = [(px, py + dy) for px, py in pts]
        dash = ' stroke-dasharray="4 3"' if k in view.dashed else ""
        out.append(f'<path class="e" data-k="{k}" d="{_path(pts)}" fill="none" stroke="#94a3b8" '
                   f'stroke-width="1.2"{dash} marker-end="url(#arrow)"/>')
        (xa, ya), (xb, yb) = pts[0], pts[1]  # just below the source: cluster titles sit where edges end
        lx, ly = xa + (xb - xa) * 0.3 + 5, ya + min(12.0, (yb - ya) * 0.5 + 3)
        if label and (a, label) not in labelled:  # a tensor read by several nodes: label it once
            labelled.add((a, label))
            right = max(right, lx + 5.6 * len(label))
            lab = _esc(label)
            out.append(f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="9" fill="none" stroke="#ffffff" '
                       f'stroke-width="3" stroke-opacity="0.85">{lab}</text>'
                       f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="9" fill="#64748b">{lab}</text>')
    for k, n in enumerate(view.nodes):
        fill, stroke = PALETTE[n["cat"]]
        w, h = lay.w[k], lay.h[k]
        x, y = lay.x[k] - w / 2, lay.y[k] - h / 2 + dy
        rx = h / 2 if n["kind"] == "op" else 6
        parts = [f'<g class="n" data-id="{n["id"]}" data-k="{k}"><title>{_esc(n["tip"])}</title>']
        if n["repeat"]:
            for off in (6, 3):
                parts.append(f'<rect x="{x + off:.1f}" y="{y - off:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{rx}" '
                             f'fill="{fill}" stroke="{stroke}" stroke-width="1"/>')
        bold = "600" if n["kind"] != "op" else "500"
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{rx}" fill="{fill}" '
                     f'stroke="{stroke}" stroke-width="1.3"/>')
        cx = lay.x[k] - (4 if n["expandable"] else 0)
        ty = y + (14 if n["sub"] else h / 2 + 4)
        size = 11 if n["kind"] == "op" else 12
        parts.append(f'<text x="{cx:.1f}" y="{ty:.1f}" text-anchor="middle" font-size="{size}" '
                     f'font-weight="{bold}" fill="#0f172a">{_esc(n["title"])}</text>')
        if n["sub"]:
            parts.append(f'<text x="{cx:.1f}" y="{y + 27:.1f}" text-anchor="middle" font-size="9.5" '
                         f'fill="#475569">{_esc(n["sub"])}</text>')
        if n["expandable"]:
            parts.append(f'<text x="{x + w - 8:.1f}" y="{y + 11:.1f}" text-anchor="middle" font-size="10" '
                         f'fill="{stroke}">+</text>')
        parts.append("</g>")
        out.append("".join(parts))
    return out, right


def _header(view: View, lay: Layout, note: str | None) -> str:
    text = f'<text x="8" y="19" font-size="13" font-weight="700" fill="#0f172a">{_esc(view.title)}</text>'
    if note:
        text += (f'<text x="8" y="{HEADER + lay.height + 14:.1f}" font-size="10.5" fill="#b91c1c">'
                 f'{_esc("partial graph: " + note[:300])}</text>')
    return text


def render_svg(view: View, *, note: str | None = None, lay: Layout | None = None) -> str:
    """A standalone SVG document for a view: ``render_svg(g.view())``."""
    lay = lay or compute(view)
    body, right = _body(view, lay, HEADER)
    width = max(lay.width, right + 6, 8 + 8 * len(view.title), 200)
    height = lay.height + HEADER + (20 if note else 0)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}">'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto-start-reverse"><path d="M0,1 L10,5 L0,9 z" fill="#94a3b8"/></marker></defs>'
            f'<rect width="100%" height="100%" fill="#ffffff"/>{_header(view, lay, note)}'
            + "".join(body) + "</svg>\n")


_JS = """
(function(){const root=document.getElementById('%(id)s');const svg=root.querySelector('svg');
const E=%(edges)s;let vb=svg.viewBox.baseVal;let drag=null;
svg.removeAttribute('width');svg.removeAttribute('height');svg.style.width='100%%';
svg.style.height=Math.min(640,vb.height+10)+'px';svg.style.cursor='grab';
svg.addEventListener('wheel',ev=>{ev.preventDefault();const r=svg.getBoundingClientRect();
const f=ev.deltaY>0?1.15:1/1.15;const mx=vb.x+(ev.clientX-r.left)/r.width*vb.width;
const my=vb.y+(ev.clientY-r.top)/r.height*vb.height;vb.x=mx-(mx-vb.x)*f;vb.y=my-(my-vb.y)*f;
vb.width*=f;vb.height*=f;},{passive:false});
svg.addEventListener('mousedown',ev=>{drag=[ev.clientX,ev.clientY];});
window.addEventListener('mouseup',()=>{drag=null;});
svg.addEventListener('mousemove',ev=>{if(!drag)return;const r=svg.getBoundingClientRect();
vb.x-=(ev.clientX-drag[0])/r.width*vb.width;vb.y-=(ev.clientY-drag[1])/r.height*vb.height;
drag=[ev.clientX,ev.clientY];});
const info=root.querySelector('.ts-info');
svg.querySelectorAll('g.n').forEach(g=>g.addEventListener('click',()=>{
 const k=+g.dataset.k;const up=new Set([k]);let grow=true;const hit=new Set();
 while(grow){grow=false;E.forEach((e,i)=>{if(up.has(e[1])&&!up.has(e[0])){up.add(e[0]);grow=true;}
 if(up.has(e[1]))hit.add(i);});}
 svg.querySelectorAll('g.n').forEach(x=>x.style.opacity=up.has(+x.dataset.k)?1:0.35);
 svg.querySelectorAll('path.e').forEach(x=>{const on=hit.has(+x.dataset.k);
 x.setAttribute('stroke',on?'#f59e0b':'#94a3b8');x.setAttribute('stroke-width',on?2.2:1.2);});
 info.textContent=g.querySelector('title').textContent;}));
root.querySelector('.ts-reset').addEventListener('click',()=>{
 svg.querySelectorAll('g.n').forEach(x=>x.style.opacity=1);
 svg.querySelectorAll('path.e').forEach(x=>{x.setAttribute('stroke','#94a3b8');x.setAttribute('stroke-width',1.2);});
 info.textContent='click a node: its details and the path from the inputs';});
})();
"""


def interactive_html(view: View, *, note: str | None = None) -> str:
    """Notebook HTML: the SVG with wheel zoom, drag pan, click for details and the input path."""
    uid = "ts-graph-" + uuid.uuid4().hex[:10]
    svg = render_svg(view, note=note)
    edges = json.dumps([[a, b] for a, b, _ in view.edges])
    return (f'<div id="{uid}" class="torchscope-graph" style="border:1px solid #e2e8f0;border-radius:6px">'
            f"{svg}<div style='font:12px sans-serif;padding:4px 8px;color:#334155;white-space:pre-wrap'>"
            "<button class='ts-reset' style='float:right'>reset</button><span class='ts-info'>click a node: its "
            "details and the path from the inputs</span></div></div>"
            f"<script>{_JS % {'id': uid, 'edges': edges}}</script>")


def render_figure(view: View) -> Any:
    """The view drawn with matplotlib (no SVG renderer needed): ``render_figure(g.view())``."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    lay = compute(view)
    scale = min(1.0, 3000.0 / max(lay.width, lay.height, 1.0))
    fig = Figure(figsize=(max(lay.width * scale / 72, 2), max(lay.height * scale / 72, 2)))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.axis("off")
    fs = 8 * scale
    for c, (x0, y0, x1, y1) in lay.clusters.items():
        ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=6",
                                    fc="#f8fafc", ec="#cbd5e1", lw=0.8))
        ax.text(x0 + 6, y0 + 12, view.clusters[c], fontsize=fs, color="#475569")
    for pts in lay.edges:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color="#94a3b8", lw=0.8)
    for k, n in enumerate(view.nodes):
        fill, stroke = PALETTE[n["cat"]]
        w, h = lay.w[k], lay.h[k]
        ax.add_patch(FancyBboxPatch((lay.x[k] - w / 2, lay.y[k] - h / 2), w, h,
                                    boxstyle="round,pad=0,rounding_size=5", fc=fill, ec=stroke, lw=1.0))
        text = n["title"] + ("\n" + n["sub"] if n["sub"] else "")
        ax.text(lay.x[k], lay.y[k], text, ha="center", va="center", fontsize=fs, color="#0f172a")
    return fig
