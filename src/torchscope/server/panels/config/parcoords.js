// Parallel coordinates in SVG: one vertical axis per column (numeric: linear range;
// text: evenly spaced categories), one polyline per run in its colour.
//   chart.append(parcoords(columns, rows, (row) => color));

import { fmtNum } from "../../static/dom.js";

const NS = "http://www.w3.org/2000/svg";

function el(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text; // labels are user data: text only
  return e;
}

function scaleFor(col, rows) {
  const vals = rows.map((r) => col.get(r)).filter((v) => v !== null && v !== undefined);
  const numeric = vals.every((v) => typeof v === "number");
  if (numeric) {
    const fin = vals.filter(Number.isFinite);
    const lo = Math.min(...fin), hi = Math.max(...fin);
    if (!(hi > lo)) return { at: (v) => (Number.isFinite(v) ? 0.5 : null), ticks: fin.length ? [[0.5, fmtNum(lo)]] : [] };
    return { at: (v) => (Number.isFinite(v) ? (v - lo) / (hi - lo) : null), ticks: [[0, fmtNum(lo)], [1, fmtNum(hi)]] };
  }
  const cats = [...new Set(vals.map(String))].sort();
  const at = (v) => (v === null || v === undefined ? null : cats.length > 1 ? cats.indexOf(String(v)) / (cats.length - 1) : 0.5);
  return { at, ticks: cats.map((c) => [at(c), c]) };
}

export function parcoords(cols, rows, color) {
  const width = Math.max(cols.length * 130, 480), height = 300, top = 40, bottom = height - 24, left = 60, right = width - 60;
  const svg = el("svg", { class: "parcoords", viewBox: `0 0 ${width} ${height}`, role: "img" });
  svg.style.minWidth = `${Math.min(width, 900)}px`;
  const xs = cols.map((_, i) => left + (cols.length > 1 ? (right - left) * i / (cols.length - 1) : 0));
  const scales = cols.map((c) => scaleFor(c, rows));
  const Y = (t) => bottom - t * (bottom - top);
  for (const r of rows) {
    const pts = [];
    cols.forEach((c, i) => { const t = scales[i].at(c.get(r)); if (t !== null) pts.push(`${xs[i].toFixed(1)},${Y(t).toFixed(1)}`); });
    svg.append(el("polyline", { points: pts.join(" "), fill: "none", stroke: color(r), "stroke-width": 2, opacity: 0.8, "data-run": r.run }));
  }
  cols.forEach((c, i) => {
    svg.append(el("line", { x1: xs[i], x2: xs[i], y1: top, y2: bottom, stroke: "#999" }));
    svg.append(el("text", { x: xs[i], y: 16, "text-anchor": "middle", "font-weight": 600 }, c.label.length > 24 ? c.label.slice(0, 23) + "…" : c.label));
    for (const [t, label] of scales[i].ticks.slice(0, 12)) {
      svg.append(el("text", { x: xs[i] + 4, y: Y(t) + 4 }, String(label).slice(0, 18)));
    }
  });
  return svg;
}
