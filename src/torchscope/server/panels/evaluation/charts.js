// The Evaluation panel's charts: PR and ROC curves in the unit square, on the dashboard's uPlot line
// chart (static/linechart.js: the Scalars look, a rectangle drag to zoom, double-click for all, hover
// for each class's nearest point), and the reliability diagram, hand-drawn in SVG: uPlot draws lines,
// points and plain bars, not bars with a hatched gap band over or under them, a tick at each bin's
// mean confidence and a strip of counts below, which is what that diagram has to show.
//   const c = curveChart({ names, colors, xLabel, yLabel, diagonal }); box.append(c.el); c.setData([{ x, y, hidden }])
//   reliabilityChart({ edges, accuracy, confidence, counts }) -> <svg>

import { LineChart } from "../../static/linechart.js";

const NS = "http://www.w3.org/2000/svg";
const W = 360, M = { l: 44, r: 10, t: 10, b: 38 };
export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7",
  "#dbdb8d", "#9edae5"];

export function classColor(i, k) {
  return k <= PALETTE.length ? PALETTE[i % PALETTE.length] : `hsl(${Math.round((360 * i) / k)} 65% 45%)`;
}

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const sx = (v) => M.l + v * (W - M.l - M.r);

// One curve per class (each its own x: a ROC curve's steps repeat x), axes fixed to [0, 1] x [0, 1];
// `diagonal` draws y = x dashed. A class is hidden with setData([{ ..., hidden: true }]).
export function curveChart({ names, colors, xLabel, yLabel, diagonal = false }) {
  const pct = (v) => (Number.isFinite(v) ? v.toFixed(3) : String(v));
  return new LineChart({ xy: true, diagonal, height: 300, format: pct, series: names.map((n, i) => ({ label: n, color: colors[i] })),
    x: { label: xLabel, range: [0, 1], fixed: true }, y: { label: yLabel, range: [0, 1], fixed: true } });
}

// Reliability diagram (Guo et al. 2017), as ts.evaluate's figure draws it: per bin a bar up to its
// accuracy, the gap between the accuracy and the bin's mean confidence hatched (above the bar when
// over-confident, over its top when under-confident) with the mean confidence as a red tick, the
// diagonal for perfect calibration; below, a strip of the samples per bin with their counts.
export function reliabilityChart({ edges, accuracy, confidence, counts }) {
  const H2 = 348, top = M.t, bottom = 240, strip = [290, 338]; // the plot's y range; the count strip's
  const ry = (v) => bottom - v * (bottom - top);
  const hatch = `gap-hatch-${++hatches}`;
  const el = svg("svg", { viewBox: `0 0 ${W} ${H2}`, class: "chart reliability", role: "img", "aria-label": "reliability diagram" },
    // over-confident: the hatch on a light orange ground (on white); under-confident: the hatch alone (the bar shows through)
    svg("defs", {}, ["over", "under"].map((side) => svg("pattern", { id: `${hatch}-${side}`, patternUnits: "userSpaceOnUse",
      width: 5, height: 5, patternTransform: "rotate(45)" }, side === "over" ? svg("rect", { width: 5, height: 5, class: "gap-fill" }) : null,
    svg("line", { x1: 1, y1: 0, x2: 1, y2: 5, class: "gap-line" })))));
  const g = svg("g", { class: "axes" });
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    g.append(svg("line", { x1: sx(0), x2: sx(1), y1: ry(t), y2: ry(t), class: "grid" }),
      svg("line", { x1: sx(t), x2: sx(t), y1: ry(0), y2: ry(1), class: "grid" }),
      svg("text", { x: sx(0) - 6, y: ry(t) + 4, "text-anchor": "end" }, String(t)),
      svg("text", { x: sx(t), y: bottom + 14, "text-anchor": "middle" }, String(t)));
  }
  g.append(svg("rect", { x: sx(0), y: ry(1), width: sx(1) - sx(0), height: bottom - ry(1), class: "box" }),
    svg("text", { x: (sx(0) + sx(1)) / 2, y: bottom + 29, "text-anchor": "middle", class: "label" }, "confidence (top-label probability)"),
    svg("text", { x: 12, y: (top + bottom) / 2, "text-anchor": "middle", class: "label",
      transform: `rotate(-90 12 ${(top + bottom) / 2})` }, "accuracy"),
    svg("line", { x1: sx(0), x2: sx(1), y1: strip[1], y2: strip[1], class: "box" }),
    svg("text", { x: sx(0), y: strip[0] - 4, "text-anchor": "start", class: "label" }, "samples per bin"));
  el.append(g);
  const max = Math.max(1, ...counts), room = strip[1] - strip[0] - 12; // 12 px for the count above a bar
  for (let b = 0; b < counts.length; b++) {
    const x0 = sx(edges[b]) + 0.5, w = Math.max(0.5, sx(edges[b + 1]) - sx(edges[b]) - 1);
    const n = counts[b], acc = accuracy[b], conf = confidence[b], bar = n ? Math.max(1, room * (n / max)) : 0;
    const range = `confidence ${edges[b].toFixed(2)}–${edges[b + 1].toFixed(2)}`;
    el.append(svg("rect", { x: x0, width: w, y: strip[1] - bar, height: bar, class: "count", "data-bin": b, "data-count": n },
      svg("title", {}, `${range}: ${n} samples`)));
    if (w >= 14) el.append(svg("text", { x: x0 + w / 2, y: strip[1] - bar - 3, "text-anchor": "middle", class: "count-label", "data-bin": b },
      compact(n)));
    if (!n || !Number.isFinite(acc)) continue;
    const tip = `${range}: accuracy ${acc.toFixed(3)}, mean confidence ${conf.toFixed(3)} ` +
      `(${acc >= conf ? "under" : "over"}-confident by ${Math.abs(acc - conf).toFixed(3)}), ${n} samples`;
    el.append(svg("rect", { x: x0, width: w, y: ry(acc), height: bottom - ry(acc), class: "acc", "data-bin": b }, svg("title", {}, tip)));
    const lo = Math.min(acc, conf), hi = Math.max(acc, conf);
    const side = acc >= conf ? "under" : "over";
    el.append(svg("rect", { x: x0, width: w, y: ry(hi), height: ry(lo) - ry(hi), class: "gap", fill: `url(#${hatch}-${side})`,
      "data-bin": b, "data-side": side }, svg("title", {}, tip)),
    svg("line", { x1: x0, x2: x0 + w, y1: ry(conf), y2: ry(conf), class: "conf", "data-bin": b }));
  }
  el.append(svg("line", { x1: sx(0), y1: ry(0), x2: sx(1), y2: ry(1), class: "diag" }));
  return el;
}

let hatches = 0; // each diagram's hatch pattern has its own id (several diagrams on one page)

const compact = (n) => (n < 1000 ? String(n) : n < 10000 ? `${(n / 1000).toFixed(1)}k` : `${Math.round(n / 1000)}k`);
