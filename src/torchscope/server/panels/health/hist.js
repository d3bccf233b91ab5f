// One histogram as bars on a canvas (a layer's weights or gradients at one step), value axis below.
//   drawHistogram(canvas, { lo, hi, counts }, "#0969da");

import { fmtNum } from "../../static/dom.js";

const PAD = { l: 8, r: 8, t: 6, b: 18 };

export function drawHistogram(canvas, hist, color, height = 96) {
  const dpr = window.devicePixelRatio || 1, w = Math.max(160, canvas.clientWidth || 260);
  canvas.width = Math.round(w * dpr); canvas.height = Math.round(height * dpr); canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, height);
  const counts = hist.counts, n = counts.length, top = Math.max(1, ...counts.filter(Number.isFinite));
  const x0 = PAD.l, x1 = w - PAD.r, y1 = height - PAD.b, bw = (x1 - x0) / Math.max(1, n);
  ctx.fillStyle = color;
  for (let i = 0; i < n; i++) {
    const hgt = (counts[i] / top) * (y1 - PAD.t);
    if (hgt > 0) ctx.fillRect(x0 + i * bw, y1 - hgt, Math.max(1, bw - 0.5), hgt);
  }
  ctx.strokeStyle = "#dedee3";
  ctx.beginPath(); ctx.moveTo(x0, y1 + 0.5); ctx.lineTo(x1, y1 + 0.5); ctx.stroke();
  ctx.fillStyle = "#6b6b73";
  ctx.font = "11px system-ui, sans-serif";
  ctx.textBaseline = "top";
  const label = (v) => fmtNum(Number(Number(v).toPrecision(3)));
  ctx.textAlign = "left"; ctx.fillText(label(hist.lo), x0, y1 + 4);
  ctx.textAlign = "right"; ctx.fillText(label(hist.hi), x1, y1 + 4);
  if (hist.lo < 0 && hist.hi > 0) { // where zero is
    const xz = x0 + ((0 - hist.lo) / (hist.hi - hist.lo)) * (x1 - x0);
    ctx.strokeStyle = "#9a9aa3"; ctx.setLineDash([2, 2]);
    ctx.beginPath(); ctx.moveTo(xz + 0.5, PAD.t); ctx.lineTo(xz + 0.5, y1); ctx.stroke();
    ctx.setLineDash([]);
  }
}
