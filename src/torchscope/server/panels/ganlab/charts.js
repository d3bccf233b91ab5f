// Small live curve charts of the lab (plain canvas): per pixel column the min and max of the
// points in it are drawn, so no spike hides however long training runs. Hover for the values.
//   const c = new Chart({ title: "losses", series: [{ key: "d_loss", label: "D", color }] });
//   c.update(xs, columns)

import { fmtNum, h } from "../../static/dom.js";
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

const finite = (v) => typeof v === "number" && Number.isFinite(v);

export class Chart {
  constructor(spec) {
    this.spec = spec;
    this.canvas = h("canvas", { class: "gl-chart-canvas" });
    this.values = h("div", { class: "gl-legend" });
    this.el = h("div", { class: "gl-chart", dataset: { chart: spec.id } },
      h("div", { class: "gl-chart-head" }, h("span", { class: "gl-chart-title" }, spec.title), this.values),
      this.canvas);
    this.hover = null;
    this.data = { xs: [], cols: {} };
    this.canvas.addEventListener("pointermove", (e) => { this.hover = e.offsetX; this.draw(); });
    this.canvas.addEventListener("pointerleave", () => { this.hover = null; this.draw(); });
  }

  update(xs, cols, extra) { this.data = { xs, cols }; this.extra = extra; this.draw(); }

  draw() {
    const { xs, cols } = this.data, spec = this.spec, cv = this.canvas;
    const W = cv.clientWidth || 300, H = cv.clientHeight || 120, dpr = window.devicePixelRatio || 1;
    if (cv.width !== Math.round(W * dpr) || cv.height !== Math.round(H * dpr)) {
      cv.width = Math.round(W * dpr); cv.height = Math.round(H * dpr);
    }
    const ctx = cv.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    const L = 42, R = 8, T = 6, B = 18, pw = W - L - R, ph = H - T - B;
    const tf = spec.log ? (v) => (v > 0 ? Math.log10(v) : NaN) : (v) => v;
    let lo = Infinity, hi = -Infinity;
    for (const s of spec.series) for (const v of cols[s.key] || []) { const t = tf(v); if (finite(t)) { lo = Math.min(lo, t); hi = Math.max(hi, t); } }
    if (spec.range && !spec.log) { lo = Math.min(lo, spec.range[0]); hi = Math.max(hi, spec.range[1]); }
    if (spec.integer && finite(this.extra?.modes)) { lo = 0; hi = Math.max(hi, this.extra.modes); }
    const n = xs.length;
    ctx.font = "10px system-ui, sans-serif";
    ctx.fillStyle = "#8b8b93";
    if (!n || !finite(lo)) {
      ctx.fillText(spec.id === "modes" ? "for ring and mixture targets" : "no values yet", L, T + ph / 2);
      this.legend(null);
      return;
    }
    if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
    if (!spec.range && !spec.integer) {
      const pad = (hi - lo) * 0.06;
      lo = lo >= 0 && !spec.log ? Math.max(0, lo - pad) : lo - pad; // non-negative curves keep 0 as the floor
      hi += pad;
    }
    const x0 = xs[0], x1 = Math.max(xs[n - 1], x0 + 1);
    const X = (x) => L + ((x - x0) / (x1 - x0)) * pw, Y = (v) => T + ph - ((v - lo) / (hi - lo)) * ph;
    // grid and labels
    ctx.strokeStyle = "#eeeef1"; ctx.lineWidth = 1; ctx.textAlign = "right";
    for (let k = 0; k <= 2; k++) {
      const v = lo + ((hi - lo) * k) / 2, y = Math.round(Y(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(W - R, y); ctx.stroke();
      ctx.fillText(fmtTick(spec.log ? 10 ** v : v), L - 4, y + 3);
    }
    ctx.textAlign = "left"; ctx.fillText(fmtNum(x0), L, H - 4);
    ctx.textAlign = "right"; ctx.fillText(`step ${fmtNum(xs[n - 1])}`, W - R, H - 4);
    ctx.textAlign = "left";
    // series: min/max per pixel column
    for (const s of spec.series) {
      const ys = cols[s.key] || [];
      ctx.strokeStyle = s.color; ctx.lineWidth = 1.4; ctx.beginPath();
      let col = null, mn = 0, mx = 0, last = null, pen = false;
      const flush = () => {
        if (col === null) return;
        const yMin = Y(mn), yMax = Y(mx), yLast = Y(last);
        if (pen) ctx.lineTo(col, yLast); else ctx.moveTo(col, yLast);
        if (yMin !== yMax) { ctx.moveTo(col, yMin); ctx.lineTo(col, yMax); ctx.moveTo(col, yLast); }
        pen = true;
      };
      for (let i = 0; i < Math.min(n, ys.length); i++) {
        const v = tf(ys[i]);
        if (!finite(v)) { flush(); col = null; pen = false; continue; }
        const c = Math.round(X(xs[i]));
        if (c !== col) { flush(); col = c; mn = mx = v; } else { mn = Math.min(mn, v); mx = Math.max(mx, v); }
        last = v;
      }
      flush();
      ctx.stroke();
    }
    let idx = n - 1;
    if (this.hover !== null && this.hover >= L) {
      const target = x0 + ((this.hover - L) / pw) * (x1 - x0);
      idx = Math.max(0, Math.min(n - 1, lowerBound(xs, target)));
      const x = Math.round(X(xs[idx])) + 0.5;
      ctx.strokeStyle = "rgba(31,35,48,0.35)"; ctx.beginPath(); ctx.moveTo(x, T); ctx.lineTo(x, T + ph); ctx.stroke();
    }
    this.legend(idx, xs[idx]);
  }

  legend(idx, step) {
    const { cols } = this.data, spec = this.spec;
    const items = spec.series.map((s) => {
      const v = idx === null ? null : (cols[s.key] || [])[idx];
      const text = v === null || v === undefined ? "–" : spec.integer && finite(this.extra?.modes)
        ? `${fmtNum(v)} / ${this.extra.modes}` : fmtShort(v);
      return h("span", { class: "gl-legend-item" }, h("i", { style: { background: s.color } }), `${s.label} `, h("b", {}, text));
    });
    if (this.hover !== null && step !== undefined) items.unshift(h("span", { class: "gl-legend-step" }, `step ${fmtNum(step)}`));
    this.values.replaceChildren(...items);
  }
}

function lowerBound(xs, v) {
  let a = 0, b = xs.length - 1;
  while (a < b) { const m = (a + b) >> 1; if (xs[m] < v) a = m + 1; else b = m; }
  return a;
}

function fmtShort(v) {
  if (typeof v !== "number") return String(v);
  if (!Number.isFinite(v)) return fmtNum(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

function fmtTick(v) { return fmtShort(v); }

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

  destroy() { clearTimeout(this.timer); }
}
