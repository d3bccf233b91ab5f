// One chart of the Scalars panel: a key, every selected run overlaid (or grouped as mean ± std);
// one rank of each run (opts.rank), or with opts.rank "all" every rank: rank 0 solid, the others dashed.
// Zoom (drag), pan (shift+drag), ctrl+wheel zoom and double-click reset re-query the server
// for the visible range at the chart's pixel width (min/max per bucket: spikes stay visible).
// Smoothing (TensorBoard's debiased EMA) never hides the data: the raw values stay drawn under the
// smoothed line, and a sparse series (fewer than SPARSE points) is drawn as logged unless
// opts.smoothSparse.
// A custom chart (an add_custom_scalars layout's, see custom.js) draws several keys: `spec` { type:
// "multiline" | "margin", title, tip(keys) (the title's tooltip), keys }. Multiline: every key of every run overlaid, each named
// "key · run" (one run: a colour per key; several: the run's colour, or with several keys a colour per
// key and a dash per run). Margin: keys [value, lower, upper]: the value line and a shaded uPlot band
// from lower to upper, per run (not smoothed, not grouped).
//   const c = new ScalarChart("train/loss", api, opts, { onPin }); grid.append(c.card); c.load();
//   const m = new ScalarChart("custom:0/1", api, opts, { spec: { type: "margin", title, tip, keys: [v, lo, hi] } });

import uPlot from "../../static/vendor/uPlot.esm.js";
import { debounce, flatten, fmtDuration, fmtNum, h } from "../../static/dom.js";
import { align, ema, groupStats, nearest, unionX } from "./series.js";

const HEIGHT = 220;
const DENSE_RUNS = 12; // more runs in one chart: drawn lighter (see build)
export const SPARSE = 64; // fewer points than this: not smoothed by default, each point marked
const finite = (v) => (v === null || !Number.isFinite(v) ? null : v);
// the line of rank r when every rank is drawn: rank 0 solid, the others dashed, each its own way
const DASHES = [[6, 3], [2, 2], [8, 3, 2, 3], [4, 4, 1, 4], [10, 4]];
const dashOf = (r) => (r > 0 ? DASHES[(r - 1) % DASHES.length] : undefined);
const keyColor = (i) => `hsl(${Math.round(i * 137.508 + 210) % 360} 70% ${i % 2 ? 36 : 44}%)`; // a custom chart's i-th key

export class ScalarChart {
  constructor(key, api, opts, { onPin, spec } = {}) {
    Object.assign(this, { key, api, opts, spec, keys: spec ? spec.keys : [key], range: null, series: [], u: null, seq: 0, appended: 0 });
    const file = `${key.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80) || "scalars"}.csv`; // as the server names it
    // (a custom chart draws several keys: no one CSV; each key's own chart has its CSV)
    this.csv = h("a", { class: "small csv", download: file, title: "every stored point of the visible range", hidden: !!spec }, "CSV");
    this.plot = h("div", { class: "plot" });
    this.readEl = h("div", { class: "readout" });
    this.pin = onPin && h("button", { class: "small pin", "aria-pressed": "false", title: "pin this chart to the top",
      onclick: () => onPin(key) }, "pin");
    this.card = h("div", { class: `card${spec ? " custom" : ""}`, dataset: { key, state: "idle", ...(spec ? { custom: spec.type } : {}) } },
      h("h3", {}, this.titleEl = h("span", { class: "title", title: spec ? spec.tip(this.keys) : key }, spec ? spec.title : key), this.pin, this.csv,
        h("button", { class: "small reset", title: "show everything (or double-click)", onclick: () => this.reset() }, "reset")),
      this.plot, this.readEl);
    this.requery = debounce(() => this.load(), 150);
    this.reloadSoon = debounce(() => this.load(), 1000);
    this.liveTimer = null; // a re-read for live points of a rank other than 0 (see onLive)
    this.resizer = new ResizeObserver(() => this.u?.setSize({ width: this.width(), height: HEIGHT }));
    this.resizer.observe(this.plot);
  }

