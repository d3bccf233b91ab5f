// The lab's 2-D canvas: D's heat map, G's manifold, real and generated points, gradient arrows,
// mode centres, the slow-motion phase marks and the "draw your own" mode (pointer events: mouse,
// touch and pen). Coordinates in the frame are lab units in `bounds`, y up. Hand-drawn on purpose:
// uPlot (the lab's curves, charts.js) draws series over an x axis, not a field of colours, a warped
// mesh and arrows on a square plane that one can draw on.
//   const c = new LabCanvas(); c.draw(view, layers); c.startDrawing(); ... c.strokes()

import { h } from "../../static/dom.js";
import { FAKE, heatLUT, heatColor, INK, REAL } from "./colors.js";

export const LAYERS = [
  { id: "heat", label: "D's decision", swatch: "linear-gradient(90deg, #9970ab, #f7f7f7, #5aae61)" },
  { id: "manifold", label: "G's manifold", swatch: "repeating-linear-gradient(45deg, #762a8355 0 3px, #fff 3px 6px)" },
  { id: "real", label: "real", swatch: REAL },
  { id: "fake", label: "generated", swatch: FAKE },
  { id: "arrows", label: "gradients", swatch: "#3f3f46" },
];

export class LabCanvas {
  constructor() {
    this.el = h("canvas", { class: "gl-canvas", role: "img", "aria-label": "GAN lab canvas" });
    this.ctx = this.el.getContext("2d");
    this.heat = document.createElement("canvas");
    this.drawing = null;
    this.size = 0;
    this.arrowRef = null;
    this.resize = this.resize.bind(this);
    this.observer = new ResizeObserver(() => { this.resize(); this.onResize?.(); });
    this.observer.observe(this.el);
    for (const ev of ["pointerdown", "pointermove", "pointerup", "pointercancel"]) {
      this.el.addEventListener(ev, (e) => this.pointer(e));
    }
  }

  resize() {
    const css = Math.round(this.el.clientWidth) || 300, dpr = window.devicePixelRatio || 1;
    if (css === this.size && this.el.width === Math.round(css * dpr)) return false;
    this.size = css;
    this.el.width = this.el.height = Math.round(css * dpr);
    return true;
  }

  // lab units <-> css pixels
  px(x, b) { return ((x - b[0]) / (b[1] - b[0])) * this.size; }
  py(y, b) { return this.size - ((y - b[0]) / (b[1] - b[0])) * this.size; }
  unit(px, py, b) { return [b[0] + (px / this.size) * (b[1] - b[0]), b[0] + (1 - py / this.size) * (b[1] - b[0])]; }

