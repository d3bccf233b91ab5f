// The Data panel's browser renderers for counts and distributions (SVG):
// class balance (splits side by side), pixel statistics, per-feature distributions by class.
// Each takes (payload, width) and returns an element; panel.js re-renders on resize.

import { fmtNum, h, num } from "../../static/dom.js";
import { classColors } from "./colors.js";
import { coverTicks, short, svg, ticks } from "./svg.js";

const SPLIT_COLORS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2"];
const CHANNEL_COLORS = { grey: "#555", red: "#d62728", green: "#2ca02c", blue: "#1f77b4" };

function axisY(g, y, x0, x1, vals, fmt = short) {
  for (const v of vals) {
    g.append(svg("line", { x1: x0, x2: x1, y1: y(v), y2: y(v), class: "grid" }),
      svg("text", { x: x0 - 6, y: y(v) + 4, class: "tick", "text-anchor": "end" }, fmt(v)));
  }
}

export function classBalance(d, width, { share = false } = {}) {
  const K = d.class_names.length, S = d.splits.length;
  const totals = d.counts.map((row) => row.reduce((a, b) => a + b, 0));
  const value = (s, k) => (share ? d.counts[s][k] / (totals[s] || 1) : d.counts[s][k]);
  const left = 44, bottom = K > 12 ? 62 : 36, top = 18, H = 240;
  const groupW = Math.max(8 + 6 * S, (width - left - 8) / K), W = Math.max(width, left + 8 + groupW * K);
  let top_ = 0;
  for (let s = 0; s < S; s++) for (let k = 0; k < K; k++) top_ = Math.max(top_, value(s, k));
  const yt = coverTicks(0, top_ || 1, 4), ymax = yt[yt.length - 1] || 1;
  const y = (v) => top + (H - top - bottom) * (1 - v / ymax);
  const chart = svg("svg", { width: W, height: H, class: "chart balance", role: "img", "aria-label": "class balance" });
  axisY(chart, y, left, W - 4, yt, share ? (v) => `${Math.round(v * 100)}%` : short);
  const barW = Math.min(34, (groupW - 8) / S), labels = S * K <= 48 && barW >= 14;
  for (let k = 0; k < K; k++) {
    const gx = left + k * groupW + (groupW - barW * S) / 2;
    for (let s = 0; s < S; s++) {
      const c = d.counts[s][k], v = value(s, k), x = gx + s * barW;
      const tip = `${d.class_names[k]} · ${d.splits[s]}: ${c.toLocaleString()} (${((100 * c) / (totals[s] || 1)).toFixed(1)}%)`;
      chart.append(svg("rect", { x: x + 1, y: y(v), width: barW - 2, height: Math.max(0, y(0) - y(v)), rx: 2,
        fill: SPLIT_COLORS[s % 4], class: "bar", dataset: { class: d.class_names[k], split: d.splits[s], count: c } },
      svg("title", {}, tip)));
      if (labels) chart.append(svg("text", { x: x + barW / 2, y: y(v) - 3, class: "val", "text-anchor": "middle" }, share ? `${Math.round(v * 100)}` : short(c)));
    }
    const lx = left + k * groupW + groupW / 2, ly = H - bottom + 14;
    chart.append(K > 12
      ? svg("text", { x: lx, y: ly, class: "tick", "text-anchor": "end", transform: `rotate(-45 ${lx} ${ly})` }, d.class_names[k])
      : svg("text", { x: lx, y: ly, class: "tick", "text-anchor": "middle" }, d.class_names[k]));
  }
  const legend = h("div", { class: "legend" }, d.splits.map((s, i) => h("span", { class: "item" },
    h("span", { class: "swatch", style: { background: SPLIT_COLORS[i % 4] } }),
    `${s}: ${totals[i].toLocaleString()}`, h("span", { class: "muted" }, ` · largest/smallest ${fmtNum(Number(d.imbalance[i].toPrecision?.(3) ?? d.imbalance[i]))}`))));
  return h("div", {}, legend, h("div", { class: "scroll-x" }, chart));
}

function histPath(counts, x, y) {
  let p = `M${x(0)},${y(0)}`;
  counts.forEach((c, i) => { p += `L${x(i)},${y(c)}L${x(i + 1)},${y(c)}`; });
  return p + `L${x(counts.length)},${y(0)}Z`;
}

