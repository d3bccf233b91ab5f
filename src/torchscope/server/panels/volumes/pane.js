// One plane of the volume viewer on a canvas: the slice (window/level through a lookup table, heat
// map and label overlays composed here, no refetch), the crosshair, edge letters, a millimetre scale
// bar, zoom and pan; and what a pointer does on it: click or drag moves the crosshair, the wheel and a
// vertical swipe scroll slices, right-drag (or the window tool) sets window/level, pinch and
// ctrl+wheel zoom, middle- or shift-drag pans, double-click resets.
//   const pane = new Pane(view, "axial", null)   // view: VolumeView (view.js)

import { h } from "../../static/dom.js";
import { GEOMETRY, PLANES, sliceStride } from "./format.js";

export const PLANE_COLORS = { axial: "#4ea1ff", coronal: "#35d07f", sagittal: "#ffaa33" };
const NICE = [1, 2, 5, 10, 20, 50, 100, 200, 500];

export class Pane {
  constructor(view, plane, overlay) {
    Object.assign(this, { view, plane, overlay, g: GEOMETRY[plane], zoom: 1, pan: [0, 0], slice: null, shown: "" });
    const [l, r, t, b] = this.g.edges;
    this.canvas = h("canvas", { class: "vol-canvas", tabindex: 0, "aria-label": `${plane} plane` });
    this.bitmap = document.createElement("canvas");
    this.caption = h("span", { class: "vol-where" });
    const axis = this.g.fixed, n = view.dims[axis];
    this.slider = h("input", { type: "range", class: "vol-slider", min: 0, max: n - 1, step: view.source.stride[axis],
      "aria-label": `${plane} slice`, oninput: (ev) => view.setAxis(axis, Number(ev.target.value)) });
    const tag = overlay ? h("span", { class: "vol-tag" }, overlay === "pred" ? "prediction" : "ground truth") : null;
    this.stage = h("div", { class: "vol-stage" }, this.canvas, tag,
      h("span", { class: "vol-edge l" }, l), h("span", { class: "vol-edge r" }, r),
      h("span", { class: "vol-edge t" }, t), h("span", { class: "vol-edge b" }, b));
    this.el = h("figure", { class: "vol-pane", dataset: { plane, overlay: overlay || "" }, style: { "--plane": PLANE_COLORS[plane] } },
      this.stage, h("figcaption", {}, h("b", {}, plane), this.caption, this.slider));
    this.pointers = new Map();
    this.listen();
  }

  visible() { return this.stage.clientWidth > 0 && this.stage.clientHeight > 0; }

  // slice resolution asked of the server: the canvas's longer side in device pixels, in steps
  px() {
    const d = Math.max(this.stage.clientWidth, this.stage.clientHeight) * (window.devicePixelRatio || 1) * this.zoom;
    return [128, 256, 384, 512, 768, 1024].find((s) => s >= d) || 1024;
  }

  // the plane's frame: pixels per mm, offsets, extents (voxels) and spacing of its columns and rows
  frame() {
    const g = this.g, dims = this.view.dims, sp = this.view.spacing;
    const Nc = dims[g.cols], Nr = dims[g.rows], sc = sp[g.cols], sr = sp[g.rows];
    const cw = this.stage.clientWidth, ch = this.stage.clientHeight;
    const k = Math.min(cw / (Nc * sc), ch / (Nr * sr)) * this.zoom;
    return { k, Nc, Nr, sc, sr, cw, ch, ox: (cw - Nc * sc * k) / 2 + this.pan[0], oy: (ch - Nr * sr * k) / 2 + this.pan[1] };
  }

  // continuous voxel coordinates (column axis, row axis) <-> CSS pixels on the canvas
  toScreen(c, r, f = this.frame()) { return [f.ox + (f.Nc - c) * f.sc * f.k, f.oy + (f.Nr - r) * f.sr * f.k]; }
  fromScreen(u, v, f = this.frame()) { return [f.Nc - (u - f.ox) / (f.sc * f.k), f.Nr - (v - f.oy) / (f.sr * f.k)]; }

  setSlice(s, key) {
    this.slice = s;
    this.shown = key;
    this.el.dataset.index = String(s.index);
    this.compose();
    this.draw();
  }

