// Line charts on the vendored uPlot with the Scalars panel's look and handling: numbers on the axes
// as fmtNum writes them, a hover read-out under the chart (swatch, name, value), drag to zoom,
// double-click for everything, a white square on each hovered line. The GAN, GAN lab and Evaluation
// panels draw their curves with it. Two shapes of data:
//  - series over a shared x (steps; uPlot's aligned mode): each series' x is merged into one axis,
//    a series missing at a step is bridged (spanGaps). uPlot's line path keeps the min and max of
//    every pixel column, so a spike stays visible however many points there are.
//  - curves (`xy: true`, uPlot's mode 2): each series has its own x, which may repeat or go back
//    (a ROC curve's vertical steps); zoom is a rectangle (x and y).
//   const c = new LineChart({ series: [{ label: "D loss", color: "#1f77b4" }], y: { range: [0, 1] } });
//   box.append(c.el); c.setData([{ x: steps, y: losses }]); c.setMarks([300]);

import uPlot from "./vendor/uPlot.esm.js";
import { fmtNum, h } from "./dom.js";

const SPARSE = 64; // fewer points than this: each point marked (as Scalars does)
const finite = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);

// The hover marker of a line (Scalars' own): a white square with the line's colour.
function cursorPoint(color) {
  const el = document.createElement("div");
  Object.assign(el.style, { width: "8px", height: "8px", marginLeft: "-4px", marginTop: "-4px", border: `2px solid ${color}`,
    background: "#fff" });
  return el;
}

// Merge the x values of several series into one sorted axis; each series' y on it (null where absent).
export function alignSeries(list) {
  if (list.length && list.every((s) => s.x === list[0].x)) { // one x array for all (a live history): as it is
    const xs = Array.from(list[0].x, Number);
    return [xs, list.map((s) => Array.from(xs, (_, i) => finite(s.y[i])))];
  }
  const xs = [...new Set(list.flatMap((s) => Array.from(s.x, Number)))].filter(Number.isFinite).sort((a, b) => a - b);
  if (list.length === 1 && list[0].x.length === xs.length) return [xs, [Array.from(list[0].y, finite)]];
  const at = new Map(xs.map((x, i) => [x, i]));
  return [xs, list.map((s) => {
    const out = new Array(xs.length).fill(null);
    for (let i = 0; i < s.x.length; i++) { const j = at.get(Number(s.x[i])); if (j !== undefined) out[j] = finite(s.y[i]); }
    return out;
  })];
}

export class LineChart {
  // opts: series [{ label, color, width?, dash? }]; height (220); xy (curves: mode 2); diagonal (y = x, dashed);
  // x / y: { label?, range?: [lo, hi] (the range shown, widened to fit the data unless `fixed`), fixed?, log?, integer? };
  // format(v) for the read-out (fmtNum); xName ("step"): the read-out's x; readout: an element for the read-out
  // (default: a line under the chart); idle: "hint" (default) or "last" (the last values when not hovering);
  // empty: the text shown without data.
  constructor(opts) {
    this.opts = { height: 220, format: fmtNum, xName: "step", idle: "hint", empty: "no values yet", ...opts };
    this.plot = h("div", { class: "lc-plot" });
    this.emptyEl = h("div", { class: "lc-empty note", hidden: true }, this.opts.empty);
    this.readEl = this.opts.readout || h("div", { class: "readout lc-readout" });
    this.el = h("div", { class: "lc", dataset: { state: "empty" } }, this.plot, this.emptyEl, this.opts.readout ? null : this.readEl);
    this.el.chart = this; // for the browser tests and debugging
    this.list = [];
    this.marks = [];
    this.u = null;
    this.resizer = new ResizeObserver(() => { if (this.u && this.width() !== this.u.width) this.u.setSize({ width: this.width(), height: this.opts.height }); });
    this.resizer.observe(this.plot);
  }

  width() { return Math.max(160, this.plot.clientWidth || this.el.clientWidth || 360); }

  // The series' data, in the order of opts.series: [{ x, y, hidden? }] (numbers; null/NaN/±Inf are gaps).
  setData(list) {
    this.list = list;
    const n = list.reduce((a, s) => a + (s.hidden ? 0 : s.y.filter((v) => finite(this.posY(v)) !== null).length), 0);
    this.emptyEl.hidden = n > 0;
    this.plot.hidden = n === 0;
    this.el.dataset.points = String(n);
    if (!n) { this.u?.destroy(); this.u = null; this.el.dataset.state = "empty"; this.readout(null); return; }
    const data = this.build();
    const sig = JSON.stringify(list.map((s) => Boolean(s.hidden)).concat(list.map((s) => s.x.length < SPARSE)));
    if (this.u && sig === this.sig) { this.u.setData(data, true); this.readout(this.u.cursor.idx); return; }
    this.sig = sig;
    this.u?.destroy();
    this.plot.replaceChildren();
    this.u = new uPlot(this.options(), data, this.plot); // a zoom stays (see range)
    this.readout(null);
  }

