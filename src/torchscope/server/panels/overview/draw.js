// The Overview's thumbnails, drawn as small SVGs from the stage cards' JSON (text always as text
// nodes): a line per run, a scatter, a confusion matrix, bars, points of the GAN lab, alarms.
//   drawThumb(card.thumb, { color: (runId) => css, name: (runId) => text }) -> SVG element (or null)

import { fmtNum, num } from "../../static/dom.js";

const NS = "http://www.w3.org/2000/svg";
const W = 300, H = 120, PAD = 6;
// tab10: the same class colours the Data and Projector panels use for the first ten classes
const CLASSES = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
  "#17becf"];

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat(Infinity)) {
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const frame = (cls, ...children) => svg("svg", { viewBox: `0 0 ${W} ${H}`, class: `ov-svg ${cls}`, role: "img",
  preserveAspectRatio: "xMidYMid meet" }, ...children);

// One polyline per run; a log scale when the values are positive and span more than three decades
// (a diverging loss next to healthy ones), non-finite points leave gaps.
function lines(t, ctx) {
  const all = t.lines.flatMap((l) => l.y.map(num)).filter(Number.isFinite);
  const xs = t.lines.flatMap((l) => l.x.map(num)).filter(Number.isFinite);
  if (!all.length || !xs.length) return null;
  let lo = Math.min(...all), hi = Math.max(...all);
  const log = lo > 0 && hi / lo > 1e3;
  const f = log ? Math.log10 : (v) => v;
  [lo, hi] = [f(lo), f(hi)];
  if (hi === lo) { hi += 1; lo -= 1; }
  const x0 = Math.min(...xs), x1 = Math.max(...xs) === x0 ? x0 + 1 : Math.max(...xs);
  const top = 18, px = (x) => PAD + (x - x0) / (x1 - x0) * (W - 2 * PAD);
  const py = (y) => top + (1 - (f(y) - lo) / (hi - lo)) * (H - top - PAD);
  const paths = t.lines.map((l) => {
    let d = "", pen = false;
    l.x.forEach((x, i) => {
      const y = num(l.y[i]);
      if (!Number.isFinite(y) || (log && y <= 0)) { pen = false; return; }
      d += `${pen ? "L" : "M"}${px(num(x)).toFixed(1)},${py(y).toFixed(1)}`;
      pen = true;
    });
    return svg("path", { d, fill: "none", stroke: ctx.color(l.run), "stroke-width": 1.6, "stroke-linejoin": "round" },
      svg("title", {}, ctx.name(l.run)));
  });
  const label = `${t.key}${log ? " (log scale)" : ""} · ${t.lines.length} run${t.lines.length === 1 ? "" : "s"}`;
  return frame("ov-lines", svg("text", { x: PAD, y: 12, class: "ov-label" }, label), paths);
}

function scatter(t) {
  const dots = t.x.map((x, i) => svg("circle", { cx: (PAD + num(x) * (W - 2 * PAD)).toFixed(1),
    cy: (PAD + (1 - num(t.y[i])) * (H - 2 * PAD)).toFixed(1), r: 1.7, fill: CLASSES[t.c[i] % 10] }));
  return frame("ov-scatter", dots);
}

function matrix(t) {
  const n = t.values.length, cell = (H - 2 * PAD) / n, left = (W - n * cell) / 2;
  const rects = t.values.flatMap((row, i) => row.map((v, j) => svg("rect", { x: (left + j * cell).toFixed(1),
    y: (PAD + i * cell).toFixed(1), width: (cell + 0.3).toFixed(1), height: (cell + 0.3).toFixed(1),
    fill: `hsl(215 75% ${(97 - 62 * Math.sqrt(Math.max(0, num(v)))).toFixed(0)}%)` },
  svg("title", {}, `true ${t.labels[i]}, predicted ${t.labels[j]}: ${(100 * num(v)).toFixed(1)}%`))));
  return frame("ov-matrix", rects,
    svg("text", { x: left - 4, y: H / 2, class: "ov-label", "text-anchor": "end" }, "true"),
    svg("text", { x: left + n * cell + 4, y: H / 2, class: "ov-label" }, "predicted →"));
}

function bars(t) {
  const shown = t.bars.slice(0, 5), most = Math.max(...shown.map((b) => b.params), 1);
  const row = Math.min(22, (H - 2 * PAD) / shown.length), name = 118;
  return frame("ov-bars", shown.map((b, i) => {
    const y = PAD + i * row, w = Math.max(1, (b.params / most) * (W - name - 60));
    return svg("g", {}, svg("text", { x: name - 6, y: y + row * 0.68, class: "ov-label", "text-anchor": "end" },
      `${b.name} ${b.type}`.slice(0, 22)),
    svg("rect", { x: name, y: y + 3, width: w.toFixed(1), height: row - 6, rx: 2, class: "ov-bar" }),
    svg("text", { x: name + w + 4, y: y + row * 0.68, class: "ov-label" }, b.params.toLocaleString("en-US")));
  }), t.bars.length > shown.length ? svg("text", { x: W - PAD, y: H - 2, class: "ov-label", "text-anchor": "end" },
    `+${t.bars.length - shown.length} more layers`) : null);
}

function points(t) {
  const dot = (p, cls) => svg("circle", { cx: (PAD + num(p[0]) * (W - 2 * PAD)).toFixed(1),
    cy: (PAD + (1 - num(p[1])) * (H - 2 * PAD)).toFixed(1), r: 1.8, class: cls });
  return frame("ov-points", t.real.map((p) => dot(p, "ov-real")), t.fake.map((p) => dot(p, "ov-fake")),
    svg("text", { x: PAD, y: H - 4, class: "ov-label" }, "real"),
    svg("text", { x: PAD + 30, y: H - 4, class: "ov-label ov-fake-label" }, "generated"));
}

// One row per run with alarms (its colour and name), then the first alarm of each type it raised.
function alarms(t, ctx) {
  if (!t.runs.length) {
    return frame("ov-alarms", svg("text", { x: W / 2, y: H / 2, class: "ov-ok", "text-anchor": "middle" },
      "✓ no alarms"));
  }
  const rowH = (H - 2 * PAD) / Math.max(2, t.runs.length);
  return frame("ov-alarms", t.runs.map((r, i) => {
    const y = PAD + i * rowH, first = r.first[0];
    const rest = r.first.slice(1).map((a) => a.type);
    return svg("g", {},
      svg("circle", { cx: PAD + 4, cy: y + 9, r: 4, fill: ctx.color(r.run) }),
      svg("text", { x: PAD + 14, y: y + 13, class: "ov-run" }, `${ctx.name(r.run)} · ${r.count} alarm${r.count === 1 ? "" : "s"}`),
      svg("text", { x: PAD + 14, y: y + 29, class: "ov-alarm" }, `⚠ ${first.type}`,
        svg("tspan", { class: "ov-label" }, ` step ${fmtNum(num(first.step))}${first.layer ? ` · ${first.layer}` : ""}`)),
      rest.length ? svg("text", { x: PAD + 14, y: y + 43, class: "ov-label" }, `then ${rest.join(", ")}`.slice(0, 58)) : null,
      svg("title", {}, r.first.map((a) => `${a.type} (step ${a.step}): ${a.message || ""}`).join("\n")));
  }));
}

const DRAW = { lines, scatter, matrix, bars, points, alarms };

export function drawThumb(thumb, ctx) {
  const fn = DRAW[thumb?.type];
  return fn ? fn(thumb, ctx) : null;
}
