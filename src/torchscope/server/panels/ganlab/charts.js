// The lab's live curve charts (losses, D's decisions, gradient norms, divergences, MMD², modes
// covered) on the dashboard's uPlot line chart (static/linechart.js): the look, zoom and hover of the
// Scalars panel; each chart's head names its lines with their latest values (the hovered step's while
// hovering). uPlot keeps the min and max of every pixel column, so no spike hides however long it runs.
//   const charts = new Charts(); card.append(charts.el); charts.update(history, metrics, { modes: 8 });

import { fmtNum, h } from "../../static/dom.js";
import { LineChart } from "../../static/linechart.js";
import { FAKE, REAL } from "./colors.js";

const BLUE = "#2563eb", TEAL = "#0891b2", ORANGE = "#ea580c";

export const CHARTS = [
  { id: "loss", title: "Losses", source: "history", series: [
    { key: "d_loss", label: "D loss", color: REAL }, { key: "g_loss", label: "G loss", color: FAKE }] },
  { id: "decision", title: "D's mean decision", source: "history", range: [0, 1], series: [
    { key: "d_real", label: "D(real)", color: REAL }, { key: "d_fake", label: "D(fake)", color: FAKE }] },
  { id: "grad", title: "Gradient norms", source: "history", log: true, series: [
    { key: "d_grad", label: "‖∇D‖", color: REAL }, { key: "g_grad", label: "‖∇G‖", color: FAKE }] },
  { id: "div", title: "KL and JS divergence", source: "metrics", series: [
    { key: "kl", label: "KL", color: BLUE }, { key: "js", label: "JS", color: TEAL }] },
  { id: "mmd", title: "MMD² (real vs generated)", source: "metrics", series: [
    { key: "mmd", label: "MMD²", color: ORANGE }] },
  { id: "modes", title: "Modes covered", source: "metrics", integer: true, series: [
    { key: "covered", label: "modes", color: FAKE }] },
];

function fmtShort(v) {
  if (typeof v !== "number") return String(v);
  if (!Number.isFinite(v)) return fmtNum(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

export class Chart {
  constructor(spec) {
    this.spec = spec;
    this.extra = null;
    this.values = h("div", { class: "gl-legend readout" });
    const modes = () => this.extra?.modes;
    this.chart = new LineChart({
      series: spec.series.map((s) => ({ label: s.label, color: s.color, width: 1.4 })), height: 150, readout: this.values,
      idle: "last", empty: "no values yet: press ▶ Play or Step",
      format: spec.integer ? (v) => (Number.isFinite(modes()) ? `${fmtNum(v)} / ${modes()}` : fmtNum(v)) : fmtShort,
      y: { log: spec.log, integer: spec.integer, range: spec.range, fixed: Boolean(spec.range) },
    });
    this.el = h("div", { class: "gl-chart", dataset: { chart: spec.id } },
      h("div", { class: "gl-chart-head" }, h("span", { class: "gl-chart-title" }, spec.title), this.values), this.chart.el);
  }

  update(xs, cols, extra) {
    this.extra = extra;
    const y = this.chart.opts.y;
    if (this.spec.integer) y.range = Number.isFinite(extra?.modes) ? [0, extra.modes] : undefined; // 0 .. every mode
    this.chart.setData(this.spec.series.map((s) => ({ x: xs, y: cols[s.key] || [] })));
  }

  destroy() { this.chart.destroy(); }
}

// All charts of the lab in one grid; update() redraws at most `hz` times a second.
export class Charts {
  constructor(hz = 8) {
    this.charts = CHARTS.map((spec) => new Chart(spec));
    this.el = h("div", { class: "gl-charts" }, this.charts.map((c) => c.el));
    this.minGap = 1000 / hz;
    this.last = 0;
    this.timer = null;
  }

  update(history, metrics, extra) {
    const now = performance.now(), wait = this.last + this.minGap - now;
    this.pending = [history, metrics, extra];
    if (wait > 0) { this.timer ||= setTimeout(() => { this.timer = null; this.flush(); }, wait); return; }
    this.flush();
  }

  flush() {
    if (!this.pending) return;
    const [history, metrics, extra] = this.pending;
    this.pending = null;
    this.last = performance.now();
    for (const c of this.charts) {
      c.el.hidden = c.spec.integer && !extra?.modes; // mode coverage only means something for mixtures
      const src = c.spec.source === "metrics" ? metrics : history;
      c.update(src.step || [], src, extra);
    }
  }

  destroy() { clearTimeout(this.timer); this.charts.forEach((c) => c.destroy()); }
}