  width() { return Math.max(200, this.plot.clientWidth || 400); }

  // A custom chart's keys (the layout's regexes matched again when keys arrive): reloaded when they changed.
  setKeys(keys) {
    if (keys.length === this.keys.length && keys.every((k, i) => k === this.keys[i])) return;
    this.keys = keys;
    this.titleEl.title = this.spec.tip(keys);
    if (this.u || this.loaded) this.load();
  }

  async load() {
    const runs = this.api.runs();
    const byId = new Map(runs.map((r) => [r.id, r]));
    const rank = this.opts.rank || undefined; // rank 0 is the server's default: left out, as before ranks existed
    const params = { run: runs.map((r) => r.id), x: this.opts.x, buckets: bucketCount(this.width()), rank };
    if (this.range) [params.lo, params.hi] = this.range;
    if (!this.spec) this.csv.href = this.api.url("scalars/csv", { key: this.key, run: params.run, x: params.x, lo: params.lo, hi: params.hi, rank });
    const seq = ++this.seq, keys = this.keys;
    if (!keys.length) { // a custom chart whose regexes match no key (yet)
      this.u?.destroy(); this.u = null; this.sig = null; this.series = [];
      this.plot.replaceChildren(h("div", { class: "note" }, "No scalar key matches this chart's tags."));
      this.card.dataset.state = "empty";
      return;
    }
    this.card.dataset.state = "loading";
    let frames;
    try { frames = await Promise.all(keys.map((key) => this.api.binary("scalars/series", { ...params, key }))); } catch (e) {
      if (seq !== this.seq) return;
      this.card.dataset.state = "error";
      this.plot.replaceChildren(h("div", { class: "error" }, `Could not load ${this.spec ? this.spec.title : this.key}: ${e.message}`));
      return;
    }
    if (seq !== this.seq) return; // a newer request is on its way
    const order = new Map(runs.map((r, i) => [r.id, i]));
    this.series = frames.flatMap((frame, ki) => frame.runs.filter((r) => byId.has(r.run))
      .map((r) => this.toRun(r, byId.get(r.run), keys[ki], ki, order.get(r.run))));
    this.appended = 0;
    this.draw(!this.range);
  }

  toRun(r, run, key = this.key, ki = 0, ri = 0) {
    const c = r.cols, shift = this.opts.x === "relative" ? run.created : 0;
    const xs = Array.from(this.opts.x === "step" ? c.step : c.wall_time, (v) => v - shift);
    const rank = r.rank ?? 0, every = this.opts.rank === "all";
    const who = every ? `${run.name} · rank ${rank}` : run.name;
    let name = who, dash = every ? dashOf(rank) : undefined, color = run.color;
    if (this.spec) { // several keys: each line says its key and its run
      name = `${key} · ${name}`;
      if (this.spec.type === "multiline" && this.keys.length > 1) {
        color = keyColor(ki);
        if (!every && this.api.runs().length > 1) dash = ri > 0 ? DASHES[(ri - 1) % DASHES.length] : undefined;
      }
    }
    return { id: run.id, key, rank, name, who, dash,
      color, created: run.created, total: r.total,
      downsampled: r.downsampled, xs, ys: Array.from(c.value), mins: Array.from(c.min), maxs: Array.from(c.max),
      steps: Array.from(c.step), info: { tags: run.tags, flat: flatten(run.config) } };
  }

  setPinned(on) {
    if (!this.pin) return;
    this.pin.textContent = on ? "unpin" : "pin";
    this.pin.setAttribute("aria-pressed", String(on));
    this.pin.title = on ? "unpin: back to its section" : "pin this chart to the top";
    this.card.classList.toggle("pinned", on);
  }

