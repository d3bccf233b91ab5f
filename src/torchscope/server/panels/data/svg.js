// Small SVG and canvas helpers for the Data panel's charts. Text always goes in as text nodes.
//   svg("rect", { x: 0, y: 0, width: 10, height: 10 }, svg("title", {}, "10 samples"))

const NS = "http://www.w3.org/2000/svg";

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// "nice" tick values covering [lo, hi]: ticks(0, 137) -> [0, 20, 40, ..., 140]
export function ticks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

// ticks(lo, hi) extended by whole steps until the last one reaches hi (an axis that holds every bar)
export function coverTicks(lo, hi, count = 5) {
  const out = ticks(lo, hi, count);
  const step = out.length > 1 ? out[1] - out[0] : Math.abs(hi - lo) || 1;
  while (out[out.length - 1] < hi) out.push(Number((out[out.length - 1] + step).toPrecision(12)));
  return out;
}

export function short(v) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  if (a !== 0 && a < 1e-2) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

// A canvas sized for the screen's pixel density; returns [canvas, context in CSS px]
export function hiDpiCanvas(width, height, cls) {
  const dpr = Math.min(window.devicePixelRatio || 1, 3);
  const c = document.createElement("canvas");
  c.width = Math.round(width * dpr);
  c.height = Math.round(height * dpr);
  c.style.width = `${width}px`;
  c.style.height = `${height}px`;
  if (cls) c.className = cls;
  const g = c.getContext("2d");
  g.scale(dpr, dpr);
  return [c, g];
}

// an image from a URL, decoded
export function loadImage(src) {
  return new Promise((ok, bad) => { const img = new Image(); img.onload = () => ok(img); img.onerror = bad; img.src = src; });
}

// magma-like colour map for v in [0, 1] (the std images)
const MAGMA = [[0, 0, 4], [59, 15, 112], [140, 41, 129], [222, 73, 104], [254, 159, 109], [252, 253, 191]];
export function magma(v) {
  const t = Math.max(0, Math.min(1, v)) * (MAGMA.length - 1), i = Math.min(MAGMA.length - 2, Math.floor(t)), f = t - i;
  return MAGMA[i].map((c, k) => Math.round(c + (MAGMA[i + 1][k] - c) * f));
}
