// The Health panel's heat map: layers (rows) x logged steps (columns) of one statistic on a
// canvas, its colour scale (viridis; log10 for norms, 0..1 for fractions) and hit testing.
//   const hm = new HeatMap(canvas, { onHover, onClick }); hm.set(matrix); hm.select("2", 100);

import { fmtNum, h } from "../../static/dom.js";

// viridis (van der Walt & Smith, matplotlib's default map: perceptually uniform, colour-blind safe)
const VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"]
  .map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
export const NONFINITE = [207, 34, 46]; // NaN/Inf
export const NONPOSITIVE = [208, 208, 215]; // zero or negative on a log scale
export const EMPTY = [246, 246, 248]; // nothing logged
const PAD = { t: 6, r: 8, b: 24 };

export const rgb = (c) => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
export const viridisCss = () => `linear-gradient(to right, ${VIRIDIS.map(rgb).join(", ")})`;

// The colour scale of a matrix: colour(v) -> [r, g, b]; domain over its finite values.
export function scaleOf(m) {
  const log = m.scale === "log";
  let lo = Infinity, hi = -Infinity;
  for (const row of m.values) for (const v of row) {
    if (v === null || !Number.isFinite(v) || (log && !(v > 0))) continue;
    const u = log ? Math.log10(v) : v;
    if (u < lo) lo = u;
    if (u > hi) hi = u;
  }
  if (m.scale === "fraction") { lo = 0; hi = 1; }
  if (!Number.isFinite(lo)) { lo = 0; hi = 1; }
  if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
  const t = (v) => ((log ? Math.log10(v) : v) - lo) / (hi - lo);
  const colour = (v) => {
    if (v === null || v === undefined) return EMPTY;
    if (!Number.isFinite(v)) return NONFINITE;
    if (log && !(v > 0)) return NONPOSITIVE;
    const x = Math.min(1, Math.max(0, t(v))) * (VIRIDIS.length - 1), i = Math.min(VIRIDIS.length - 2, Math.floor(x)), f = x - i;
    return VIRIDIS[i].map((a, k) => Math.round(a + (VIRIDIS[i + 1][k] - a) * f));
  };
  const label = (u) => fmtNum(Number((log ? 10 ** u : u).toPrecision(3)));
  return { log, lo, hi, colour, loLabel: label(lo), hiLabel: label(hi) };
}

// The legend of a scale (the heat map's, also the coloured graph's): ramp lo..hi, NaN/Inf, <= 0 on log.
export function legendItems(sc) {
  return [h("span", { class: "key" }, h("span", {}, sc.loLabel), h("span", { class: "ramp", style: { background: viridisCss() } }), h("span", {}, sc.hiLabel)),
    swatchKey({ background: rgb(NONFINITE) }, "NaN/Inf"), sc.log ? swatchKey({ background: rgb(NONPOSITIVE) }, "≤ 0") : null].filter(Boolean);
}
export const swatchKey = (style, label, cls = "") => h("span", { class: "key" }, h("span", { class: `swatch sq ${cls}`, style }), label);

export class HeatMap {
  constructor(canvas, { onHover, onClick }) {
    Object.assign(this, { canvas, onHover, onClick, m: null, sel: null });
    canvas.addEventListener("mousemove", (e) => { const c = this.cellAt(e.offsetX, e.offsetY); this.onHover?.(c); });
    canvas.addEventListener("mouseleave", () => this.onHover?.(null));
    canvas.addEventListener("click", (e) => { const c = this.cellAt(e.offsetX, e.offsetY); if (c) this.onClick?.(c); });
  }

  set(m) { this.m = m; this.scale = scaleOf(m); this.draw(); }

  // Select a layer (or null: the whole column) at the logged step nearest `step`.
  select(layer, step) {
    if (!this.m || !this.m.steps.length) { this.sel = null; return null; }
    const col = nearestIndex(this.m.steps, step), row = layer === null ? -1 : this.m.layers.indexOf(layer);
    this.sel = { row, col, layer: row >= 0 ? layer : null, step: this.m.steps[col] };
    this.draw();
    return this.sel;
  }

