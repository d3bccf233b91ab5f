// DOM and formatting helpers shared by the shell and the panels.
// Everything user-supplied goes in as text nodes or attributes, never as HTML:
//   h("span", { class: "name", title: run.name }, run.name)

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "value" || k === "checked") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// A non-finite float arrives as "NaN" / "Infinity" / "-Infinity" in numeric JSON fields.
export function num(v) {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  return v === null || v === undefined ? null : Number(v);
}

export const nums = (arr) => (arr || []).map(num);

export function fmtNum(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v !== "number") return String(v);
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(4);
  return String(Number(v.toPrecision(6)));
}

// A count and its noun: plural(1, "run") -> "1 run", plural(3, "run") -> "3 runs".
export function plural(n, one, many = `${one}s`) {
  return `${Number(n).toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

export function fmtDuration(s) {
  if (!Number.isFinite(s)) return fmtNum(s);
  const sign = s < 0 ? "-" : "";
  s = Math.abs(s);
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  if (hh) return `${sign}${hh}h${String(mm).padStart(2, "0")}m`;
  if (mm) return `${sign}${mm}m${String(Math.floor(ss)).padStart(2, "0")}s`;
  return `${sign}${Number(ss.toPrecision(3))}s`;
}

export function fmtDate(t) {
  if (!t) return "";
  const d = new Date(t * 1000);
  return d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

// A stable colour per run id (golden-angle hues), the same on every page and reload.
export function colorFor(id, alpha = 1) {
  let hash = 0;
  for (const ch of String(id)) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const hue = Math.round((hash % 360) * 137.508) % 360;
  const light = 38 + (hash >>> 9) % 3 * 8;
  return alpha === 1 ? `hsl(${hue} 70% ${light}%)` : `hsl(${hue} 70% ${light}% / ${alpha})`;
}

export function debounce(fn, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

export function message(text, cls = "note") {
  return h("div", { class: cls }, text);
}

// {"opt": {"lr": 1}} -> {"opt.lr": 1}, as the Config panel's table shows them.
export function flatten(obj, prefix = "", out = {}) {
  for (const [k, v] of Object.entries(obj || {})) {
    if (v && typeof v === "object" && !Array.isArray(v)) flatten(v, `${prefix}${k}.`, out);
    else out[`${prefix}${k}`] = Array.isArray(v) ? JSON.stringify(v) : v;
  }
  return out;
}