  prepared() {
    const { smoothing, logX, logY, smoothSparse } = this.opts;
    const pos = (v) => (logY && !(v > 0) ? null : finite(v));
    return this.series.map((s) => {
      const keep = logX ? s.xs.map((x) => x > 0) : null;
      const pick = (a) => (keep ? a.filter((_, i) => keep[i]) : a);
      const xs = pick(s.xs), ys = pick(s.ys), raw = ys.map(pos);
      // a series with few points is drawn as logged: an average of a handful of values lags far behind them
      const smoothed = smoothing > 0 && this.spec?.type !== "margin" && (smoothSparse || Math.max(s.total ?? 0, s.xs.length) >= SPARSE);
      return { ...s, xs, ys, px: xs, raw, lo: pick(s.mins).map(pos), hi: pick(s.maxs).map(pos), smoothed,
        smooth: smoothed ? ema(ys, smoothing).map(pos) : raw, bad: xs.filter((_, i) => !Number.isFinite(ys[i])) };
    });
  }

  build() {
    const runs = this.prepared();
    this.view = runs;
    const { x, snap } = unionX(runs.map((r) => r.xs), this.width());
    const data = [x], series = [{}], bands = [];
    const add = (arr, cfg) => { data.push(arr); series.push({ spanGaps: true, points: { show: false }, ...cfg }); return data.length - 1; };
    this.margins = null;
    if (this.spec?.type === "margin") {
      // per run (and rank): the value line, and a band from the lower to the upper key
      const [vk, lk, hk] = this.keys;
      const of = new Map(runs.map((r) => [`${r.key}\u0000${r.id}\u0000${r.rank}`, r]));
      const line = (r) => (r ? align(x, snap, r.xs, [r.raw])[0] : new Array(x.length).fill(null));
      this.margins = [];
      for (const v of runs.filter((r) => r.key === vk)) {
        const at = (k) => of.get(`${k}\u0000${v.id}\u0000${v.rank}`);
        const name = v.who, color = v.color;
        const hi = add(line(at(hk)), { label: `${name} ${hk}`, stroke: fade(color, 0.45), width: 1, dash: v.dash });
        const lo = add(line(at(lk)), { label: `${name} ${lk}`, stroke: fade(color, 0.45), width: 1, dash: v.dash });
        const val = add(line(v), { label: `${name} ${vk}`, stroke: color, width: 2, main: true, dash: v.dash,
          points: { show: v.xs.length < SPARSE, size: 5, fill: color } });
        if (at(hk) && at(lk)) bands.push({ series: [hi, lo], fill: fade(color, 0.2) });
        this.margins.push({ id: v.id, rank: v.rank, name, color, dash: v.dash, val, lo, hi });
      }
    } else if (this.opts.groupBy && !this.spec) {
      this.groups = groupRuns(runs, this.opts.groupBy);
      for (const g of this.groups) {
        const stats = groupStats(g.runs.map((r) => align(x, snap, r.xs, [r.smooth])[0]));
        g.stats = stats;
        const hi = add(stats.hi, { label: `${g.label} +std`, stroke: "transparent", width: 0 });
        const lo = add(stats.lo, { label: `${g.label} -std`, stroke: "transparent", width: 0 });
        add(stats.mean, { label: g.label, stroke: g.color, width: 2, main: true });
        bands.push({ series: [hi, lo], fill: g.fill });
      }
    } else {
      // many runs: one-pixel lines and unfilled bands (a canvas rasterizes hairlines several times
      // faster than wider strokes and filled polygons, and a hundred filled bands are only a blur)
      const dense = runs.length > DENSE_RUNS;
      for (const r of runs) {
        const [raw, lo, hi, sm] = align(x, snap, r.xs, [r.raw, r.lo, r.hi, r.smooth]);
        const smooth = r.smoothed;
        if (r.downsampled) {
          // the bucket's min..max as one outlined polygon (thin edges: a lone spike stays visible);
          // its own min column is a series that only sets the y range
          add(hi, { label: `${r.name} min..max`, stroke: fade(r.color, smooth ? 0.3 : 0.45), width: dense ? 1 : 0.75, dash: r.dash,
            fill: dense ? null : fade(r.color, smooth ? 0.08 : 0.15), paths: envelope(lo) });
          add(lo, { label: `${r.name} min`, paths: () => null });
        }
        // raw values: always drawn (faint under a smoothed line; a dense chart's bands show them already)
        if (!(smooth && r.downsampled && dense)) {
          add(raw, { label: r.name, stroke: smooth ? fade(r.color, 0.35) : r.color, width: smooth ? 1 : 1.5, main: !smooth,
            dash: r.dash, points: { show: r.xs.length < SPARSE, size: 5, fill: r.color } });
        }
        if (smooth) add(sm, { label: `${r.name} (smoothed)`, stroke: r.color, width: dense ? 1 : 1.5, main: true, dash: r.dash });
      }
    }
    return { data, series, bands };
  }

