// Parallel coordinates in SVG (Inselberg 1985; the way HiPlot and TensorBoard's HParams compare runs):
// one vertical axis per column, one polyline per run in its colour. Drawn at its real size, never
// squeezed: axes keep at least GAP px between them (more axes than fit scroll sideways), every label
// fits its slot (cut with "…", the whole text in its tooltip). A numeric axis is linear, or log10 when
// its values are positive and span two decades or more (learning rates); a text axis spaces its
// values evenly. A run without a value on an axis goes to the "n/a" slot under it.
//   box.append(parcoords(columns, rows, (row) => color, { width: box.clientWidth }));

import { fmtNum } from "../../static/dom.js";

const NS = "http://www.w3.org/2000/svg";
const GAP = 110, H = 340, TOP = 46, BOTTOM = 290, NA = 318, LEFT = 64, RIGHT = 84;

function el(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text; // labels are user data: text only
  return e;
}

let measurer = null;
// `text` cut to `px` pixels wide in `font`, with "…" when it had to be cut.
export function fitText(text, px, font = "12px system-ui, sans-serif") {
  measurer ||= document.createElement("canvas").getContext("2d");
  measurer.font = font;
  const s = String(text);
  if (measurer.measureText(s).width <= px) return s;
  let n = s.length;
  while (n > 1 && measurer.measureText(`${s.slice(0, n)}…`).width > px) n -= 1;
  return `${s.slice(0, n)}…`;
}

// Round ticks between lo and hi (about n of them, 1/2/5 x 10^k apart).
function niceTicks(lo, hi, n = 5) {
  const raw = (hi - lo) / n, p = 10 ** Math.floor(Math.log10(raw)), step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

export function scaleFor(col, rows) {
  const vals = rows.map((r) => col.get(r)).filter((v) => v !== null && v !== undefined);
  const numeric = vals.length > 0 && vals.every((v) => typeof v === "number");
  if (numeric) {
    const fin = vals.filter(Number.isFinite);
    const lo = Math.min(...fin), hi = Math.max(...fin);
    if (!fin.length) return { at: () => null, ticks: [] };
    if (!(hi > lo)) return { at: (v) => (Number.isFinite(v) ? 0.5 : null), ticks: [[0.5, fmtNum(lo)]] };
    if (lo > 0 && hi / lo >= 100) { // log10: values that span decades
      const a = Math.log10(lo), b = Math.log10(hi), t = (v) => (Math.log10(v) - a) / (b - a);
      const ticks = [];
      for (let k = Math.ceil(a); k <= Math.floor(b); k++) ticks.push([t(10 ** k), fmtNum(10 ** k)]);
      return { log: true, at: (v) => (Number.isFinite(v) && v > 0 ? t(v) : null), ticks: [[0, fmtNum(lo)], ...ticks.filter(([p]) => p > 0.08 && p < 0.92), [1, fmtNum(hi)]] };
    }
    const t = (v) => (v - lo) / (hi - lo);
    const inner = niceTicks(lo, hi).map((v) => [t(v), fmtNum(v)]).filter(([p]) => p > 0.08 && p < 0.92);
    return { at: (v) => (Number.isFinite(v) ? t(v) : null), ticks: [[0, fmtNum(lo)], ...inner, [1, fmtNum(hi)]] };
  }
  const cats = [...new Set(vals.map(String))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const at = (v) => (v === null || v === undefined ? null : cats.length > 1 ? cats.indexOf(String(v)) / (cats.length - 1) : 0.5);
  const every = Math.max(1, Math.ceil(cats.length / 12)); // at most about 12 labels on an axis
  return { at, ticks: cats.filter((_, i) => i % every === 0 || i === cats.length - 1).map((c) => [at(c), c]) };
}

// cols: [{ id, label, get(row) }]; rows: the runs; color(row); opts.width: the room there is (px).
export function parcoords(cols, rows, color, { width = 800, name = (r) => r.name } = {}) {
  const gap = Math.max(GAP, (width - LEFT - RIGHT) / Math.max(1, cols.length - 1));
  const W = Math.round(LEFT + RIGHT + gap * Math.max(1, cols.length - 1));
  const svg = el("svg", { class: "parcoords", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": `parallel coordinates of ${cols.length} columns` });
  const xs = cols.map((_, i) => LEFT + gap * i);
  const scales = cols.map((c) => scaleFor(c, rows));
  const Y = (t) => (t === null ? NA : BOTTOM - t * (BOTTOM - TOP));
  const missing = cols.map((c, i) => rows.some((r) => scales[i].at(c.get(r)) === null));
  const lines = el("g", { class: "pc-lines" });
  for (const r of rows) {
    const pts = cols.map((c, i) => `${xs[i].toFixed(1)},${Y(scales[i].at(c.get(r))).toFixed(1)}`);
    const line = el("polyline", { points: pts.join(" "), stroke: color(r), "data-run": r.run });
    line.append(el("title", {}, `${name(r)}\n${cols.map((c) => `${c.label}: ${show(c.get(r))}`).join("\n")}`));
    lines.append(line);
  }
  const axes = el("g", { class: "pc-axes" });
  cols.forEach((c, i) => {
    const x = xs[i], room = gap - 14;
    const g = el("g", { class: "pc-axis", "data-col": c.id });
    g.append(el("line", { x1: x, x2: x, y1: TOP, y2: BOTTOM, class: "axis" }));
    const title = el("text", { x, y: 18, "text-anchor": "middle", class: "pc-title" }, fitText(c.label, room, "600 12px system-ui, sans-serif"));
    title.append(el("title", {}, c.label));
    g.append(title);
    if (scales[i].log) g.append(el("text", { x, y: 33, "text-anchor": "middle", class: "pc-sub" }, "log scale"));
    for (const [t, label] of scales[i].ticks) {
      g.append(el("line", { x1: x - 3, x2: x + 3, y1: Y(t), y2: Y(t), class: "tick" }));
      const text = el("text", { x: x + 6, y: Y(t) + 4, class: "pc-tick" }, fitText(label, room / 2 + 20, "11px system-ui, sans-serif"));
      text.append(el("title", {}, String(label)));
      g.append(text);
    }
    if (missing[i]) g.append(el("text", { x, y: NA + 4, "text-anchor": "middle", class: "pc-na" }, "n/a"));
    axes.append(g);
  });
  svg.append(lines, axes);
  return svg;
}

const show = (v) => (v === null || v === undefined ? "n/a" : typeof v === "number" ? fmtNum(v) : String(v));