  // the slice's pixels, window/level and overlays applied, into an offscreen canvas (one pixel per
  // sample, in screen orientation: both array axes reversed)
  compose() {
    const s = this.slice;
    if (!s) return;
    const [a, b] = s.shape, view = this.view, img = s.layers.image;
    const lut = view.lutFor(img.lo, img.hi), q = img.data;
    if (this.bitmap.width !== a || this.bitmap.height !== b) { this.bitmap.width = a; this.bitmap.height = b; }
    const ctx = this.bitmap.getContext("2d"), out = ctx.createImageData(a, b), o = out.data;
    const heat = view.st.heat && s.layers.heat, hd = heat && heat.data, ha = view.st.heatAlpha;
    const hlut = heat && view.heatLut(heat.signed), sgn = heat && heat.signed;
    const overlays = view.overlaysFor(this).map((x) => ({ ...x, d: s.layers[x.name]?.data })).filter((x) => x.d);
    const col = view.classTable, alpha = view.st.alpha, edgeAlpha = Math.min(1, 0.35 + alpha);
    for (let py = 0; py < b; py++) {
      const j = b - 1 - py;
      for (let px = 0; px < a; px++) {
        const i = a - 1 - px, src = i * b + j, p = 4 * (py * a + px);
        let R = lut[q[src]], G = R, B = R;
        if (hd) {
          const v = hd[src], m = sgn ? Math.abs(v - 128) / 127 : v / 255, w = ha * Math.sqrt(m);
          R += (hlut[3 * v] - R) * w; G += (hlut[3 * v + 1] - G) * w; B += (hlut[3 * v + 2] - B) * w;
        }
        for (const L of overlays) {
          const c = L.d[src];
          if (!c || !col[4 * c + 3]) continue;
          let w = alpha;
          if (L.style !== "fill") {
            const d = L.d;
            const edge = i === 0 || i === a - 1 || j === 0 || j === b - 1 || d[src - b] !== c || d[src + b] !== c
              || d[src - 1] !== c || d[src + 1] !== c;
            if (!edge) continue;
            w = edgeAlpha;
          }
          if (L.style === "ring") { // the ground truth's outline over a prediction: opaque, the class colour lightened
            R = (col[4 * c] + 255) / 2; G = (col[4 * c + 1] + 255) / 2; B = (col[4 * c + 2] + 255) / 2;
            continue;
          }
          R += (col[4 * c] - R) * w; G += (col[4 * c + 1] - G) * w; B += (col[4 * c + 2] - B) * w;
        }
        o[p] = R; o[p + 1] = G; o[p + 2] = B; o[p + 3] = 255;
      }
    }
    ctx.putImageData(out, 0, 0);
    this.el.dataset.composed = String((Number(this.el.dataset.composed) || 0) + 1);
  }