  draw(resetScales = true) {
    const { data, series, bands } = this.build();
    const sig = JSON.stringify([series.map((s) => s.label), this.opts]);
    this.card.dataset.points = String(this.view.reduce((n, r) => n + r.xs.length, 0));
    if (this.u && sig === this.sig) {
      this.u.setData(data, resetScales);
      if (!resetScales && this.range) this.u.setScale("x", { min: this.range[0], max: this.range[1] });
      return;
    }
    this.sig = sig;
    this.u?.destroy();
    this.plot.replaceChildren();
    const opts = this.options(series, bands);
    this.u = new uPlot(opts, data, this.plot);
    if (this.range) this.u.setScale("x", { min: this.range[0], max: this.range[1] });
    window.torchscope?.charts.set(this.key, this);
  }

  options(series, bands) {
    const o = this.opts, xfmt = o.x === "relative" ? fmtDuration : fmtNum;
    const self = this;
    return {
      width: this.width(), height: HEIGHT, series, bands, legend: { show: false },
      scales: { x: { time: o.x === "wall_time", distr: o.logX ? 3 : 1, log: 10 }, y: { distr: o.logY ? 3 : 1, log: 10 } },
      axes: [o.x === "wall_time" ? {} : { values: (u, ticks) => ticks.map(xfmt) },
        { values: (u, ticks) => ticks.map(fmtNum), size: 60 }],
      cursor: {
        drag: { x: true, y: false, setScale: true },
        points: { show: (u, si) => (series[si]?.main ? cursorPoint(series[si].stroke) : null) },
        bind: {
          mousedown: (u, t, handler) => (e) => (e.shiftKey || e.button === 1 ? (self.pan(e), null) : handler(e)),
          dblclick: () => () => { self.reset(); return null; },
        },
      },
      hooks: {
        setSelect: [(u) => { if (u.select.width > 2) self.zoomTo(u.posToVal(u.select.left, "x"), u.posToVal(u.select.left + u.select.width, "x")); }],
        setCursor: [(u) => self.readout(u.cursor.idx)],
        draw: [(u) => { self.markBad(u); self.markStep(u); self.card.dataset.state = "drawn"; }],
        ready: [(u) => u.over.addEventListener("wheel", (e) => self.wheel(e), { passive: false })],
      },
    };
  }

  zoomTo(min, max) {
    if (!(max > min)) return;
    this.range = [min, max];
    this.requery();
  }

  reset() { this.range = null; this.load(); }

  pan(e) {
    const u = this.u, x0 = e.clientX, { min, max } = u.scales.x, per = (max - min) / u.over.clientWidth;
    let lo = min, hi = max;
    const move = (m) => { const d = (m.clientX - x0) * per; lo = min - d; hi = max - d; u.setScale("x", { min: lo, max: hi }); };
    const up = () => { removeEventListener("mousemove", move); removeEventListener("mouseup", up); this.zoomTo(lo, hi); };
    addEventListener("mousemove", move);
    addEventListener("mouseup", up);
  }

