// The volume viewer: three linked planes (axial, coronal, sagittal) over one source (sources.js),
// a crosshair in voxel and world coordinates with the values under it, window/level, label, prediction
// and heat overlays, the 4th dimension, ground truth beside the prediction. The dashboard panel, the
// report and the notebook view all draw through this class; only their sources differ.
//   const view = new VolumeView(source, { prefs: api.state }); el.append(view.el); view.start();

import { h } from "../../static/dom.js";
import { histogram, legend, presetsOf, readout, toolbar } from "./controls.js";
import { GEOMETRY, PALETTE, PLANES, classColor, ramp, rgbOf, windowLut } from "./format.js";
import { Pane } from "./pane.js";

export class VolumeView {
  constructor(source, { prefs = null } = {}) {
    const meta = source.meta;
    Object.assign(this, { source, meta, prefs, dims: meta.shape.slice(1), spacing: meta.spacing, panes: [], dead: false });
    const pref = (k, d) => (prefs ? prefs.get(k, d) : d);
    const win = presetsOf(meta)[0];
    this.st = {
      pos: this.snap(meta.focus || this.dims.map((n) => Math.floor(n / 2))), t: 0, center: win.center, width: win.width, preset: "default",
      labels: !!meta.has_labels, pred: !!meta.has_pred, heat: !!meta.has_heat, side: false, tool: "navigate",
      style: pref("style", "fill"), alpha: pref("alpha", 0.45), heatAlpha: pref("heatAlpha", 0.6), hidden: new Set(),
      plane: pref("plane", "axial"),
    };
    this.luts = new Map();
    this.dirty = { compose: new Set(), draw: new Set() };
    this.classTable = new Uint8Array(65536 * 4);
    this.buildClasses();
    this.grid = h("div", { class: "vol-grid" });
    this.info = readout(this);
    this.hist = histogram(this);
    this.legend = legend(this);
    this.side = h("div", { class: "vol-side" }, this.info.el, this.hist.el, this.legend.el);
    this.bar = toolbar(this);
    this.el = h("div", { class: "vol-view", dataset: { state: "loading", plane: this.st.plane } }, this.bar.planes,
      this.bar.el, this.grid);
    this.resize = new ResizeObserver((entries) => {
      for (const e of entries) {
        const pane = this.panes.find((p) => p.stage === e.target);
        if (pane && pane.visible()) { this.load(pane); pane.draw(); }
      }
    });
    this.makePanes();
  }

  start() { for (const p of this.panes) this.load(p); }

  destroy() { this.dead = true; this.resize.disconnect(); this.hist.destroy?.(); clearInterval(this.playing); }

  // voxel indices clamped to the volume and put on the source's sampling grid
  snap(pos) {
    const s = this.source.stride;
    return pos.map((v, a) => Math.floor(Math.max(0, Math.min(this.dims[a] - 1, Math.floor(v))) / s[a]) * s[a]);
  }

  makePanes() {
    for (const p of this.panes) this.resize.unobserve(p.stage);
    const pairs = this.st.side && this.meta.has_labels && this.meta.has_pred;
    this.panes = PLANES.flatMap((plane) => (pairs ? [new Pane(this, plane, "labels"), new Pane(this, plane, "pred")]
      : [new Pane(this, plane, null)]));
    this.grid.classList.toggle("side", !!pairs);
    this.grid.replaceChildren(...this.panes.map((p) => p.el), this.side);
    for (const p of this.panes) { this.resize.observe(p.stage); this.caption(p); }
  }

  caption(p) {
    const axis = p.g.fixed, n = this.dims[axis], i = this.st.pos[axis];
    p.caption.textContent = ` ${"xyz"[axis]} ${i} / ${n - 1}`;
    p.slider.value = String(i);
  }

  // --- slices -----------------------------------------------------------------------------------
  wantKey(p) { return `${p.plane}|${this.st.pos[p.g.fixed]}|${this.st.t}|${this.source.local ? 0 : p.px()}`; }

  // the pane's slice, latest request wins: while one is in flight, later ones wait and only the last is made
  async load(p) {
    if (this.dead || !p.visible()) return;
    const key = this.wantKey(p);
    if (key === p.shown) return;
    if (p.busy) { p.again = true; return; }
    p.busy = true;
    const [plane, index, t, px] = key.split("|");
    try {
      const s = await this.source.slice(plane, Number(index), Number(t), Number(px));
      if (this.dead) return;
      p.setSlice(s, key);
      p.el.classList.remove("failed");
      this.loaded();
    } catch (e) {
      console.warn("volume slice", e);
      p.el.classList.add("failed");
      p.caption.textContent = ` could not load: ${e.message || e}`;
      p.shown = key; // not asked again until something changes
    } finally {
      p.busy = false;
      if (p.again) { p.again = false; this.load(p); } else this.prefetch(p);
    }
  }

