// The heat map: one map (a head, or the mean over heads) on a canvas, fast at thousands of tokens. The
// server sends it as uint8 block maxima at most `size` a side; here it is cropped to the view and
// reduced again by block maxima to the canvas's pixels (a thin diagonal stays visible), coloured
// with viridis from 0 to the largest weight shown. Hover for a cell's tokens and weight; drag a box to
// zoom (the window is fetched finer when the overview was reduced), double-click to reset.
//   const hm = new HeatMap({ queries, keys }); el.append(hm.el); await hm.show({ planes, plane, detail })

import { h, plural } from "../../static/dom.js";
import { blockMax, fmtW, paint } from "./data.js";

const LABELS = 48; // token labels along an axis showing at most this many tokens

export class HeatMap {
  constructor({ queries, keys }) {
    Object.assign(this, { queries, keys });
    this.canvas = h("canvas", { class: "att-heat", "aria-label": "attention heat map" });
    this.box = h("div", { class: "att-box", hidden: true });
    this.tip = h("div", { class: "att-tip", hidden: true });
    this.ylab = h("div", { class: "att-ylab" });
    this.xlab = h("div", { class: "att-xlab" });
    this.note = h("div", { class: "note att-heat-note" });
    this.reset = h("button", { type: "button", class: "small", hidden: true, onclick: () => this.zoom(null) }, "reset zoom");
    this.wrap = h("div", { class: "att-heat-wrap" }, this.canvas, this.box, this.tip);
    this.el = h("div", { class: "att-hm" }, h("div", { class: "att-hm-grid" }, this.ylab, this.wrap, h("span"), this.xlab),
      h("div", { class: "att-hm-foot" }, this.note, this.reset));
    this.full = { q0: 0, q1: queries.length, k0: 0, k1: keys.length };
    this.view = this.full;
    this.listen();
    this.resize = new ResizeObserver(() => { if (this.src && this.wrap.clientWidth !== this.width) this.render(); });
    this.resize.observe(this.wrap);
  }

  destroy() { this.resize.disconnect(); }

  // src: { planes, plane (its index), title, detail: async (view) => { planes, plane } | null }
  async show(src, t0 = performance.now()) {
    this.src = src;
    this.fine = null;
    this.view = this.full;
    this.render();
    this.canvas.dataset.ms = (performance.now() - t0).toFixed(1);
  }

  // the data covering the view at the finest block: a zoomed window fetched for it, else the overview
  data() {
    const f = this.fine, v = this.view;
    if (f && f.planes.window[0] <= v.q0 && f.planes.window[1] >= v.q1 && f.planes.window[2] <= v.k0 && f.planes.window[3] >= v.k1) return f;
    return this.src;
  }

  render() {
    const { planes, plane } = this.data(), v = this.view, [W0, , K0] = planes.window, [fy, fx] = planes.block;
    const r0 = Math.floor((v.q0 - W0) / fy), r1 = Math.min(planes.rows, Math.ceil((v.q1 - W0) / fy));
    const c0 = Math.floor((v.k0 - K0) / fx), c1 = Math.min(planes.cols, Math.ceil((v.k1 - K0) / fx));
    const rows = r1 - r0, cols = c1 - c0, src = planes.plane(plane), crop = new Uint8Array(rows * cols);
    for (let r = 0; r < rows; r++) crop.set(src.subarray((r0 + r) * planes.cols + c0, (r0 + r) * planes.cols + c1), r * cols);
    const nq = v.q1 - v.q0, nk = v.k1 - v.k0, ratio = Math.min(3, Math.max(0.3, nq / nk));
    this.width = this.wrap.clientWidth || 480;
    const cssW = Math.min(this.width, 720, Math.max(320, 28 * Math.max(nq, nk))), dpr = window.devicePixelRatio || 1;
    this.canvas.style.width = `${cssW}px`;
    this.canvas.style.height = `${Math.round(cssW * ratio)}px`;
    const red = blockMax(crop, rows, cols, Math.max(1, Math.round(cssW * ratio * dpr)), Math.max(1, Math.round(cssW * dpr)));
    let top = 0;
    for (const x of red.data) if (x > top) top = x;
    paint(this.canvas, red.data, red.rows, red.cols, "viridis", top ? 255 / top : 1);
    this.shown = { ...red, q0: W0 + r0 * fy, k0: K0 + c0 * fx, ty: fy * red.fy, tx: fx * red.fx, scale: planes.scale[plane] };
    this.labels();
    const reduced = this.shown.ty > 1 || this.shown.tx > 1;
    this.note.textContent = `${this.src.title} · ${plural(nq, "query", "queries")} x ${plural(nk, "key")}`
      + (v === this.full ? "" : ` (of ${this.queries.length} x ${this.keys.length})`)
      + (reduced ? `, each pixel the largest of ${this.shown.ty} x ${this.shown.tx} weights` : "")
      + ` · colours 0 to ${fmtW(top * this.shown.scale)}`
      + (this.approx ? ` · ${this.approx}` : "")
      + (matchMedia("(pointer: coarse)").matches ? " · tap a cell for its weight" : " · drag to zoom, double-click to reset");
    this.reset.hidden = v === this.full;
    Object.assign(this.canvas.dataset, { drawn: "1", view: `${v.q0},${v.q1},${v.k0},${v.k1}`, block: `${this.shown.ty},${this.shown.tx}` });
  }