  begin() {
    if (!this.size) this.resize();
    const dpr = this.el.width / (this.size || 1);
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.size, this.size);
    ctx.fillStyle = "#fbfbfc";
    ctx.fillRect(0, 0, this.size, this.size);
    return ctx;
  }

  // view = { frame, real, centers }: the newest frame and the parts kept from earlier frames
  draw(view, layers) {
    if (this.drawing) { this.drawSketch(); return; }
    const f = view.frame, b = f.bounds, ctx = this.begin();
    if (layers.heat && f.heat) this.drawHeat(f.heat);
    this.drawAxes(b);
    if (layers.manifold && f.manifold) this.drawManifold(f.manifold, b);
    if (layers.real && view.real) this.dots(view.real, b, REAL, 2.1, 0.8);
    if (layers.fake && f.fake) this.dots(f.fake, b, FAKE, 2.1, 0.85);
    if (layers.arrows && f.arrows && f.fake) this.drawArrows(f.fake, f.arrows, b);
    if (view.centers?.length) this.crosses(view.centers, b);
    if (f.phase && f.phase.name) this.drawPhase(f.phase, b);
    const out = f.latest?.outside || 0;
    if (out > 0.005) this.note(`${Math.round(out * 100)}% of generated points are outside the view`, "bottom");
  }

  drawHeat(heat) {
    const k = heat.size, vals = heat.values;
    if (this.heat.width !== k) { this.heat.width = this.heat.height = k; this.heatImg = null; }
    const hctx = this.heat.getContext("2d");
    const img = this.heatImg || (this.heatImg = hctx.createImageData(k, k));
    const d = img.data;
    for (let i = 0; i < k; i++) {            // row 0 of the frame is the bottom (y = lo)
      const row = (k - 1 - i) * k;
      for (let j = 0; j < k; j++) {
        const v = vals[i * k + j] * 3, o = (row + j) * 4;
        d[o] = heatLUT[v]; d[o + 1] = heatLUT[v + 1]; d[o + 2] = heatLUT[v + 2]; d[o + 3] = 255;
      }
    }
    hctx.putImageData(img, 0, 0);
    const ctx = this.ctx;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.globalAlpha = 0.9;
    ctx.drawImage(this.heat, 0, 0, this.size, this.size);
    ctx.globalAlpha = 1;
  }

  drawAxes(b) {
    const ctx = this.ctx;
    ctx.strokeStyle = "rgba(31,35,48,0.08)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let v = Math.ceil(b[0] * 2) / 2; v <= b[1]; v += 0.5) {
      const x = Math.round(this.px(v, b)) + 0.5, y = Math.round(this.py(v, b)) + 0.5;
      ctx.moveTo(x, 0); ctx.lineTo(x, this.size); ctx.moveTo(0, y); ctx.lineTo(this.size, y);
    }
    ctx.stroke();
  }

  drawManifold(man, b) {
    const m = man.size, p = man.points, op = man.opacity, ctx = this.ctx;
    const X = (i, j) => this.px(p[2 * (i * m + j)], b), Y = (i, j) => this.py(p[2 * (i * m + j) + 1], b);
    ctx.fillStyle = FAKE;
    for (let i = 0; i < m - 1; i++) {
      for (let j = 0; j < m - 1; j++) {
        const a = op[i * (m - 1) + j];
        if (!(a > 0.01)) continue;
        ctx.globalAlpha = 0.42 * Math.min(1, a);
        ctx.beginPath();
        ctx.moveTo(X(i, j), Y(i, j)); ctx.lineTo(X(i, j + 1), Y(i, j + 1));
        ctx.lineTo(X(i + 1, j + 1), Y(i + 1, j + 1)); ctx.lineTo(X(i + 1, j), Y(i + 1, j));
        ctx.closePath(); ctx.fill();
      }
    }
    ctx.globalAlpha = 0.5;
    ctx.strokeStyle = FAKE;
    ctx.lineWidth = 0.6;
    ctx.beginPath();
    for (let i = 0; i < m; i++) {
      ctx.moveTo(X(i, 0), Y(i, 0));
      for (let j = 1; j < m; j++) ctx.lineTo(X(i, j), Y(i, j));
      ctx.moveTo(X(0, i), Y(0, i));
      for (let j = 1; j < m; j++) ctx.lineTo(X(j, i), Y(j, i));
    }
    ctx.stroke();
    ctx.globalAlpha = 1;
  }

  dots(xy, b, color, r, alpha, outline) {
    const ctx = this.ctx;
    ctx.globalAlpha = alpha;
    ctx.fillStyle = color;
    ctx.beginPath();
    for (let i = 0; i + 1 < xy.length; i += 2) {
      const x = this.px(xy[i], b), y = this.py(xy[i + 1], b);
      ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI);
    }
    ctx.fill();
    if (outline) { ctx.globalAlpha = 1; ctx.strokeStyle = outline; ctx.lineWidth = 1; ctx.stroke(); }
    ctx.globalAlpha = 1;
  }

  crosses(xy, b) {
    const ctx = this.ctx;
    ctx.strokeStyle = INK; ctx.lineWidth = 1.2; ctx.globalAlpha = 0.7;
    ctx.beginPath();
    for (let i = 0; i + 1 < xy.length; i += 2) {
      const x = this.px(xy[i], b), y = this.py(xy[i + 1], b);
      ctx.moveTo(x - 5, y); ctx.lineTo(x + 5, y); ctx.moveTo(x, y - 5); ctx.lineTo(x, y + 5);
    }
    ctx.stroke(); ctx.globalAlpha = 1;
  }

  // -dL_G/dx per generated point, scaled as the matplotlib view does: the 90th-percentile arrow is
  // 8% of the view wide, none longer than 12% (the reference length is smoothed between frames)
  drawArrows(xy, arrows, b, color = "#3f3f46", every = 5, smooth = true) {
    const n = Math.floor(arrows.length / 2), norms = [];
    for (let i = 0; i < n; i++) norms.push(Math.hypot(arrows[2 * i], arrows[2 * i + 1]));
    const sorted = norms.filter(Number.isFinite).sort((p, q) => p - q);
    if (!sorted.length) return;
    let ref = Math.max(sorted[Math.floor(0.9 * (sorted.length - 1))], 1e-12);
    if (smooth) { this.arrowRef = this.arrowRef ? this.arrowRef * 0.8 + ref * 0.2 : ref; ref = this.arrowRef; }
    const span = b[1] - b[0], k = (0.08 * span) / ref, cap = 0.12 * span, ctx = this.ctx;
    ctx.strokeStyle = color; ctx.lineWidth = 1; ctx.globalAlpha = 0.75;
    ctx.beginPath();
    for (let i = 0; i < n; i += every) {
      let dx = arrows[2 * i] * k, dy = arrows[2 * i + 1] * k;
      const len = Math.hypot(dx, dy);
      if (!(len > 1e-9)) continue;
      if (len > cap) { dx *= cap / len; dy *= cap / len; }
      const x0 = this.px(xy[2 * i], b), y0 = this.py(xy[2 * i + 1], b);
      const x1 = this.px(xy[2 * i] + dx, b), y1 = this.py(xy[2 * i + 1] + dy, b);
      const a = Math.atan2(y1 - y0, x1 - x0), hl = Math.min(5, Math.hypot(x1 - x0, y1 - y0) * 0.45);
      ctx.moveTo(x0, y0); ctx.lineTo(x1, y1);
      ctx.lineTo(x1 - hl * Math.cos(a - 0.45), y1 - hl * Math.sin(a - 0.45));
      ctx.moveTo(x1, y1); ctx.lineTo(x1 - hl * Math.cos(a + 0.45), y1 - hl * Math.sin(a + 0.45));
    }
    ctx.stroke(); ctx.globalAlpha = 1;
  }

  // slow motion: what the phase is about, on top of the lab
  drawPhase(ph, b) {
    const d = ph.data || {}, flat = (a) => (a || []).flat();
    const ctx = this.ctx;
    ctx.fillStyle = "rgba(255,255,255,0.35)";
    ctx.fillRect(0, 0, this.size, this.size);
    if (ph.name === "sample") {
      this.dots(flat(d.real), b, REAL, 3.2, 0.95, "#fff");
      this.dots(flat(d.fake), b, FAKE, 3.2, 0.95, "#fff");
    } else if (ph.name === "classify") {
      const real = d.real || [], fake = d.fake || [];
      real.forEach((p, i) => this.ring(p, b, heatColor(d.d_real?.[i] ?? 0.5), REAL));
      fake.forEach((p, i) => this.ring(p, b, heatColor(d.d_fake?.[i] ?? 0.5), FAKE));
    } else if (ph.name === "gradients") {
      this.dots(flat(d.fake), b, FAKE, 2.6, 0.9);
      this.drawArrows(flat(d.fake), flat(d.arrows), b, "#c2410c", 1, false);
    } else if (ph.name === "update") {
      const before = flat(d.before), after = flat(d.after);
      this.dots(before, b, "#a78bba", 2.4, 0.8);
      const ctx2 = this.ctx;
      ctx2.strokeStyle = FAKE; ctx2.lineWidth = 1; ctx2.beginPath();
      for (let i = 0; i + 1 < after.length; i += 2) {
        ctx2.moveTo(this.px(before[i], b), this.py(before[i + 1], b));
        ctx2.lineTo(this.px(after[i], b), this.py(after[i + 1], b));
      }
      ctx2.stroke();
      this.dots(after, b, FAKE, 2.6, 1);
    }
  }

  ring(p, b, fill, edge) {
    const ctx = this.ctx, x = this.px(p[0], b), y = this.py(p[1], b);
    ctx.beginPath(); ctx.arc(x, y, 3.6, 0, 2 * Math.PI);
    ctx.fillStyle = fill; ctx.fill();
    ctx.strokeStyle = edge; ctx.lineWidth = 1.4; ctx.stroke();
  }

  note(text, where) {
    const ctx = this.ctx;
    ctx.font = "12px system-ui, sans-serif";
    const w = ctx.measureText(text).width + 12, y = where === "bottom" ? this.size - 24 : 6;
    ctx.fillStyle = "rgba(255,255,255,0.85)";
    ctx.fillRect(this.size - w - 6, y, w, 18);
    ctx.fillStyle = FAKE;
    ctx.fillText(text, this.size - w, y + 13);
  }

  // -- draw your own ------------------------------------------------------------------------
  startDrawing(bounds) { this.drawing = { strokes: [], bounds, down: null }; this.el.classList.add("drawing"); this.drawSketch(); }
  stopDrawing() { const s = this.strokes(); this.drawing = null; this.el.classList.remove("drawing"); return s; }
  clearDrawing() { if (this.drawing) { this.drawing.strokes = []; this.drawSketch(); } }
  strokes() { return this.drawing ? this.drawing.strokes.filter((s) => s.length) : []; }

  pointer(e) {
    const d = this.drawing;
    if (!d) return;
    e.preventDefault();
    const r = this.el.getBoundingClientRect();
    const p = this.unit(e.clientX - r.left, e.clientY - r.top, d.bounds).map((v) => Math.round(v * 1e4) / 1e4);
    if (e.type === "pointerdown") {
      this.el.setPointerCapture?.(e.pointerId);
      d.down = [p];
      d.strokes.push(d.down);
    } else if (e.type === "pointermove" && d.down) {
      const last = d.down[d.down.length - 1];
      if (Math.hypot(p[0] - last[0], p[1] - last[1]) >= 0.02) d.down.push(p);
    } else if (e.type === "pointerup" || e.type === "pointercancel") {
      d.down = null;
    }
    this.drawSketch();
  }

  drawSketch() {
    const d = this.drawing, b = d.bounds, ctx = this.begin();
    this.drawAxes(b);
    ctx.strokeStyle = REAL; ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.lineJoin = "round";
    for (const s of d.strokes) {
      ctx.beginPath();
      s.forEach((p, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, this.px(p[0], b), this.py(p[1], b)));
      ctx.stroke();
      this.dots(s.flat(), b, REAL, 3.5, 1);
    }
    if (!d.strokes.length) {
      ctx.fillStyle = "#6b6b73"; ctx.font = "15px system-ui, sans-serif"; ctx.textAlign = "center";
      ctx.fillText("Draw the real distribution here", this.size / 2, this.size / 2 - 8);
      ctx.font = "12px system-ui, sans-serif";
      ctx.fillText("strokes become lines of points; single taps become small blobs", this.size / 2, this.size / 2 + 14);
      ctx.textAlign = "start";
    }
  }

  destroy() { this.observer.disconnect(); }
}