  geometry() {
    const w = Math.max(240, this.canvas.clientWidth || 600), rows = this.m.layers.length, cols = this.m.steps.length;
    const labelW = Math.min(150, Math.max(48, Math.round(w * 0.22)));
    const rh = Math.max(10, Math.min(26, Math.floor(420 / Math.max(1, rows))));
    const x0 = labelW, x1 = w - PAD.r, y0 = PAD.t;
    return { w, h: y0 + rows * rh + PAD.b, x0, x1, y0, rh, rows, cols, cw: (x1 - x0) / Math.max(1, cols) };
  }

  // The pixel rectangle of a cell (integer edges: no blending between neighbours).
  rect(g, r, i) {
    const xa = Math.round(g.x0 + i * g.cw), xb = Math.round(g.x0 + (i + 1) * g.cw);
    return [xa, g.y0 + r * g.rh, Math.max(1, xb - xa), g.rh - 1];
  }

  // The cell of `layer` at the logged step nearest `step` (as cellAt gives it), or null.
  cell(layer, step) {
    if (!this.m || !this.m.steps.length) return null;
    const r = this.m.layers.indexOf(layer), i = nearestIndex(this.m.steps, step);
    if (r < 0) return null;
    return { row: r, col: i, layer, step: this.m.steps[i], value: this.m.values[r][i], min: this.m.min?.[r][i], max: this.m.max?.[r][i] };
  }

  cellAt(x, y) {
    if (!this.m) return null;
    const g = this.geometry(), i = Math.floor((x - g.x0) / g.cw), r = Math.floor((y - g.y0) / g.rh);
    if (i < 0 || i >= g.cols || r < 0 || r >= g.rows) return null;
    const v = this.m.values[r][i];
    return { row: r, col: i, layer: this.m.layers[r], step: this.m.steps[i], value: v,
      min: this.m.min?.[r][i], max: this.m.max?.[r][i] };
  }

  draw() {
    if (!this.m) return;
    const g = this.geometry(), dpr = window.devicePixelRatio || 1, cv = this.canvas;
    cv.width = Math.round(g.w * dpr); cv.height = Math.round(g.h * dpr); cv.style.height = `${g.h}px`;
    const ctx = cv.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, g.w, g.h);
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    for (let r = 0; r < g.rows; r++) {
      const row = this.m.values[r];
      for (let i = 0; i < g.cols; i++) {
        ctx.fillStyle = rgb(this.scale.colour(row[i]));
        ctx.fillRect(...this.rect(g, r, i));
      }
      ctx.fillStyle = "#1d1d1f";
      ctx.textAlign = "right";
      ctx.fillText(clip(ctx, this.m.layers[r], g.x0 - 8), g.x0 - 6, g.y0 + r * g.rh + g.rh / 2);
    }
    this.stepAxis(ctx, g);
    if (this.sel) this.outline(ctx, g);
  }

  stepAxis(ctx, g) {
    ctx.fillStyle = "#6b6b73";
    ctx.textAlign = "center";
    const y = g.y0 + g.rows * g.rh + PAD.b / 2 + 1, ticks = Math.max(2, Math.min(g.cols, Math.floor((g.x1 - g.x0) / 70)));
    let last = -Infinity;
    for (let k = 0; k < ticks; k++) {
      const i = Math.round(k * (g.cols - 1) / Math.max(1, ticks - 1)), x = g.x0 + (i + 0.5) * g.cw;
      if (x - last < 44) continue;
      ctx.fillText(fmtNum(this.m.steps[i]), x, y);
      last = x;
    }
    ctx.textAlign = "right";
    ctx.fillText("step", g.x0 - 6, y);
  }

  outline(ctx, g) {
    const { row, col } = this.sel;
    const [x, , w] = this.rect(g, 0, col);
    const y = row >= 0 ? g.y0 + row * g.rh : g.y0, hgt = row >= 0 ? g.rh - 1 : g.rows * g.rh - 1;
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#fff";
    ctx.strokeRect(x - 1, y - 1, w + 2, hgt + 2);
    ctx.strokeStyle = "#ee4c2c";
    ctx.strokeRect(x - 3, y - 3, w + 6, hgt + 6);
  }
}

export function nearestIndex(xs, v) {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (Math.abs(xs[i] - v) < Math.abs(xs[best] - v)) best = i;
  return best;
}

function clip(ctx, text, width) {
  if (ctx.measureText(text).width <= width) return text;
  let s = text;
  while (s.length > 1 && ctx.measureText(`…${s}`).width > width) s = s.slice(1);
  return `…${s}`; // keep the end: the innermost module name is the telling part
}
