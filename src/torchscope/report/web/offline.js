// The API without a server: the snapshot report/snapshot.py kept, read back by request.
// Each answer was kept under how a panel reads it ("json", "bin", "url"), its route and its sorted
// query pairs. A request the snapshot lacks gets the nearest kept answer where that makes sense
// (the route's FUZZY rule from report/plans, or a resolver below), reported through onApprox;
// otherwise api.json/binary reject with "not in this report" and api.url gives a placeholder.
//   const snap = await loadSnapshot(meta); const client = offlineClient(snap, { onApprox });

import { ApiError, decodeFrame } from "../static/api.js";

function bytesOf(base64) {
  const s = atob(base64.trim());
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

async function gunzip(bytes) {
  if (!bytes.length) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// Query pairs as web/api.js sends them: arrays repeat, null/undefined/"" are left out.
export function pairsOf(params) {
  const out = [];
  for (const [k, v] of Object.entries(params || {})) {
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item === null || item === undefined || item === "") continue;
      out.push([k, String(item)]);
    }
  }
  return out;
}

const cmp = (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
export const canonical = (path, pairs) => `${path}?${[...pairs].sort(cmp).map(([k, v]) => `${k}=${v}`).join("&")}`;
const first = (pairs, k) => pairs.find((p) => p[0] === k)?.[1];

function distance(a, b) {
  if (a === undefined && b === undefined) return 0;
  if (a === undefined || b === undefined) return 1e15;
  const x = a.split(",").map(Number), y = b.split(",").map(Number);
  if (x.length !== y.length || x.some(Number.isNaN) || y.some(Number.isNaN)) return 1e15;
  return Math.sqrt(x.reduce((s, v, i) => s + (v - y[i]) ** 2, 0));
}

// "1,4-6" -> [1, 4, 5, 6] (as panels/graph/data.py parse_ids)
function ids(text) {
  const out = [];
  for (const part of String(text || "").split(",").map((p) => p.trim()).filter(Boolean)) {
    const [a, b] = part.split("-").map(Number);
    for (let i = a; i <= (Number.isFinite(b) ? b : a); i++) out.push(i);
  }
  return out;
}

export class Snapshot {
  constructor(entries, packs, fuzzy) {
    this.fuzzy = fuzzy || {};
    this.byKey = new Map();
    this.byRoute = new Map();
    this.parsed = new Map();
    this.urls = new Map();
    for (const [how, path, pairs, mime, pack, offset, length] of entries) {
      const e = { how, path, pairs, mime, bytes: packs[pack].subarray(offset, offset + length) };
      this.byKey.set(`${how} ${canonical(path, pairs)}`, e);
      const route = `${how} ${path}`;
      if (!this.byRoute.has(route)) this.byRoute.set(route, []);
      this.byRoute.get(route).push(e);
    }
  }

  entries(how, path) { return this.byRoute.get(`${how} ${path}`) || []; }

  // {entry} or {value} for a request, with exact: false when it is the nearest kept answer; or null
  find(how, path, params) {
    const pairs = pairsOf(params);
    const hit = this.byKey.get(`${how} ${canonical(path, pairs)}`);
    if (hit) return { entry: hit, exact: true };
    const custom = RESOLVERS[path];
    if (custom) return custom(this, how, path, pairs);
    return this.nearest(how, path, pairs);
  }

  nearest(how, path, pairs) {
    const rule = this.fuzzy[path];
    if (!rule) return null;
    const near = [...rule.near || [], ...rule.quiet || []], loose = new Set([...near, ...rule.ignore || []]);
    const fixed = (ps) => canonical("", ps.filter(([k]) => !loose.has(k)));
    const want = fixed(pairs);
    let best = null, bestD = Infinity;
    for (const e of this.entries(how, path)) {
      if (fixed(e.pairs) !== want) continue;
      const d = near.reduce((s, k) => s + distance(first(pairs, k), first(e.pairs, k)), 0);
      if (d < bestD) { best = e; bestD = d; }
    }
    if (!best) return null;
    const same = (k) => first(pairs, k) === first(best.pairs, k);
    return { entry: best, exact: [...rule.near || [], ...rule.ignore || []].every(same) };
  }

  text(e) { return new TextDecoder().decode(e.bytes); }

  value(e) { // parsed once, handed out as a fresh copy (panels may change what they get)
    if (!this.parsed.has(e)) this.parsed.set(e, JSON.parse(this.text(e)));
    return structuredClone(this.parsed.get(e));
  }

  url(e) {
    if (!this.urls.has(e)) this.urls.set(e, URL.createObjectURL(new Blob([e.bytes], { type: e.mime })));
    return this.urls.get(e);
  }
}

// Graph views: the kept layout whose expanded set is closest to the one asked for (base + expand - collapse).
function graphLayout(snap, how, path, pairs) {
  const run = first(pairs, "run"), key = first(pairs, "key");
  const cands = snap.entries(how, path).filter((e) => first(e.pairs, "run") === run
    && (first(e.pairs, "key") === undefined || first(e.pairs, "key") === key));
  if (!cands.length) return null;
  const expanded = (e) => (e.expanded ||= new Set(snap.value(e).expanded || []));
  const base = first(pairs, "base") || "default";
  const baseEntry = cands.find((e) => (first(e.pairs, "base") || "default") === base && !first(e.pairs, "expand") && !first(e.pairs, "collapse"));
  const want = new Set(baseEntry ? expanded(baseEntry) : []);
  ids(first(pairs, "expand")).forEach((i) => want.add(i));
  ids(first(pairs, "collapse")).forEach((i) => want.delete(i));
  let best = null, bestS = -1;
  for (const e of cands) {
    const got = expanded(e);
    let both = 0;
    for (const i of got) if (want.has(i)) both += 1;
    const s = both / (want.size + got.size - both || 1);
    if (s > bestS) { best = e; bestS = s; }
  }
  return { entry: best, exact: bestS === 1 };
}

// Weight histograms: kept 64 names at a time; answer any names from all of the run's.
function graphWeights(snap, how, path, pairs) {
  const run = first(pairs, "run");
  const names = (first(pairs, "names") || "").split(",").filter(Boolean);
  const all = {};
  for (const e of snap.entries(how, path)) if (first(e.pairs, "run") === run) Object.assign(all, snap.value(e).weights);
  const weights = {};
  for (const n of names) if (n in all) weights[n] = all[n];
  return snap.entries(how, path).length ? { value: { weights }, exact: true } : null;
}

const RESOLVERS = { "graph/layout": graphLayout, "graph/weights": graphWeights };

export async function loadSnapshot(meta) {
  const z = await gunzip(bytesOf(document.getElementById("ts-pack-z").textContent));
  const r = bytesOf(document.getElementById("ts-pack-r").textContent);
  return new Snapshot(meta.entries, { z, r }, meta.fuzzy);
}

function placeholder(path) {
  if (/csv$/.test(path)) {
    return `data:text/plain;charset=utf-8,${encodeURIComponent("Not in this report: this CSV was left out to keep the "
      + "file small (see the report's Data files). torchscope serve exports every point.\n")}`;
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60" viewBox="0 0 200 60">`
    + `<rect width="200" height="60" fill="#f4f4f6" stroke="#dedee3"/><text x="100" y="35" font-family="sans-serif" `
    + `font-size="12" text-anchor="middle" fill="#6b6b73">not in this report</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

// An answer comes after the page's next frame has been laid out, as a server's would: panels size
// their canvases in ResizeObserver callbacks and expect them to have run by the time data arrives.
// (A hidden tab has no frames: then after 100 ms.)
function settle() {
  return new Promise((resolve) => {
    let done = false;
    const go = () => { if (!done) { done = true; setTimeout(resolve, 0); } };
    requestAnimationFrame(go);
    setTimeout(go, 100);
  });
}

// The client half of the panel api (json, binary, url, send), answering from the snapshot.
export function offlineClient(snap, { onApprox = () => {}, onMiss = () => {} } = {}) {
  const got = (how, path, params) => {
    const r = snap.find(how, path, params);
    if (!r) { onMiss(path, params); return null; }
    if (!r.exact) onApprox(path, params);
    return r;
  };
  const missing = (path) => new ApiError(`not in this report: ${path} (the report keeps the views the dashboard opens with)`);
  return {
    url(path, params) {
      const r = got("url", path, params);
      return r ? snap.url(r.entry) : placeholder(path);
    },
    async json(path, params) {
      await settle();
      const r = got("json", path, params);
      if (!r) throw missing(path);
      return r.entry ? snap.value(r.entry) : structuredClone(r.value);
    },
    async binary(path, params) {
      await settle();
      const r = got("bin", path, { ...params, format: "bin" });
      if (!r) throw missing(path);
      return decodeFrame(r.entry.bytes.slice().buffer);
    },
    async send() { throw new ApiError("this report is read-only (renaming, tagging and deleting need torchscope serve)"); },
  };
}
