// The projector's scatter engine: up to ~100,000 points on a 2-D canvas, drawn by writing pixels.
//
// Each frame projects every point to the screen (2-D pan/zoom, or a 3-D orbit camera with
// perspective), then stamps a small disc per point straight into one ImageData buffer and puts it
// on the canvas: no per-point canvas calls, so 70,000 points draw in a few milliseconds even on a
// software-rendered canvas (the browser tests run with --disable-gpu). 3-D uses a depth buffer
// and fades far points (fog) so the orbit reads as depth. Hover finds the nearest point through
// a uniform grid over the data (2-D) or a scan of the screen positions (3-D); box and lasso
// selection test the screen positions (the lasso through a rasterized polygon mask). A second,
// transparent canvas on top holds the hover ring, the selection outline and the 3-D axes.
//   const s = new Scatter(host, { coords, dims, n }); s.setColors(cat, ["#1f77b4", ...]); s.draw();

import { rgb } from "../data/colors.js";

const BG = [255, 255, 255];
const FOG = 6; // depth levels of the 3-D fade
const HOVER_PX = 10; // CSS px within which a point counts as hovered

const pack = ([r, g, b]) => (255 << 24) | (b << 16) | (g << 8) | r; // little-endian RGBA as one int32
const mix = (c, t) => c.map((v, i) => Math.round(v + (BG[i] - v) * t));

export class Scatter {
  constructor(host, { coords, dims, n }) {
    Object.assign(this, { host, coords, dims, n });
    this.is3d = dims >= 3;
    this.canvas = document.createElement("canvas");
    this.canvas.className = "points";
    this.overlay = document.createElement("canvas");
    this.overlay.className = "overlay";
    host.append(this.canvas, this.overlay);
    this.ctx = this.canvas.getContext("2d");
    this.octx = this.overlay.getContext("2d");
    this.sx = new Float32Array(n);
    this.sy = new Float32Array(n);
    this.cat = new Uint16Array(n);
    this.hidden = new Uint8Array(1);
    this.selected = null;
    this.hover = -1;
    this.mode = "pan";
    this.size = n > 20000 ? 1.2 : n > 3000 ? 2 : 3;
    this.alpha = this.is3d ? 1 : n > 20000 ? 0.6 : n > 3000 ? 0.8 : 1; // 2-D blending shows density
    this.drawTimes = [];
    this.onHover = () => {};
    this.onSelect = () => {};
    this.bounds();
    if (!this.is3d) this.buildGrid();
    this.resize();
    this.reset();
    this.listen();
  }

