// The Data panel's renderers for feature relations (canvas/SVG): the correlation heatmap and
// the pair scatter (the scatter-plot matrix of seaborn's pairplot, coloured by class).

import { h } from "../../static/dom.js";
import { classColors, diverging } from "./colors.js";
import { hiDpiCanvas, short, svg } from "./svg.js";

export function correlation(d, width) {
  const F = d.feature_names.length, m = d.matrix.map((r) => r.map((v) => (typeof v === "number" ? v : NaN)));
  const label = Math.min(170, 18 + 6.2 * Math.max(...d.feature_names.map((n) => n.length)));
  const cell = Math.max(6, Math.min(46, Math.floor((Math.min(width, 640) - label - 60) / F)));
  const W = label + cell * F + 60, H = label + cell * F + 8;
  const chart = svg("svg", { width: W, height: H, class: "chart heatmap", role: "img", "aria-label": "correlation heatmap" });
  const cut = (s) => (s.length * 6.2 > label - 16 ? s.slice(0, Math.floor((label - 16) / 6.2) - 1) + "…" : s);
  for (let i = 0; i < F; i++) {
    const yy = label + i * cell + cell / 2 + 4, xx = label + i * cell + cell / 2;
    if (cell >= 9) {
      chart.append(svg("text", { x: label - 6, y: yy, class: "tick", "text-anchor": "end" }, cut(d.feature_names[i])),
        svg("text", { x: xx + 3, y: label - 6, class: "tick", transform: `rotate(-60 ${xx + 3} ${label - 6})` }, cut(d.feature_names[i])));
    }
    for (let j = 0; j < F; j++) {
      const v = m[i][j];
      chart.append(svg("rect", { x: label + j * cell, y: label + i * cell, width: cell - (cell > 10 ? 1 : 0), height: cell - (cell > 10 ? 1 : 0),
        fill: diverging(v), dataset: { i, j, v: Number.isFinite(v) ? v.toFixed(3) : "NaN" } },
      svg("title", {}, `${d.feature_names[i]} × ${d.feature_names[j]}: ${Number.isFinite(v) ? v.toFixed(3) : "NaN"}`)));
      if (cell >= 30) {
        chart.append(svg("text", { x: label + j * cell + cell / 2, y: label + i * cell + cell / 2 + 4, "text-anchor": "middle",
          class: Math.abs(v) > 0.6 ? "cell light" : "cell" }, Number.isFinite(v) ? v.toFixed(2) : "–"));
      }
    }
  }
  // colour bar
  const bx = label + cell * F + 18, bh = cell * F;
  for (let t = 0; t < 40; t++) chart.append(svg("rect", { x: bx, y: label + (bh * t) / 40, width: 12, height: bh / 40 + 0.5, fill: diverging(1 - (2 * t) / 39) }));
  chart.append(svg("text", { x: bx + 16, y: label + 9, class: "tick" }, "1"), svg("text", { x: bx + 16, y: label + bh / 2 + 4, class: "tick" }, "0"),
    svg("text", { x: bx + 16, y: label + bh, class: "tick" }, "−1"));
  const strongest = h("ol", { class: "strongest" }, d.strongest.map(([a, b, v]) => h("li", {}, `${a} × ${b}: `, h("b", {}, v.toFixed(3)))));
  return h("div", {}, h("div", { class: "muted small" }, `${d.method} correlation over ${d.n_rows.toLocaleString()} rows`),
    h("div", { class: "scroll-x" }, chart), h("div", { class: "sub" }, "strongest pairs"), strongest);
}