  wheel(e) {
    if (!(e.ctrlKey || e.altKey)) return; // plain wheel scrolls the page
    e.preventDefault();
    const u = this.u, at = u.posToVal(e.offsetX, "x"), f = e.deltaY > 0 ? 1.25 : 0.8;
    const lo = at - (at - u.scales.x.min) * f, hi = at + (u.scales.x.max - at) * f;
    u.setScale("x", { min: lo, max: hi });
    this.zoomTo(lo, hi);
  }

  readout(idx) {
    if (idx === null || idx === undefined || !this.u) { this.readEl.replaceChildren(h("span", { class: "note" }, "hover for values")); return; }
    const xv = this.u.data[0][idx], xfmt = this.opts.x === "relative" ? fmtDuration : this.opts.x === "wall_time" ? (t) => new Date(t * 1000).toLocaleTimeString() : fmtNum;
    const items = [];
    // a dashed rank's swatch is striped like its line
    const item = (id, color, label, text, rank, dash) => h("span", { class: "item", dataset: { run: id, rank: rank ?? "" } },
      h("span", { class: "swatch", style: { background: dash ? `repeating-linear-gradient(90deg, ${color} 0 3px, transparent 3px 5px)` : color } }),
      `${label}: `, h("b", {}, text));
    if (this.margins) {
      for (const m of this.margins) {
        const v = this.u.data[m.val][idx], lo = this.u.data[m.lo][idx], hi = this.u.data[m.hi][idx];
        if (v === null || v === undefined) continue;
        const band = lo !== null && lo !== undefined && hi !== null && hi !== undefined ? ` [${fmtNum(lo)} .. ${fmtNum(hi)}]` : "";
        items.push(item(m.id, m.color, m.name, `${fmtNum(v)}${band}`, m.rank, m.dash));
      }
    } else if (this.opts.groupBy && !this.spec) {
      for (const g of this.groups) {
        const m = g.stats.mean[idx];
        if (m !== null) items.push(item(g.label, g.color, `${g.label} (${g.runs.length})`, `${fmtNum(m)} ± ${fmtNum(g.stats.hi[idx] - m)}`));
      }
    } else {
      for (const r of this.view) {
        if (!r.xs.length || xv < r.xs[0] || xv > r.xs[r.xs.length - 1]) continue;
        const j = nearest(r.xs, xv);
        const text = r.smoothed ? `${fmtNum(r.smooth[j] ?? r.ys[j])} (${fmtNum(r.ys[j])})` : fmtNum(r.ys[j]);
        items.push(item(r.id, r.color, r.name, text, r.rank, r.dash));
      }
    }
    this.readEl.replaceChildren(h("span", { class: "x" }, `${this.opts.x === "step" ? "step " : ""}${xfmt(xv)}`), ...items);
  }

  markBad(u) { // NaN/Inf points (dropped from the lines) as red ticks on the top edge
    const ctx = u.ctx;
    ctx.save();
    ctx.fillStyle = "#cf222e";
    for (const r of this.view || []) for (const x of r.bad) {
      const px = u.valToPos(x, "x", true);
      if (px >= u.bbox.left && px <= u.bbox.left + u.bbox.width) ctx.fillRect(px - 1, u.bbox.top, 2, 8);
    }
    ctx.restore();
  }

  markStep(u) { // the step a deep link asked for (x axis = step): a dashed line
    if (this.mark === undefined || this.opts.x !== "step") return;
    const px = u.valToPos(this.mark, "x", true), ctx = u.ctx;
    if (!(px >= u.bbox.left && px <= u.bbox.left + u.bbox.width)) return;
    ctx.save();
    ctx.strokeStyle = "#ee4c2c"; ctx.lineWidth = 1.5 * (window.devicePixelRatio || 1); ctx.setLineDash([5, 4]);
    ctx.beginPath(); ctx.moveTo(px, u.bbox.top); ctx.lineTo(px, u.bbox.top + u.bbox.height); ctx.stroke();
    ctx.restore();
  }