  // the server's next planes in the direction the user scrolls, asked for while they look at this one
  prefetch(p) {
    const axis = p.g.fixed, dir = this.scrolled?.[axis];
    if (this.source.local || !dir || this.dead) return;
    const step = this.source.stride[axis], px = p.px();
    for (let k = 1; k <= 2; k++) {
      const i = this.st.pos[axis] + dir * k * step;
      if (i < 0 || i >= this.dims[axis] || this.source.has(p.plane, i, this.st.t, px)) continue;
      this.source.slice(p.plane, i, this.st.t, px).catch(() => null);
    }
  }

  loaded() {
    if (this.el.dataset.state === "ready") { this.info.update(); return; }
    if (this.panes.every((p) => !p.visible() || p.slice)) {
      this.el.dataset.state = "ready";
      this.info.update();
    }
  }

  // --- state changes ----------------------------------------------------------------------------
  setPos(pos) {
    const next = this.snap(pos), old = this.st.pos;
    if (next.every((v, a) => v === old[a])) return;
    this.st.pos = next;
    for (const p of this.panes) {
      if (next[p.g.fixed] !== old[p.g.fixed]) { this.caption(p); this.load(p); }
      this.later("draw", p);
    }
    this.info.update();
  }

  setAxis(axis, value) { const pos = [...this.st.pos]; pos[axis] = value; this.setPos(pos); }

  scroll(plane, steps) {
    const axis = GEOMETRY[plane].fixed;
    this.scrolled = { [axis]: Math.sign(steps) };
    this.setAxis(axis, this.st.pos[axis] + steps * this.source.stride[axis]);
  }

  setT(t) {
    const T = this.meta.shape[0];
    this.st.t = ((t % T) + T) % T;
    this.bar.update();
    for (const p of this.panes) this.load(p);
  }

  stepT(d) { if (this.meta.shape[0] > 1) this.setT(this.st.t + d); }

  range() { const s = this.meta.stats; return (s["p99.5"] ?? s.max) - (s["p0.5"] ?? s.min) || s.max - s.min || 1; }

  setWindow(center, width, dragging = false, preset = "custom") {
    Object.assign(this.st, { center, width: Math.max(width, 1e-9), preset });
    this.luts.clear();
    for (const p of this.panes) this.later("compose", p);
    this.hist.draw();
    this.bar.update();
    this.el.dataset.window = `${center},${width}`;
    if (!dragging) this.el.dataset.preset = preset;
  }

  set(patch) { // overlay settings: recompose every pane
    Object.assign(this.st, patch);
    for (const k of ["style", "alpha", "heatAlpha", "plane"]) if (k in patch && this.prefs) this.prefs.set(k, patch[k]);
    if ("hidden" in patch) this.buildClasses();
    if ("side" in patch) { this.makePanes(); this.start(); }
    if ("plane" in patch) this.el.dataset.plane = patch.plane;
    for (const p of this.panes) this.later("compose", p);
    this.bar.update();
    this.legend.update();
  }

  paneZoomed(p) { p.draw(); this.load(p); }

  hover(pane, probe) { this.info.update(pane ? probe : null); }

  // draw work on the next animation frame (a drag gives one frame per screen refresh, not per event)
  later(kind, p) {
    this.dirty[kind].add(p);
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      const { compose, draw } = this.dirty;
      this.dirty = { compose: new Set(), draw: new Set() };
      for (const x of compose) { x.compose(); draw.add(x); }
      for (const x of draw) x.draw();
    });
  }

  // --- colour -------------------------------------------------------------------------------------
  lutFor(lo, hi) {
    const k = `${lo}|${hi}`;
    if (!this.luts.has(k)) this.luts.set(k, windowLut(lo, hi, this.st.center, this.st.width));
    return this.luts.get(k);
  }

  heatLut(signed) { return ramp(signed ? "diverging" : "inferno"); }

  classes() {
    return (this.meta.classes || []).map((c) => ({ ...c, color: c.color || classColor(c.id) }));
  }

  buildClasses() { // id -> RGB and shown (alpha byte) for every id a uint16 label map can hold
    const t = this.classTable, pal = PALETTE.map(rgbOf);
    for (let id = 1; id < 65536; id++) {
      const c = pal[(id - 1) % pal.length];
      t[4 * id] = c[0]; t[4 * id + 1] = c[1]; t[4 * id + 2] = c[2]; t[4 * id + 3] = this.st.hidden.has(id) ? 0 : 1;
    }
    for (const c of this.classes()) t.set([...rgbOf(c.color), this.st.hidden.has(c.id) ? 0 : 1], 4 * c.id);
    t[3] = 0;
  }

  // which label layers a pane draws, and how: side by side, each pane its own; overlaid, the ground
  // truth as a light outline ("ring") over the prediction
  overlaysFor(p) {
    if (p.overlay) return [{ name: p.overlay, style: this.st.style }];
    const out = [];
    const both = this.st.labels && this.st.pred && this.meta.has_labels && this.meta.has_pred;
    if (this.st.pred && this.meta.has_pred) out.push({ name: "pred", style: this.st.style });
    if (this.st.labels && this.meta.has_labels) out.push({ name: "labels", style: both ? "ring" : this.st.style });
    return out;
  }
}
