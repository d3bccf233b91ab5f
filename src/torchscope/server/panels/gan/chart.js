// Small SVG line charts for the GAN panel: several series over steps, auto y range (or fixed).
//   lineChart({ title, series: [{ name, color, x, y }], yRange: [lo, hi] | null, marks: [step] }) -> <svg>

const NS = "http://www.w3.org/2000/svg";
const W = 420, H = 220, M = { l: 52, r: 10, t: 10, b: 28 };

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// Round ticks about n to a range: the widest step of 1, 2 or 5 x 10^k that still gives three ticks
// (a loss between 0.62 and 1.42 gets 0.6, 0.8 ... 1.4, not a lone "1").
function ticks(lo, hi, n = 4) {
  if (!(hi > lo)) return [lo];
  const p = 10 ** Math.floor(Math.log10((hi - lo) / n));
  const at = (step) => {
    const out = [];
    for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
    return out;
  };
  for (const m of [10, 5, 2]) {
    const out = at(m * p);
    if (out.length >= 3) return out;
  }
  return at(p);
}

const fmt = (v) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(4))));

export function lineChart({ title, series, yRange = null, marks = [] }) {
  const all = series.filter((s) => s.x.length);
  const xs = all.flatMap((s) => s.x), ys = all.flatMap((s) => s.y).filter(Number.isFinite);
  let x0 = Math.min(...xs), x1 = Math.max(...xs);
  if (!Number.isFinite(x0)) { x0 = 0; x1 = 1; }
  if (x1 === x0) x1 = x0 + 1;
  let [y0, y1] = yRange || [Math.min(...ys), Math.max(...ys)];
  if (!Number.isFinite(y0)) { y0 = 0; y1 = 1; }
  if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
  const sx = (v) => M.l + ((v - x0) / (x1 - x0)) * (W - M.l - M.r);
  const sy = (v) => H - M.b - ((v - y0) / (y1 - y0)) * (H - M.t - M.b);
  const el = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "gan-chart", role: "img", "aria-label": title });
  for (const t of ticks(y0, y1)) {
    el.append(svg("line", { x1: M.l, x2: W - M.r, y1: sy(t), y2: sy(t), class: "grid" }),
      svg("text", { x: M.l - 5, y: sy(t) + 4, "text-anchor": "end" }, fmt(t)));
  }
  for (const t of ticks(x0, x1, 5)) el.append(svg("text", { x: sx(t), y: H - 10, "text-anchor": "middle" }, fmt(t)));
  el.append(svg("rect", { x: M.l, y: M.t, width: W - M.l - M.r, height: H - M.t - M.b, class: "box" }));
  for (const m of marks) if (m >= x0 && m <= x1) el.append(svg("line", { x1: sx(m), x2: sx(m), y1: M.t, y2: H - M.b, class: "mark" }));
  for (const s of all) {
    let d = "", pen = false;
    s.x.forEach((x, i) => {
      const y = s.y[i];
      if (!Number.isFinite(y)) { pen = false; return; }
      d += `${pen ? "L" : "M"}${sx(x).toFixed(1)},${sy(Math.min(y1, Math.max(y0, y))).toFixed(1)}`;
      pen = true;
    });
    el.append(svg("path", { d, stroke: s.color, class: "curve", "data-name": s.name }, svg("title", {}, s.name)));
    if (s.x.length <= 30) {
      s.x.forEach((x, i) => { if (Number.isFinite(s.y[i])) el.append(svg("circle", { cx: sx(x), cy: sy(s.y[i]), r: 2.5, fill: s.color })); });
    }
  }
  return el;
}