  // the canvas: the composed slice at its place in millimetres, the crosshair, the scale bar
  draw() {
    const dpr = window.devicePixelRatio || 1, f = this.frame(), c = this.canvas;
    const W = Math.round(f.cw * dpr), H = Math.round(f.ch * dpr);
    if (!W || !H) return;
    if (c.width !== W || c.height !== H) { c.width = W; c.height = H; }
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, f.cw, f.ch);
    const s = this.slice;
    if (s) {
      const [a, b] = s.shape, [ss, sr] = sliceStride(s);
      const [u0, v0] = this.toScreen(a * ss, b * sr, f), [u1, v1] = this.toScreen(0, 0, f);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(this.bitmap, u0, v0, u1 - u0, v1 - v0);
    }
    this.drawCross(ctx, f);
    this.drawScale(ctx, f);
    this.el.dataset.zoom = this.zoom.toFixed(2);
    this.el.dataset.drawn = String((Number(this.el.dataset.drawn) || 0) + 1);
  }

  drawCross(ctx, f) {
    const g = this.g, pos = this.view.st.pos, st = this.view.source.stride;
    const [u, v] = this.toScreen(pos[g.cols] + st[g.cols] / 2, pos[g.rows] + st[g.rows] / 2, f);
    this.el.dataset.cross = `${u.toFixed(1)},${v.toFixed(1)}`;
    const gap = 10, planeOf = (axis) => PLANES.find((p) => GEOMETRY[p].fixed === axis);
    ctx.lineWidth = 1;
    ctx.globalAlpha = 0.85;
    // the vertical line is the plane that holds the column axis fixed, the horizontal one the row axis':
    // each drawn in that plane's colour
    ctx.strokeStyle = PLANE_COLORS[planeOf(g.cols)];
    ctx.beginPath();
    ctx.moveTo(u, 0); ctx.lineTo(u, v - gap); ctx.moveTo(u, v + gap); ctx.lineTo(u, f.ch);
    ctx.stroke();
    ctx.strokeStyle = PLANE_COLORS[planeOf(g.rows)];
    ctx.beginPath();
    ctx.moveTo(0, v); ctx.lineTo(u - gap, v); ctx.moveTo(u + gap, v); ctx.lineTo(f.cw, v);
    ctx.stroke();
    ctx.globalAlpha = 1;
  }

  drawScale(ctx, f) {
    const pxPerMm = f.k, want = f.cw / 5 / pxPerMm;
    const mm = NICE.filter((n) => n <= want).pop();
    if (!mm) return;
    const len = mm * pxPerMm, x = 10, y = f.ch - 10;
    ctx.strokeStyle = ctx.fillStyle = "rgba(255,255,255,.85)";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x, y - 4); ctx.lineTo(x, y); ctx.lineTo(x + len, y); ctx.lineTo(x + len, y - 4);
    ctx.stroke();
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillText(`${mm} mm`, x + 4, y - 5);
  }

  // the voxel (full-resolution indices) and the sample under a point of the canvas, or null
  probe(u, v) {
    const [c, r] = this.fromScreen(u, v), g = this.g, dims = this.view.dims;
    if (c < 0 || r < 0 || c >= dims[g.cols] || r >= dims[g.rows]) return null;
    const voxel = [0, 0, 0];
    voxel[g.fixed] = this.view.st.pos[g.fixed];
    voxel[g.cols] = Math.floor(c);
    voxel[g.rows] = Math.floor(r);
    return this.sample(this.view.snap(voxel));
  }

  // {voxel, value, image, labels, pred, heat} of a voxel in this pane's slice (only the voxel when not shown)
  sample(voxel) {
    const s = this.slice, g = this.g, out = { voxel };
    if (!s || s.index !== voxel[g.fixed]) return out;
    const [a, b] = s.shape, [ss, sr] = sliceStride(s), i = Math.floor(voxel[g.cols] / ss), j = Math.floor(voxel[g.rows] / sr);
    if (i >= a || j >= b) return out;
    for (const [name, L] of Object.entries(s.layers)) out[name] = L.data[i * b + j];
    const img = s.layers.image;
    out.value = img.lo + out.image * (img.hi - img.lo) / 65535;
    return out;
  }

  point(ev) {
    const r = this.canvas.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  }

  moveCross(u, v) {
    const [c, r] = this.fromScreen(u, v), g = this.g, pos = [...this.view.st.pos];
    pos[g.cols] = c;
    pos[g.rows] = r;
    this.view.setPos(pos);
  }

  zoomAt(u, v, factor) {
    const z = Math.min(40, Math.max(1, this.zoom * factor)), f = this.frame();
    const [c, r] = this.fromScreen(u, v, f);
    this.zoom = z;
    if (z === 1) this.pan = [0, 0];
    else { // keep the point under the finger where it is
      const [u2, v2] = this.toScreen(c, r);
      this.pan = [this.pan[0] + u - u2, this.pan[1] + v - v2];
    }
    this.view.paneZoomed(this);
  }

  listen() {
    const c = this.canvas;
    c.addEventListener("contextmenu", (ev) => ev.preventDefault());
    c.addEventListener("dblclick", () => { this.zoom = 1; this.pan = [0, 0]; this.view.paneZoomed(this); });
    c.addEventListener("wheel", (ev) => this.wheel(ev), { passive: false });
    c.addEventListener("keydown", (ev) => this.key(ev));
    c.addEventListener("pointerdown", (ev) => this.down(ev));
    c.addEventListener("pointermove", (ev) => this.move(ev));
    for (const t of ["pointerup", "pointercancel"]) c.addEventListener(t, (ev) => this.up(ev));
    c.addEventListener("pointerleave", () => { if (!this.pointers.size) this.view.hover(null); });
  }

  wheel(ev) {
    ev.preventDefault();
    const d = ev.deltaY * (ev.deltaMode === 1 ? 40 : ev.deltaMode === 2 ? 400 : 1);
    if (ev.ctrlKey || ev.metaKey) { this.zoomAt(...this.point(ev), Math.exp(-d / 300)); return; }
    this.wheelAcc = (this.wheelAcc || 0) + d;
    const n = Math.trunc(this.wheelAcc / 100);
    if (!n) return;
    this.wheelAcc -= n * 100;
    this.view.scroll(this.plane, -n * (ev.shiftKey ? 10 : 1));
  }

  key(ev) {
    const steps = { ArrowUp: 1, ArrowDown: -1, PageUp: 10, PageDown: -10 }[ev.key];
    if (steps) { ev.preventDefault(); this.view.scroll(this.plane, steps * (ev.shiftKey ? 10 : 1)); return; }
    if (ev.key === "ArrowLeft" || ev.key === "ArrowRight") { ev.preventDefault(); this.view.stepT(ev.key === "ArrowLeft" ? -1 : 1); return; }
    const f = this.frame();
    if (ev.key === "+" || ev.key === "=") this.zoomAt(f.cw / 2, f.ch / 2, 1.25);
    else if (ev.key === "-") this.zoomAt(f.cw / 2, f.ch / 2, 0.8);
    else if (ev.key === "0") { this.zoom = 1; this.pan = [0, 0]; this.view.paneZoomed(this); }
  }

  down(ev) {
    const [u, v] = this.point(ev);
    this.canvas.setPointerCapture?.(ev.pointerId);
    this.canvas.focus({ preventScroll: true }); // the keys scroll this plane
    this.pointers.set(ev.pointerId, { u, v, u0: u, v0: v, type: ev.pointerType });
    if (this.pointers.size === 2) { this.gesture = "pinch"; this.pinch = this.span(); return; }
    const mouse = ev.pointerType === "mouse", win = this.view.st.tool === "window";
    if (mouse && (ev.button === 2 || (win && ev.button === 0))) this.gesture = "window";
    else if (mouse && (ev.button === 1 || (ev.button === 0 && ev.shiftKey))) this.gesture = "pan";
    else if (mouse && ev.button === 0) { this.gesture = "cross"; this.moveCross(u, v); }
    else this.gesture = win ? "window" : "touch"; // a touch decides on its first move: tap, swipe or pan
    this.swipeAcc = 0;
    this.windowFrom = [this.view.st.center, this.view.st.width];
    ev.preventDefault();
  }

  span() {
    const [a, b] = [...this.pointers.values()];
    return { d: Math.hypot(a.u - b.u, a.v - b.v) || 1, u: (a.u + b.u) / 2, v: (a.v + b.v) / 2 };
  }

  move(ev) {
    const p = this.pointers.get(ev.pointerId), [u, v] = this.point(ev);
    if (!p) { if (ev.pointerType === "mouse") this.view.hover(this, this.probe(u, v)); return; }
    const du = u - p.u, dv = v - p.v;
    p.u = u; p.v = v;
    if (this.gesture === "pinch" && this.pointers.size === 2) {
      const s = this.span();
      this.pan = [this.pan[0] + s.u - this.pinch.u, this.pan[1] + s.v - this.pinch.v];
      this.zoomAt(s.u, s.v, s.d / this.pinch.d);
      this.pinch = s;
    } else if (this.gesture === "cross") {
      this.moveCross(u, v);
      this.view.hover(this, this.probe(u, v));
    } else if (this.gesture === "pan") {
      this.pan = [this.pan[0] + du, this.pan[1] + dv];
      this.draw();
    } else if (this.gesture === "window") {
      const [c0, w0] = this.windowFrom, range = this.view.range();
      const f = this.frame(), tu = u - p.u0, tv = v - p.v0;
      this.view.setWindow(c0 + (tv / f.ch) * range, Math.max(range / 1000, w0 + (tu / f.cw) * range * 2), true);
    } else if (this.gesture === "touch") {
      const tu = u - p.u0, tv = v - p.v0;
      if (Math.hypot(tu, tv) < 8) return;
      this.gesture = Math.abs(tv) > Math.abs(tu) || this.zoom === 1 ? "swipe" : "pan";
    } else if (this.gesture === "swipe") { // a vertical swipe scrolls: a full canvas height crosses the volume
      const n = this.view.dims[this.g.fixed] / this.view.source.stride[this.g.fixed];
      const per = Math.max(3, Math.min(24, this.frame().ch / n));
      this.swipeAcc += dv;
      const k = Math.trunc(this.swipeAcc / per);
      if (k) { this.swipeAcc -= k * per; this.view.scroll(this.plane, -k); }
    }
  }

  up(ev) {
    const p = this.pointers.get(ev.pointerId);
    if (!p) return;
    this.pointers.delete(ev.pointerId);
    if (this.gesture === "touch" && ev.type === "pointerup") this.moveCross(p.u, p.v); // a tap
    if (this.gesture === "window") this.view.setWindow(this.view.st.center, this.view.st.width, false);
    if (this.pointers.size === 1 && this.gesture === "pinch") { // one finger left: it pans on
      this.gesture = "pan";
      return;
    }
    if (!this.pointers.size) this.gesture = null;
  }
}
