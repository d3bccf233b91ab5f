// Canvas drawings of histograms over time: overlapping ridges (offset view) and a
// step x value heatmap, both on one common value range. Value axes have nice ticks (axis.js); the
// left margin fits the widest label and edge labels are moved in, so no label is cut. What each
// canvas wrote is kept in its data-labels attribute ([{ axis, text, left, right }], CSS pixels).
//   ridges(canvas, hists, color); heatmap(canvas, hists)

import { fitLabel, niceTicks, tickLabels } from "./axis.js";

const PAD = { r: 10, t: 8, b: 22 };

export function setup(canvas, height) {
  const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth || 400;
  canvas.width = w * dpr; canvas.height = height * dpr; canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  ctx.scale(dpr, dpr);
  ctx.font = "11px system-ui, sans-serif";
  return { ctx, w, h: height };
}

export function range(hists) {
  let lo = Infinity, hi = -Infinity;
  for (const e of hists) { if (Number.isFinite(e.lo)) lo = Math.min(lo, e.lo); if (Number.isFinite(e.hi)) hi = Math.max(hi, e.hi); }
  if (!(hi > lo)) { hi = lo + 1; }
  return [lo, hi];
}

// Text at a left edge, recorded for the tests (and anyone inspecting the canvas).
function label(ctx, out, axis, text, left, y) {
  ctx.textAlign = "left";
  ctx.fillText(text, left, y);
  out.push({ axis, text, left: Math.round(left * 10) / 10, right: Math.round((left + ctx.measureText(text).width) * 10) / 10 });
}

// Nice value ticks along x (the ridges' value axis), each label kept inside the canvas.
function valueAxis(ctx, out, lo, hi, x0, x1, y, w) {
  ctx.fillStyle = "#6b6b73";
  const { ticks, step } = niceTicks(lo, hi, Math.max(2, Math.floor((x1 - x0) / 70)));
  const texts = tickLabels(ticks, step);
  ticks.forEach((v, k) => {
    const x = x0 + (v - lo) / (hi - lo) * (x1 - x0), tw = ctx.measureText(texts[k]).width;
    ctx.fillRect(x, y - 14, 1, 3);
    label(ctx, out, "value", texts[k], fitLabel(x, tw, w), y);
  });
}

const widest = (ctx, texts) => Math.max(0, ...texts.map((t) => ctx.measureText(t).width));

export function ridges(canvas, hists, color) {
  const { ctx, w, h } = setup(canvas, 260);
  const [lo, hi] = range(hists), n = hists.length, out = [];
  const shownStep = (i) => i === 0 || i === n - 1 || (n > 6 && i % Math.ceil(n / 5) === 0);
  const x0 = Math.ceil(widest(ctx, hists.filter((_, i) => shownStep(i)).map((e) => String(e.step))) + 12);
  const x1 = w - PAD.r, top = PAD.t + 40, bottom = h - PAD.b;
  const gap = n > 1 ? (bottom - top) / (n - 1) : 0;
  let peak = 0;
  for (const e of hists) for (const c of e.counts) peak = Math.max(peak, c);
  const X = (v) => x0 + (v - lo) / (hi - lo) * (x1 - x0);
  ctx.lineWidth = 1;
  hists.forEach((e, i) => {
    const base = top + i * gap, bins = e.counts.length, bw = (e.hi - e.lo) / bins;
    ctx.beginPath();
    ctx.moveTo(X(e.lo), base);
    e.counts.forEach((c, j) => ctx.lineTo(X(e.lo + (j + 0.5) * bw), base - (peak ? c / peak : 0) * 40));
    ctx.lineTo(X(e.hi), base);
    ctx.closePath();
    ctx.globalAlpha = 0.25 + 0.6 * (n > 1 ? i / (n - 1) : 1);
    ctx.fillStyle = "#fff"; ctx.fill();
    ctx.strokeStyle = color; ctx.stroke();
    ctx.globalAlpha = 1;
    if (shownStep(i)) {
      ctx.fillStyle = "#6b6b73";
      label(ctx, out, "step", String(e.step), x0 - 6 - ctx.measureText(String(e.step)).width, base + 3);
    }
  });
  valueAxis(ctx, out, lo, hi, x0, x1, h - 6, w);
  canvas.dataset.labels = JSON.stringify(out);
}

const STOPS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]]; // viridis

function viridis(t) {
  const x = Math.max(0, Math.min(1, t)) * (STOPS.length - 1), i = Math.min(STOPS.length - 2, Math.floor(x)), f = x - i;
  const c = STOPS[i].map((a, k) => Math.round(a + (STOPS[i + 1][k] - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

// Re-bin every histogram onto `rows` equal bins over the common range (each source bin's
// count is shared among the rows it overlaps, in proportion to the overlap).
export function grid(hists, rows = 64) {
  const [lo, hi] = range(hists), cell = (hi - lo) / rows;
  const m = hists.map((e) => {
    const col = new Float64Array(rows), bw = (e.hi - e.lo) / e.counts.length;
    e.counts.forEach((c, j) => {
      if (!Number.isFinite(c) || !c) return;
      const a = e.lo + j * bw, b = a + bw;
      if (!(bw > 0)) { col[Math.min(rows - 1, Math.max(0, Math.floor((a - lo) / cell)))] += c; return; }
      for (let r = Math.max(0, Math.floor((a - lo) / cell)); r < rows && lo + r * cell < b; r++) {
        const ov = Math.min(b, lo + (r + 1) * cell) - Math.max(a, lo + r * cell);
        if (ov > 0) col[r] += c * ov / bw;
      }
    });
    return col;
  });
  return { lo, hi, rows, m };
}

export function heatmap(canvas, hists) {
  const { ctx, w, h } = setup(canvas, 260);
  const g = grid(hists), n = hists.length, out = [];
  const { ticks, step } = niceTicks(g.lo, g.hi, 4), texts = tickLabels(ticks, step);
  const x0 = Math.ceil(widest(ctx, texts) + 10), x1 = w - PAD.r, y0 = PAD.t, y1 = h - PAD.b;
  let peak = 0;
  for (const col of g.m) for (const c of col) peak = Math.max(peak, c);
  const cw = (x1 - x0) / Math.max(1, n), rh = (y1 - y0) / g.rows;
  g.m.forEach((col, i) => col.forEach((c, r) => {
    ctx.fillStyle = c > 0 ? viridis(Math.sqrt(c / peak)) : "#f4f4f6";
    ctx.fillRect(x0 + i * cw, y1 - (r + 1) * rh, Math.ceil(cw), Math.ceil(rh));
  }));
  ctx.fillStyle = "#6b6b73";
  ticks.forEach((v, k) => { // value ticks on the left, each at its row's height
    const y = y1 - (v - g.lo) / (g.hi - g.lo || 1) * (y1 - y0);
    ctx.fillRect(x0 - 3, y, 3, 1);
    label(ctx, out, "value", texts[k], x0 - 5 - ctx.measureText(texts[k]).width, Math.min(h - PAD.b + 3, Math.max(9, y + 3)));
  });
  for (const i of new Set([0, Math.floor((n - 1) / 2), n - 1])) {
    if (!hists[i]) continue;
    const t = String(hists[i].step);
    label(ctx, out, "step", t, fitLabel(x0 + (i + 0.5) * cw, ctx.measureText(t).width, w), h - 6);
  }
  canvas.dataset.labels = JSON.stringify(out);
  return { g, x0, x1, y0, y1, cw, rh };
}