  onLive(evt) {
    // live events carry rank 0's new points: another rank (or every rank) is read again instead, at
    // most once a second (a debounce would wait for a pause that steady training never makes)
    if (this.opts.rank !== 0) {
      if (!this.liveTimer) this.liveTimer = setTimeout(() => { this.liveTimer = null; this.load(); }, 1000);
      return;
    }
    const s = this.series.find((r) => r.id === evt.run && r.rank === 0 && r.key === evt.key);
    if (!s) { if (this.api.runs().some((r) => r.id === evt.run)) this.reloadSoon(); return; }
    const shift = this.opts.x === "relative" ? s.created : 0;
    const xs = this.opts.x === "step" ? evt.step : evt.wall_time;
    for (let i = 0; i < evt.step.length; i++) {
      const v = evt.value[i], x = xs[i] - shift;
      if (s.xs.length && x <= s.xs[s.xs.length - 1]) continue; // already have it
      s.xs.push(x); s.ys.push(v); s.mins.push(v); s.maxs.push(v); s.steps.push(evt.step[i]);
      this.appended += 1;
    }
    if (this.appended > 2 * this.width()) this.reloadSoon(); // too fine now: re-bucket
    if (!this.range) this.draw(true);
  }

  destroy() { this.seq += 1; clearTimeout(this.liveTimer); this.resizer.disconnect(); this.u?.destroy(); this.u = null; }
}

// uPlot path builder for a min..max band: forward along the max series, back along `lo`, closed;
// one path both filled and stroked (cheaper to draw than two lines and a clipped band).
function envelope(lo) {
  return (u, si, i0, i1) => {
    const xs = u.data[0], hi = u.data[si], p = new Path2D();
    const X = (i) => u.valToPos(xs[i], "x", true);
    let first = true;
    for (let i = i0; i <= i1; i++) if (hi[i] !== null) { const y = u.valToPos(hi[i], "y", true); first ? p.moveTo(X(i), y) : p.lineTo(X(i), y); first = false; }
    for (let i = i1; i >= i0; i--) if (lo[i] !== null) p.lineTo(X(i), u.valToPos(lo[i], "y", true));
    p.closePath();
    return { stroke: p, fill: p, clip: null, band: null, gaps: null, flags: 0 };
  };
}

// The hover marker of a main line (the bands and min series get none: fewer elements to lay out).
function cursorPoint(color) {
  const el = document.createElement("div");
  Object.assign(el.style, { width: "8px", height: "8px", marginLeft: "-4px", marginTop: "-4px",
    border: `2px solid ${color}`, background: "#fff" });
  return el;
}

// One bucket per device pixel (at most 2 per CSS pixel), rounded up to a multiple of 256 so that
// charts of similar widths ask the same question and the server's cache answers (see warm.py).
export function bucketCount(width) {
  return Math.ceil((width * Math.min(2, window.devicePixelRatio || 1)) / 256) * 256;
}

function fade(color, a) { return color.replace(")", ` / ${a})`); }

function groupRuns(runs, by) {
  const groups = new Map();
  for (const r of runs) {
    const info = r.info || {};
    const label = by === "tags" ? (info.tags || []).join(", ") || "(no tags)" : `${by.slice(7)}=${String(info.flat?.[by.slice(7)] ?? "–")}`;
    if (!groups.has(label)) groups.set(label, []);
    groups.get(label).push(r);
  }
  return [...groups.entries()].map(([label, rs], i) => {
    const hue = Math.round(i * 137.508) % 360;
    return { label, runs: rs, color: `hsl(${hue} 70% 42%)`, fill: `hsl(${hue} 70% 42% / 0.18)` };
  });
}