  // Dashed vertical lines at these x values (the GAN timeline's step).
  setMarks(xs) {
    this.marks = xs.filter((x) => Number.isFinite(x));
    this.u?.redraw(false, false);
  }

  posY(v) { return this.opts.y?.log && !(v > 0) ? null : v; }

  build() {
    const shown = this.opts.series.map((_, i) => this.list[i] || { x: [], y: [] });
    if (this.opts.xy) return [null, ...shown.map((s) => [Array.from(s.x, Number), Array.from(s.y, (v) => finite(this.posY(v)))])];
    const [xs, ys] = alignSeries(shown.map((s) => ({ x: s.x, y: Array.from(s.y, (v) => this.posY(v)) })));
    this.xs = xs;
    return [xs, ...ys];
  }

  options() {
    const o = this.opts, self = this;
    const series = o.series.map((s, i) => {
      const n = this.list[i]?.x.length ?? 0;
      return { label: s.label, stroke: s.color, width: s.width ?? 1.5, dash: s.dash, spanGaps: true, show: !this.list[i]?.hidden,
        points: { show: n < SPARSE, size: 5, fill: s.color, stroke: s.color } };
    });
    const decade = (v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-6;
    const axis = (a = {}) => ({ values: (u, ticks) => ticks.map((v) => (a.log && !decade(v) ? "" : fmtNum(v))), // a log axis: decades
      label: a.label, labelSize: a.label ? 18 : 0,
      labelFont: "12px system-ui, sans-serif", ...(a.integer ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] } : {}) });
    const scale = (a = {}, key) => ({
      auto: true, distr: a.log ? 3 : 1, log: 10,
      range: (u, lo, hi) => this.range(a, key, lo, hi),
    });
    return {
      mode: o.xy ? 2 : 1, width: this.width(), height: o.height, legend: { show: false },
      series: [{}, ...series],
      scales: { x: { ...scale(o.x, "x"), time: false }, y: scale(o.y, "y") },
      axes: [{ ...axis(o.x), size: 40 }, { ...axis(o.y), size: 60 }],
      cursor: {
        drag: { x: true, y: Boolean(o.xy), setScale: false },
        points: { show: (u, si) => cursorPoint(o.series[si - 1]?.color || "#555") },
        dataIdx: o.xy ? (u, si) => this.nearestOf(u, si) : undefined,
        bind: { dblclick: () => () => { self.reset(); return null; } },
      },
      hooks: {
        setSelect: [(u) => this.zoom(u)],
        setCursor: [(u) => this.readout(u.cursor.left >= 0 ? u.cursor.idx ?? u.cursor.idxs : null)],
        draw: [(u) => { this.overlay(u); this.el.dataset.state = "drawn"; }],
      },
    };
  }

  // The range of an axis: a zoom's as asked; else the data's, padded a little and widened to `range`
  // (or exactly `range` when fixed); a log axis spans whole decades of the data.
  range(a, key, lo, hi) {
    const z = this.zoomed?.[key];
    if (z) return z;
    if (a.range && a.fixed) return a.range;
    if (a.log) return uPlot.rangeLog(lo ?? 1, hi ?? 10, 10, true);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return a.range || [0, 1];
    let [l, u] = [lo, hi];
    if (key === "y") {
      const floor = lo >= 0 && (a.range?.[0] ?? 0) >= 0; // a non-negative curve keeps 0 as its floor
      if (u - l < 1e-12) { const d = Math.abs(l) * 0.1 || 0.5; l -= d; u += d; }
      const pad = (u - l) * 0.06;
      l = floor && l - pad < 0 ? 0 : l - pad;
      u += pad;
    } else if (u === l) { l -= 0.5; u += 0.5; }
    if (a.range) { l = Math.min(l, a.range[0]); u = Math.max(u, a.range[1]); }
    return [l, u];
  }

  zoom(u) {
    const s = u.select;
    if (s.width < 3 && s.height < 3) return;
    const z = { x: [u.posToVal(s.left, "x"), u.posToVal(s.left + s.width, "x")] };
    if (this.opts.xy) z.y = [u.posToVal(s.top + s.height, "y"), u.posToVal(s.top, "y")];
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    if (!(z.x[1] > z.x[0]) || (z.y && !(z.y[1] > z.y[0]))) return;
    this.zoomed = z;
    u.batch(() => { u.setScale("x", { min: z.x[0], max: z.x[1] }); if (z.y) u.setScale("y", { min: z.y[0], max: z.y[1] }); });
    this.el.dataset.zoomed = "true";
  }

  reset() {
    if (!this.u) return;
    this.zoomed = false;
    delete this.el.dataset.zoomed;
    this.u.setData(this.u.data, true);
  }

  // The point of series `si` nearest the cursor, on screen (curves: x is not shared, so uPlot cannot pick it).
  nearestOf(u, si) {
    const [xs, ys] = u.data[si] || [[], []];
    const cx = u.cursor.left, cy = u.cursor.top;
    if (!(cx >= 0) || !xs.length) return null;
    let best = null, bestD = Infinity;
    for (let i = 0; i < xs.length; i++) {
      if (ys[i] === null) continue;
      const d = Math.abs(u.valToPos(xs[i], "x") - cx) + (cy >= 0 ? 0.35 * Math.abs(u.valToPos(ys[i], "y") - cy) : 0);
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  }

  // The read-out: the x and every shown series' value at the hovered point (idx: an index of the
  // shared x; curves: uPlot's per-series indices); not hovering: a hint, or the last values.
  readout(idx) {
    const o = this.opts, fmt = o.format, items = [];
    const item = (s, text) => h("span", { class: "item" }, h("span", { class: "swatch", style: { background: s.color } }), `${s.label}: `, h("b", {}, text));
    if (idx === null || idx === undefined || !this.u) {
      if (o.idle === "last" && this.list.length) {
        o.series.forEach((s, i) => { const d = this.list[i]; if (d && !d.hidden && d.y.some((v) => finite(v) !== null)) items.push(item(s, lastText(d, fmt))); });
        this.readEl.replaceChildren(...items);
      } else this.readEl.replaceChildren(h("span", { class: "note" }, this.list.length ? "hover for values" : ""));
      return;
    }
    if (o.xy) { // each curve's point nearest the cursor (its own x in the item's tooltip)
      o.series.forEach((s, i) => {
        const j = idx[i + 1], d = this.u.data[i + 1];
        if (j === null || j === undefined || !d || this.list[i]?.hidden) return;
        const it = item(s, fmt(d[1][j]));
        it.title = `${s.label}: ${o.y?.label || "y"} ${fmt(d[1][j])} at ${o.x?.label || "x"} ${fmt(d[0][j])}`;
        items.push(it);
      });
      const xv = this.u.posToVal(this.u.cursor.left, "x");
      this.readEl.replaceChildren(h("span", { class: "x" }, `${o.y?.label || "y"} at ${o.x?.label || "x"} ≈ ${fmt(xv)}`), ...items);
      return;
    }
    const xv = this.u.data[0][idx];
    o.series.forEach((s, i) => {
      const v = this.u.data[i + 1]?.[idx];
      if (v !== null && v !== undefined && !this.list[i]?.hidden) items.push(item(s, fmt(v)));
    });
    this.readEl.replaceChildren(h("span", { class: "x" }, `${o.xName ? `${o.xName} ` : ""}${fmtNum(xv)}`), ...items);
  }

  // Over the lines: the y = x diagonal and the marks, dashed.
  overlay(u) {
    const ctx = u.ctx, dpr = window.devicePixelRatio || 1, b = u.bbox;
    ctx.save();
    ctx.beginPath(); ctx.rect(b.left, b.top, b.width, b.height); ctx.clip();
    ctx.lineWidth = 1.5 * dpr;
    if (this.opts.diagonal) {
      ctx.strokeStyle = "#9a9aa3"; ctx.setLineDash([4 * dpr, 3 * dpr]);
      ctx.beginPath(); ctx.moveTo(u.valToPos(0, "x", true), u.valToPos(0, "y", true));
      ctx.lineTo(u.valToPos(1, "x", true), u.valToPos(1, "y", true)); ctx.stroke();
    }
    ctx.strokeStyle = "#ee4c2c"; ctx.setLineDash([5 * dpr, 4 * dpr]);
    for (const m of this.marks) {
      const px = u.valToPos(m, "x", true);
      if (!(px >= b.left && px <= b.left + b.width)) continue;
      ctx.beginPath(); ctx.moveTo(px, b.top); ctx.lineTo(px, b.top + b.height); ctx.stroke();
    }
    ctx.restore();
  }

  destroy() { this.resizer.disconnect(); this.u?.destroy(); this.u = null; }
}

function lastText(d, fmt) {
  for (let i = d.y.length - 1; i >= 0; i--) if (finite(d.y[i]) !== null) return fmt(d.y[i]);
  return "–";
}