  // -- geometry ------------------------------------------------------------------------------
  bounds() {
    const { coords, dims, n } = this;
    const lo = new Array(dims).fill(Infinity), hi = new Array(dims).fill(-Infinity);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < dims; d++) {
        const v = coords[i * dims + d];
        if (v < lo[d]) lo[d] = v;
        if (v > hi[d]) hi[d] = v;
      }
    }
    this.lo = lo.map((v) => (Number.isFinite(v) ? v : 0));
    this.hi = hi.map((v, d) => (Number.isFinite(v) && v > this.lo[d] ? v : this.lo[d] + 1));
    this.mid = this.lo.map((v, d) => (v + this.hi[d]) / 2);
    this.half = Math.max(...this.lo.map((v, d) => (this.hi[d] - v) / 2));
  }

  reset() {
    const css = Math.min(this.cssW, this.cssH) || 300;
    if (this.is3d) this.cam = { yaw: -0.6, pitch: 0.35, zoom: 1, px: 0, py: 0 };
    else {
      const w = this.hi[0] - this.lo[0], hgt = this.hi[1] - this.lo[1];
      const s = 0.92 * Math.min(this.cssW / w, this.cssH / hgt) || css / 2;
      this.view = { cx: this.mid[0], cy: this.mid[1], scale: s }; // CSS px per data unit
    }
    this.request();
  }

  resize() {
    const r = this.host.getBoundingClientRect();
    const dpr = Math.min(window.devicePixelRatio || 1, 3);
    const cssW = Math.max(50, Math.round(r.width)), cssH = Math.max(50, Math.round(r.height));
    const old = this.cssW ? Math.min(this.cssW, this.cssH) : 0;
    Object.assign(this, { dpr, cssW, cssH, W: Math.round(cssW * dpr), H: Math.round(cssH * dpr) });
    for (const c of [this.canvas, this.overlay]) { c.width = this.W; c.height = this.H; }
    this.image = this.ctx.createImageData(this.W, this.H);
    this.buf = new Int32Array(this.image.data.buffer); // int32, not uint32: V8 keeps the pixel math in small ints
    this.depth = this.is3d ? new Float32Array(this.W * this.H) : null;
    if (this.view && old) this.view.scale *= Math.min(cssW, cssH) / old;
    this.stamp();
    this.request();
  }

  stamp() {
    const r = this.size * this.dpr, R = Math.ceil(r), out = [];
    for (let dy = -R; dy <= R; dy++) for (let dx = -R; dx <= R; dx++) if (dx * dx + dy * dy <= r * r + r * 0.6) out.push(dy * this.W + dx);
    this.offsets = Int32Array.from(out.length ? out : [0]);
    this.reach = R;
  }

  buildGrid() {
    const { coords, n } = this;
    const G = Math.max(1, Math.min(512, Math.ceil(Math.sqrt(n / 3))));
    const fx = G / (this.hi[0] - this.lo[0]), fy = G / (this.hi[1] - this.lo[1]);
    const cell = new Int32Array(n), start = new Int32Array(G * G + 1);
    for (let i = 0; i < n; i++) {
      const gx = Math.min(G - 1, Math.max(0, Math.floor((coords[2 * i] - this.lo[0]) * fx)));
      const gy = Math.min(G - 1, Math.max(0, Math.floor((coords[2 * i + 1] - this.lo[1]) * fy)));
      cell[i] = gy * G + gx;
      start[cell[i] + 1]++;
    }
    for (let c = 0; c < G * G; c++) start[c + 1] += start[c];
    const fill = start.slice(0, G * G), items = new Int32Array(n);
    for (let i = 0; i < n; i++) items[fill[cell[i]]++] = i;
    this.grid = { G, fx, fy, start, items };
  }

  // -- colours and visibility ---------------------------------------------------------------
  setColors(cat, colors) {
    this.cat = cat;
    const base = colors.map(rgb);
    this.pal = Int32Array.from(base.map(pack));
    this.dim = Int32Array.from(base.map((c) => pack(mix(c, 0.82))));
    this.fog = Array.from({ length: FOG }, (_, l) => Int32Array.from(base.map((c) => pack(mix(c, (0.55 * l) / (FOG - 1))))));
    this.hidden = new Uint8Array(colors.length);
    this.request();
  }

  setHidden(hidden) { this.hidden = hidden; if (this.hover >= 0 && hidden[this.cat[this.hover]]) this.setHover(-1); this.request(); }
  visible(i) { return !this.hidden[this.cat[i]]; }

  // -- projection ----------------------------------------------------------------------------
  project() {
    const { coords, n, sx, sy, dpr } = this;
    if (!this.is3d) {
      const { cx, cy, scale } = this.view, s = scale * dpr, ox = this.W / 2, oy = this.H / 2;
      for (let i = 0; i < n; i++) { sx[i] = (coords[2 * i] - cx) * s + ox; sy[i] = oy - (coords[2 * i + 1] - cy) * s; }
      return;
    }
    const { yaw, pitch, zoom, px, py } = this.cam, d = this.dims;
    const cyw = Math.cos(yaw), syw = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
    const S = zoom * Math.min(this.W, this.H) * 0.36, D = 3.5, inv = 1 / this.half;
    const [mx, my, mz] = this.mid, ox = this.W / 2 + px * dpr, oy = this.H / 2 + py * dpr;
    this.sz ||= new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = (coords[i * d] - mx) * inv, y = (coords[i * d + 1] - my) * inv, z = (coords[i * d + 2] - mz) * inv;
      const x1 = x * cyw + z * syw, z1 = -x * syw + z * cyw;
      const y2 = y * cp - z1 * sp, z2 = y * sp + z1 * cp;
      const f = D / (D - z2);
      sx[i] = ox + x1 * f * S;
      sy[i] = oy - y2 * f * S;
      this.sz[i] = z2; // towards the viewer is positive
    }
  }

  // screen (CSS px) of a data point, for tests and the hover ring
  toScreen(i) { return [this.sx[i] / this.dpr, this.sy[i] / this.dpr]; }

  // -- drawing -------------------------------------------------------------------------------
  request() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => { this.pending = 0; this.draw(); });
  }

  draw() {
    const t0 = performance.now();
    this.project();
    const { buf, W, H, n, cat, hidden, offsets, reach, sx, sy } = this;
    buf.fill(pack(BG));
    const sel = this.selected, pal = this.pal, alpha = this.alpha, A = Math.round(alpha * 256), IA = 256 - A;
    if (this.is3d) this.depth.fill(-Infinity);
    for (let pass = sel ? 0 : 1; pass < 2; pass++) {
      if (sel && pass === 1 && this.is3d) this.depth.fill(-Infinity); // the selection stays on top
      const colors = sel && pass === 0 ? this.dim : pal;
      for (let i = 0; i < n; i++) {
        const k = cat[i];
        if (hidden[k] || (sel && (sel[i] === 1) !== (pass === 1))) continue;
        const x = sx[i] | 0, y = sy[i] | 0;
        if (x < reach || y < reach || x >= W - reach || y >= H - reach) continue;
        const at = y * W + x;
        if (this.is3d) {
          const z = this.sz[i], level = Math.max(0, Math.min(FOG - 1, ((1 - z) * FOG) / 2.4 | 0));
          const c = sel && pass === 0 ? colors[k] : this.fog[level][k], depth = this.depth;
          for (let o = 0; o < offsets.length; o++) {
            const p = at + offsets[o];
            if (z >= depth[p]) { depth[p] = z; buf[p] = c; }
          }
        } else if (alpha >= 1) {
          const c = colors[k];
          for (let o = 0; o < offsets.length; o++) buf[at + offsets[o]] = c;
        } else { // source-over with one alpha: red+blue and green blended as two fixed-point lanes
          const c = colors[k], crb = Math.imul(c & 0xff00ff, A), cg = (c & 0xff00) * A; // int32 lanes (imul wraps)
          for (let o = 0; o < offsets.length; o++) {
            const p = at + offsets[o], q = buf[p];
            buf[p] = 0xff000000 | (((Math.imul(q & 0xff00ff, IA) + crb) >>> 8) & 0xff00ff) | ((((q & 0xff00) * IA + cg) >>> 8) & 0xff00);
          }
        }
      }
    }
    this.ctx.putImageData(this.image, 0, 0);
    this.drawOverlay();
    const ms = performance.now() - t0;
    this.drawTimes.push(ms);
    if (this.drawTimes.length > 600) this.drawTimes.splice(0, 300);
    return ms;
  }

  drawOverlay() {
    const g = this.octx, dpr = this.dpr;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, this.W, this.H);
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (this.is3d) { this.drawBox(g); this.drawAxes(g); }
    if (this.hover >= 0) {
      const [x, y] = this.toScreen(this.hover);
      g.lineWidth = 2;
      g.strokeStyle = "#111";
      g.beginPath();
      g.arc(x, y, this.size + 4, 0, 2 * Math.PI);
      g.stroke();
    }
    const d = this.drag;
    if (d && d.kind === "box") {
      g.fillStyle = "rgba(9, 105, 218, .10)";
      g.strokeStyle = "#0969da";
      g.lineWidth = 1;
      const [x, y, w, hh] = [Math.min(d.x0, d.x1), Math.min(d.y0, d.y1), Math.abs(d.x1 - d.x0), Math.abs(d.y1 - d.y0)];
      g.fillRect(x, y, w, hh);
      g.strokeRect(x + 0.5, y + 0.5, w, hh);
    } else if (d && d.kind === "lasso" && d.path.length > 1) {
      g.fillStyle = "rgba(9, 105, 218, .10)";
      g.strokeStyle = "#0969da";
      g.setLineDash([4, 3]);
      g.beginPath();
      d.path.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
      g.closePath();
      g.fill();
      g.stroke();
      g.setLineDash([]);
    }
  }

  // CSS px of a normalized 3-D point under the current camera (the projection of project())
  project3(x, y, z) {
    const { yaw, pitch, zoom, px, py } = this.cam;
    const x1 = x * Math.cos(yaw) + z * Math.sin(yaw), z1 = -x * Math.sin(yaw) + z * Math.cos(yaw);
    const y2 = y * Math.cos(pitch) - z1 * Math.sin(pitch), z2 = y * Math.sin(pitch) + z1 * Math.cos(pitch);
    const f = 3.5 / (3.5 - z2), S = (zoom * Math.min(this.W, this.H) * 0.36) / this.dpr;
    return [this.cssW / 2 + px + x1 * f * S, this.cssH / 2 + py - y2 * f * S];
  }

  drawBox(g) { // the data's bounding box, faint, so the orbit reads as a solid
    const e = this.lo.map((v, d) => (this.hi[d] - v) / 2 / this.half);
    const corner = (i) => this.project3((i & 1 ? 1 : -1) * e[0], (i & 2 ? 1 : -1) * e[1], (i & 4 ? 1 : -1) * e[2]);
    g.strokeStyle = "rgba(0, 0, 0, .13)";
    g.lineWidth = 1;
    g.beginPath();
    for (let i = 0; i < 8; i++) {
      for (const bit of [1, 2, 4]) {
        if (i & bit) continue;
        const [a, b] = [corner(i), corner(i | bit)];
        g.moveTo(a[0], a[1]);
        g.lineTo(b[0], b[1]);
      }
    }
    g.stroke();
  }

  drawAxes(g) {
    const { yaw, pitch } = this.cam;
    const cyw = Math.cos(yaw), syw = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
    const ox = 34, oy = this.cssH - 34, L = 22;
    g.font = "11px system-ui, sans-serif";
    g.lineWidth = 1.5;
    for (const [name, v, color] of [["x", [1, 0, 0], "#cf222e"], ["y", [0, 1, 0], "#1a7f37"], ["z", [0, 0, 1], "#0969da"]]) {
      const x1 = v[0] * cyw + v[2] * syw, z1 = -v[0] * syw + v[2] * cyw, y2 = v[1] * cp - z1 * sp;
      g.strokeStyle = g.fillStyle = color;
      g.beginPath();
      g.moveTo(ox, oy);
      g.lineTo(ox + x1 * L, oy - y2 * L);
      g.stroke();
      g.fillText(name, ox + x1 * (L + 7) - 3, oy - y2 * (L + 7) + 4);
    }
  }

  // -- hover and selection ---------------------------------------------------------------------
  nearest(cssX, cssY) {
    const mx = cssX * this.dpr, my = cssY * this.dpr, R = HOVER_PX * this.dpr;
    let best = -1, bd = R * R;
    const test = (i) => {
      if (this.hidden[this.cat[i]]) return;
      const dx = this.sx[i] - mx, dy = this.sy[i] - my, dd = dx * dx + dy * dy;
      if (dd < bd || (dd === bd && this.is3d && best >= 0 && this.sz[i] > this.sz[best])) { bd = dd; best = i; }
    };
    if (this.is3d || !this.grid) { for (let i = 0; i < this.n; i++) test(i); return best; }
    const { G, fx, fy, start, items } = this.grid, s = this.view.scale * this.dpr;
    const x = (mx - this.W / 2) / s + this.view.cx, y = (this.H / 2 - my) / s + this.view.cy, r = R / s;
    const gx0 = Math.max(0, Math.floor((x - r - this.lo[0]) * fx)), gx1 = Math.min(G - 1, Math.floor((x + r - this.lo[0]) * fx));
    const gy0 = Math.max(0, Math.floor((y - r - this.lo[1]) * fy)), gy1 = Math.min(G - 1, Math.floor((y + r - this.lo[1]) * fy));
    for (let gy = gy0; gy <= gy1; gy++) for (let gx = gx0; gx <= gx1; gx++) {
      const c = gy * G + gx;
      for (let j = start[c]; j < start[c + 1]; j++) test(items[j]);
    }
    return best;
  }

  setHover(i, evt) {
    if (i === this.hover) { if (i >= 0) this.onHover(i, evt); return; }
    this.hover = i;
    this.drawOverlay();
    this.onHover(i, evt);
  }

  // points inside a CSS-px rectangle, or inside a lasso polygon (through a rasterized mask)
  selectBox(x0, y0, x1, y1, add = false) {
    const [a, b, c, d] = [Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1)].map((v) => v * this.dpr);
    return this.applySelection((i) => this.sx[i] >= a && this.sx[i] <= c && this.sy[i] >= b && this.sy[i] <= d, add);
  }

  selectLasso(path, add = false) {
    const mask = document.createElement("canvas");
    mask.width = this.W;
    mask.height = this.H;
    const g = mask.getContext("2d", { willReadFrequently: true });
    g.scale(this.dpr, this.dpr);
    g.beginPath();
    path.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
    g.closePath();
    g.fill();
    const alpha = g.getImageData(0, 0, this.W, this.H).data, W = this.W, H = this.H;
    return this.applySelection((i) => {
      const x = this.sx[i] | 0, y = this.sy[i] | 0;
      return x >= 0 && y >= 0 && x < W && y < H && alpha[(y * W + x) * 4 + 3] > 127;
    }, add);
  }

  applySelection(inside, add) {
    const sel = add && this.selected ? this.selected : new Uint8Array(this.n);
    let count = 0;
    for (let i = 0; i < this.n; i++) {
      if (!this.hidden[this.cat[i]] && inside(i)) sel[i] = 1;
      count += sel[i];
    }
    this.selected = count ? sel : null;
    this.request();
    this.onSelect(this.selection());
    return count;
  }

  clearSelection() { this.selected = null; this.request(); this.onSelect([]); }

  selection() {
    const out = [];
    if (this.selected) for (let i = 0; i < this.n; i++) if (this.selected[i]) out.push(i);
    return out;
  }

  // -- pointer and wheel ----------------------------------------------------------------------
  listen() {
    const el = this.overlay, pointers = new Map();
    const local = (e) => { const r = el.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
    el.addEventListener("pointerdown", (e) => {
      el.setPointerCapture(e.pointerId);
      const [x, y] = local(e);
      pointers.set(e.pointerId, [x, y]);
      if (pointers.size === 2) { this.drag = { kind: "pinch", last: [...pointers.values()] }; return; }
      const kind = this.mode === "pan" ? (e.shiftKey ? "box" : this.is3d && !e.altKey ? "orbit" : "pan") : this.mode;
      this.drag = { kind, x0: x, y0: y, x1: x, y1: y, path: [[x, y]], add: e.shiftKey && this.mode !== "pan" };
      this.setHover(-1);
    });
    el.addEventListener("pointermove", (e) => {
      const [x, y] = local(e);
      const d = this.drag;
      if (!d) { this.setHover(this.nearest(x, y), e); return; }
      const prev = pointers.get(e.pointerId);
      pointers.set(e.pointerId, [x, y]);
      if (d.kind === "pinch" && pointers.size === 2) {
        const [a, b] = [...pointers.values()], [a0, b0] = d.last;
        const dist = (p, q) => Math.hypot(p[0] - q[0], p[1] - q[1]) || 1;
        const mid = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2], mid0 = [(a0[0] + b0[0]) / 2, (a0[1] + b0[1]) / 2];
        this.zoomAt(mid[0], mid[1], dist(a, b) / dist(a0, b0));
        this.panBy(mid[0] - mid0[0], mid[1] - mid0[1]);
        d.last = [a, b];
        return;
      }
      if (!prev) return;
      if (d.kind === "pan") this.panBy(x - prev[0], y - prev[1]);
      else if (d.kind === "orbit") this.orbitBy(x - prev[0], y - prev[1]);
      else { d.x1 = x; d.y1 = y; if (d.kind === "lasso") d.path.push([x, y]); this.drawOverlay(); }
    });
    const end = (e) => {
      pointers.delete(e.pointerId);
      const d = this.drag;
      if (!d || pointers.size) return;
      this.drag = null;
      const moved = Math.hypot(d.x1 - d.x0, d.y1 - d.y0) > 3;
      if (d.kind === "box" && moved) this.selectBox(d.x0, d.y0, d.x1, d.y1, d.add);
      else if (d.kind === "lasso" && d.path.length > 2) this.selectLasso(d.path, d.add);
      else if (!moved && e.pointerType !== "mouse") this.setHover(this.nearest(d.x0, d.y0), e); // a tap: read-out
      else this.drawOverlay();
    };
    el.addEventListener("pointerup", end);
    el.addEventListener("pointercancel", end);
    el.addEventListener("pointerleave", () => { if (!this.drag) this.setHover(-1); });
    el.addEventListener("wheel", (e) => {
      e.preventDefault();
      const [x, y] = local(e);
      this.zoomAt(x, y, Math.exp(-e.deltaY * (e.deltaMode ? 0.05 : 0.0015)));
    }, { passive: false });
    el.addEventListener("dblclick", () => this.reset());
  }

  panBy(dx, dy) {
    if (this.is3d) { this.cam.px += dx; this.cam.py += dy; } else {
      this.view.cx -= dx / this.view.scale;
      this.view.cy += dy / this.view.scale;
    }
    this.request();
  }

  orbitBy(dx, dy) {
    this.cam.yaw += dx * 0.01;
    this.cam.pitch = Math.max(-1.5, Math.min(1.5, this.cam.pitch + dy * 0.01));
    this.request();
  }

  zoomAt(x, y, f) {
    if (this.is3d) { this.cam.zoom = Math.max(0.2, Math.min(40, this.cam.zoom * f)); this.request(); return; }
    const v = this.view, s1 = Math.max(1e-9, v.scale * f);
    const dx = x - this.cssW / 2, dy = y - this.cssH / 2; // keep the data point under the cursor in place
    v.cx += dx / v.scale - dx / s1;
    v.cy -= dy / v.scale - dy / s1;
    v.scale = s1;
    this.request();
  }

  destroy() { cancelAnimationFrame(this.pending); this.canvas.remove(); this.overlay.remove(); }
}