export function pairplot(d, width) {
  const F = d.feature_names.length, K = d.class_names.length, colors = classColors(K), n = d.labels.length;
  const cell = Math.max(60, Math.min(150, Math.floor((Math.min(width, 760) - 34) / F)));
  const pad = 8, size = cell * F;
  const [canvas, g] = hiDpiCanvas(size + 30, size + 30, "pairs");
  const lo = d.values.map((col) => Math.min(...col.filter(Number.isFinite))), hi = d.values.map((col) => Math.max(...col.filter(Number.isFinite)));
  const X = (f, v) => 30 + f * cell + pad + ((cell - 2 * pad) * (v - lo[f])) / (hi[f] - lo[f] || 1);
  const Y = (f, v) => f * cell + cell - pad - ((cell - 2 * pad) * (v - lo[f])) / (hi[f] - lo[f] || 1);
  g.font = "11px system-ui, sans-serif";
  const r = n > 2000 ? 1.2 : n > 500 ? 1.8 : 2.4;
  for (let a = 0; a < F; a++) {
    for (let b = 0; b < F; b++) {
      g.fillStyle = "#fafafa";
      g.fillRect(30 + b * cell + 1, a * cell + 1, cell - 2, cell - 2);
      if (a === b) { diagonal(g, d, a, cell, colors, 30 + b * cell, a * cell, lo[a], hi[a]); continue; }
      g.globalAlpha = n > 2000 ? 0.45 : 0.75;
      for (let i = 0; i < n; i++) {
        const x = d.values[b][i], y = d.values[a][i];
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        g.fillStyle = colors[d.labels[i]] || "#888";
        g.beginPath();
        g.arc(X(b, x), Y(a, y), r, 0, 2 * Math.PI);
        g.fill();
      }
      g.globalAlpha = 1;
    }
  }
  g.fillStyle = "#444";
  const cut = (s) => (s.length * 6 > cell - 8 ? s.slice(0, Math.floor((cell - 8) / 6)) + "…" : s);
  for (let f = 0; f < F; f++) {
    g.textAlign = "center";
    g.fillText(cut(d.feature_names[f]), 30 + f * cell + cell / 2, size + 16);
    g.save();
    g.translate(16, f * cell + cell / 2);
    g.rotate(-Math.PI / 2);
    g.fillText(cut(d.feature_names[f]), 0, 0);
    g.restore();
  }
  const legend = h("div", { class: "legend" }, d.class_names.map((nm, k) => h("span", { class: "item" }, h("span", { class: "swatch", style: { background: colors[k] } }), nm)));
  const note = `${n.toLocaleString()} of ${d.n_total.toLocaleString()} rows` + (d.notes.length ? ` · ${d.notes.join(" · ")}` : "");
  return h("div", {}, legend, h("div", { class: "scroll-x" }, canvas), h("div", { class: "muted small" }, note));
}

function diagonal(g, d, f, cell, colors, x0, y0, lo, hi) {
  const B = 20, K = d.class_names.length, counts = Array.from({ length: K }, () => new Array(B).fill(0));
  d.values[f].forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    const b = Math.min(B - 1, Math.floor(((v - lo) / (hi - lo || 1)) * B));
    if (counts[d.labels[i]]) counts[d.labels[i]][b]++;
  });
  const top = Math.max(1, ...counts.flat()), w = (cell - 8) / B;
  counts.forEach((row, k) => {
    g.fillStyle = colors[k];
    g.globalAlpha = 0.35;
    g.strokeStyle = colors[k];
    g.beginPath();
    g.moveTo(x0 + 4, y0 + cell - 4);
    row.forEach((c, b) => { const y = y0 + cell - 4 - ((cell - 12) * c) / top; g.lineTo(x0 + 4 + b * w, y); g.lineTo(x0 + 4 + (b + 1) * w, y); });
    g.lineTo(x0 + cell - 4, y0 + cell - 4);
    g.fill();
    g.globalAlpha = 1;
    g.stroke();
  });
  g.fillStyle = "#888";
  g.textAlign = "left";
  g.fillText(short(lo), x0 + 4, y0 + 12);
  g.textAlign = "right";
  g.fillText(short(hi), x0 + cell - 4, y0 + 12);
}