  labels() {
    const v = this.view, nq = v.q1 - v.q0, nk = v.k1 - v.k0;
    const span = (t) => h("span", { title: t }, t === "" ? "␣" : t);
    this.ylab.replaceChildren(...(nq <= LABELS ? this.queries.slice(v.q0, v.q1).map(span) : []));
    this.xlab.replaceChildren(...(nk <= LABELS ? this.keys.slice(v.k0, v.k1).map(span) : []));
    this.ylab.style.height = this.canvas.style.height;
    this.xlab.style.width = this.canvas.style.width;
  }

  async zoom(view) {
    this.tip.hidden = true;
    this.view = view || this.full;
    this.approx = "";
    this.render();
    const s = this.shown;
    if (!view || (s.ty === 1 && s.tx === 1) || !this.src.detail) return;
    try {
      this.fine = await this.src.detail(view);
    } catch (e) {
      this.approx = "block maxima of the whole map (a finer window needs torchscope serve)";
    }
    if (this.view === view) this.render();
  }

  cell(ev) {
    const r = this.canvas.getBoundingClientRect(), s = this.shown, v = this.view;
    const fy = (ev.clientY - r.top) / r.height, fx = (ev.clientX - r.left) / r.width;
    if (!(fy >= 0 && fy < 1 && fx >= 0 && fx < 1)) return null;
    const qi = v.q0 + Math.floor(fy * (v.q1 - v.q0)), ki = v.k0 + Math.floor(fx * (v.k1 - v.k0));
    const row = Math.min(s.rows - 1, Math.floor((qi - s.q0) / s.ty)), col = Math.min(s.cols - 1, Math.floor((ki - s.k0) / s.tx));
    return { qi, ki, fy, fx, w: s.data[row * s.cols + col] * s.scale, q0: s.q0 + row * s.ty, k0: s.k0 + col * s.tx };
  }

  listen() {
    const c = this.canvas;
    let start = null;
    const tip = (ev) => {
      const cell = this.cell(ev);
      if (!cell) { this.tip.hidden = true; return; }
      const s = this.shown, q = (i) => `${i} “${this.queries[i]}”`, k = (j) => `${j} “${this.keys[j]}”`;
      this.tip.textContent = s.ty === 1 && s.tx === 1 ? `query ${q(cell.qi)} → key ${k(cell.ki)}: ${fmtW(cell.w)}`
        : `queries ${cell.q0}–${Math.min(this.queries.length, cell.q0 + s.ty) - 1} → keys ${cell.k0}–`
          + `${Math.min(this.keys.length, cell.k0 + s.tx) - 1}: at most ${fmtW(cell.w)}`;
      this.tip.hidden = false;
      this.tip.style.left = `${Math.min(cell.fx, 0.6) * 100}%`;
      this.tip.style.top = `${cell.fy * 100}%`;
    };
    c.addEventListener("pointermove", (ev) => {
      tip(ev);
      if (start) {
        const r = c.getBoundingClientRect();
        Object.assign(this.box.style, { left: `${Math.min(start.x, ev.clientX) - r.left}px`, top: `${Math.min(start.y, ev.clientY) - r.top}px`,
          width: `${Math.abs(ev.clientX - start.x)}px`, height: `${Math.abs(ev.clientY - start.y)}px` });
        this.box.hidden = false;
      }
    });
    c.addEventListener("pointerleave", (ev) => { if (ev.pointerType === "mouse") this.tip.hidden = true; });
    c.addEventListener("pointerdown", (ev) => {
      if (ev.pointerType !== "mouse") { tip(ev); return; } // a tap: the cell's weight
      if (ev.button !== 0) return;
      start = { x: ev.clientX, y: ev.clientY, cell: this.cell(ev) };
      c.setPointerCapture(ev.pointerId);
    });
    c.addEventListener("pointerup", (ev) => {
      const a = start;
      start = null;
      this.box.hidden = true;
      const b = this.cell(ev);
      if (!a?.cell || !b || (Math.abs(ev.clientX - a.x) < 6 && Math.abs(ev.clientY - a.y) < 6)) return;
      const q0 = Math.min(a.cell.qi, b.qi), q1 = Math.max(a.cell.qi, b.qi) + 1, k0 = Math.min(a.cell.ki, b.ki), k1 = Math.max(a.cell.ki, b.ki) + 1;
      if (q1 - q0 >= 2 && k1 - k0 >= 2) this.zoom({ q0, q1, k0, k1 });
    });
    c.addEventListener("dblclick", () => this.zoom(null));
  }
}