export function pixelStats(d, width) {
  const C = d.channels.length;
  const fix = (col) => col.map((v) => num(v).toFixed(4)).join(", ") + (col.length === 1 ? "," : ""); // a Python tuple
  const norm = `transforms.Normalize(mean=(${fix(d.mean)}), std=(${fix(d.std)}))`;
  const table = h("table", { class: "kv stats" }, h("tr", {}, ["channel", "mean", "std", "min", "max"].map((t) => h("th", {}, t))),
    d.channels.map((c, i) => h("tr", {}, h("td", {}, c), [d.mean, d.std, d.min, d.max].map((col) => h("td", {}, fmtNum(Number(num(col[i]).toPrecision(4))))))));
  // intensity histogram per channel (log y when zeros dominate)
  const logY = d.zero_fraction > 0.3, W = Math.max(260, width), H = 170, left = 44, bottom = 24, top = 8;
  const edges = d.edges, B = edges.length - 1;
  const f = (v) => (logY ? Math.log10(1 + v) : v);
  const peak = Math.max(1, ...d.hist.flat().map(f)), linTicks = coverTicks(0, peak, 3);
  const ymax = logY ? peak : linTicks[linTicks.length - 1];
  const x = (i) => left + ((W - left - 8) * i) / B, y = (v) => top + (H - top - bottom) * (1 - f(v) / ymax);
  const chart = svg("svg", { width: W, height: H, class: "chart", role: "img", "aria-label": "intensity histogram" });
  const yt = logY ? [0, ...Array.from({ length: Math.floor(ymax) }, (_, k) => 10 ** (k + 1))] : linTicks;
  axisY(chart, (v) => y(v), left, W - 8, yt);
  d.hist.forEach((counts, c) => {
    const color = CHANNEL_COLORS[d.channels[c]] || classColors(C)[c];
    chart.append(svg("path", { d: histPath(counts, x, y), fill: color, "fill-opacity": C > 1 ? 0.25 : 0.35, stroke: color, "stroke-width": 1.2 }));
  });
  for (const t of ticks(edges[0], edges[B], 4)) {
    const xi = left + ((W - left - 8) * (t - edges[0])) / (edges[B] - edges[0] || 1);
    chart.append(svg("text", { x: xi, y: H - 6, class: "tick", "text-anchor": "middle" }, short(t)));
  }
  // mean brightness per class (per channel for colour images)
  const K = d.class_names.length, bar = C > 1 ? 6 : 12, rowH = bar * C + 4, bw = Math.max(240, width), lab = 70;
  const cmax = Math.max(...d.class_mean.flat().map(num).filter(Number.isFinite), 1e-9);
  const bars = svg("svg", { width: bw, height: K * rowH + 4, class: "chart", role: "img", "aria-label": "mean brightness per class" });
  const room = bw - lab - (C > 1 ? 40 + 36 * C : 56);
  d.class_mean.forEach((row, k) => {
    const y0 = k * rowH + 2, ws = row.map((v) => (room * (num(v) || 0)) / cmax);
    bars.append(svg("text", { x: lab - 6, y: y0 + rowH / 2 + 2, class: "tick", "text-anchor": "end" }, d.class_names[k]));
    row.forEach((v, c) => {
      bars.append(svg("rect", { x: lab, y: y0 + c * bar, width: Math.max(1, ws[c]), height: bar - 1, rx: 2,
        fill: C > 1 ? CHANNEL_COLORS[d.channels[c]] || classColors(C)[c] : classColors(K)[k] },
      svg("title", {}, `${d.class_names[k]} · ${d.channels[c]}: ${num(v).toFixed(4)}`)));
    });
    const text = C > 1 ? row.map((x) => num(x).toFixed(2)).join(" / ") : num(row[0]).toFixed(3);
    bars.append(svg("text", { x: lab + Math.max(...ws) + 4, y: y0 + rowH / 2 + 1, class: "val" }, text));
  });
  return h("div", { class: "pixel-stats" }, table, h("code", { class: "normalize" }, norm),
    h("div", { class: "sub" }, `intensity histogram (${d.n_images.toLocaleString()} images${logY ? ", log scale" : ""}); ` +
      `${(100 * d.zero_fraction).toFixed(1)}% of pixels are 0`), chart,
    h("div", { class: "sub" }, "mean brightness per class"), bars);
}

export function featureDists(d, width, { all = false } = {}) {
  const F = d.feature_names.length, K = d.class_names.length, colors = classColors(K);
  const order = [...Array(F).keys()].sort((a, b) => (num(d.separation[b]) || 0) - (num(d.separation[a]) || 0));
  const shown = all ? order : order.slice(0, 12);
  const cellW = Math.max(200, Math.min(320, Math.floor((width - 12) / Math.max(1, Math.floor(width / 230))) - 12));
  const H = 110, pad = 6;
  const cells = shown.map((f) => {
    const edges = d.edges[f], B = edges.length - 1, counts = d.counts[f];
    const ymax = Math.max(1, ...counts.flat());
    const x = (i) => pad + ((cellW - 2 * pad) * i) / B, y = (v) => 4 + (H - 22) * (1 - v / ymax);
    const chart = svg("svg", { width: cellW, height: H, class: "chart", role: "img", "aria-label": d.feature_names[f] });
    counts.forEach((c, k) => chart.append(svg("path", { d: histPath(c, x, y), fill: colors[k], "fill-opacity": 0.28, stroke: colors[k], "stroke-width": 1.2 })));
    chart.append(svg("text", { x: pad, y: H - 4, class: "tick" }, short(edges[0])),
      svg("text", { x: cellW - pad, y: H - 4, class: "tick", "text-anchor": "end" }, short(edges[B])));
    const sep = d.separation[f];
    return h("div", { class: "feature", dataset: { feature: d.feature_names[f] } },
      h("div", { class: "fname", title: d.feature_names[f] }, h("span", {}, d.feature_names[f]),
        h("span", { class: "muted", title: "class separation: eta squared (between-class / total variance)" }, Number.isFinite(sep) ? `η² ${sep.toFixed(2)}` : "")),
      chart, h("div", { class: "muted small" }, `mean ${short(d.mean[f])} · std ${short(d.std[f])}${d.missing[f] ? ` · ${d.missing[f]} missing` : ""}`));
  });
  const legend = h("div", { class: "legend" }, d.class_names.map((n, k) => h("span", { class: "item" }, h("span", { class: "swatch", style: { background: colors[k] } }), n)));
  return h("div", {}, legend, h("div", { class: "features" }, cells),
    F > shown.length ? h("div", { class: "muted small" }, `the ${shown.length} most separating of ${F} features`) : null);
}
