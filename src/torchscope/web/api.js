// The client side of the JSON API and of the live event stream.
//   const client = createClient(); const { runs } = await client.json("runs");

import { num } from "./dom.js";

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === null || v === undefined || v === "") continue;
    for (const item of Array.isArray(v) ? v : [v]) q.append(k, String(item));
  }
  const s = q.toString();
  return s ? "?" + s : "";
}

export class ApiError extends Error {}

export function createClient(base = "api/") {
  const url = (path, params) => base + path + query(params);
  async function get(path, params, opts) {
    const r = await fetch(url(path, params), { credentials: "same-origin", ...(opts || {}) });
    if (!r.ok) {
      let msg = r.statusText;
      try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
      throw new ApiError(`${r.status} ${msg}`);
    }
    return r;
  }
  return {
    url,
    json: async (path, params, opts) => (await get(path, params, opts)).json(),
    binary: async (path, params, opts) => decodeFrame(await (await get(path, { ...params, format: "bin" }, opts)).arrayBuffer()),
    send: async (method, path, body) => {
      const r = await fetch(url(path), { method, credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
      const data = await r.json().catch(() => ({}));
      if (!r.ok) throw new ApiError(data.error || r.statusText);
      return data;
    },
  };
}

// A binary frame: uint32 header length, JSON header, float64 columns (see server/encode.py).
export function decodeFrame(buf) {
  const len = new DataView(buf).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, len)));
  let off = 4 + len;
  for (const run of header.runs) {
    run.cols = {};
    for (const c of header.cols) {
      run.cols[c] = new Float64Array(buf, off, run.n);
      off += run.n * 8;
    }
  }
  return header;
}

// Live updates: an EventSource that survives server restarts. on(event, fn) for
// "scalars", "keys", "runs", "store" ({ok, error}: the server cannot read its store, or can again),
// "open" (first connection) and "reconnect" (after a drop).
// A tab hidden for more than HIDDEN_MS lets its stream go (a browser allows six connections per
// server over HTTP/1.1, so streams held by background tabs would stall the visible one) and
// reconnects when shown again, which reads as a "reconnect": the page catches up.
const HIDDEN_MS = 5000;

export class Live {
  constructor(url) {
    this.url = url;
    this.handlers = {};
    this.connected = false;
    this.everOpen = false;
    this.paused = false;
    this.connect();
    document.addEventListener("visibilitychange", () => this.visibility());
  }
  visibility() {
    clearTimeout(this.hideTimer);
    if (document.hidden) {
      this.hideTimer = setTimeout(() => {
        if (!document.hidden || !this.es) return;
        this.paused = true;
        this.close();
        this.connected = false;
      }, HIDDEN_MS);
    } else if (this.paused) {
      this.paused = false;
      this.connect();
    }
  }
  on(event, fn) { (this.handlers[event] ||= new Set()).add(fn); return () => this.handlers[event].delete(fn); }
  emit(event, data) { for (const fn of this.handlers[event] || []) { try { fn(data); } catch (e) { console.error(e); } } }
  connect() {
    const es = new EventSource(this.url);
    this.es = es;
    es.addEventListener("hello", () => {
      this.connected = true;
      this.emit(this.everOpen ? "reconnect" : "open", {});
      this.everOpen = true;
      this.emit("status", true);
    });
    for (const ev of ["scalars", "keys", "runs", "store"]) {
      es.addEventListener(ev, (m) => this.emit(ev, JSON.parse(m.data)));
    }
    es.onerror = () => {
      if (this.connected) { this.connected = false; this.emit("status", false); }
      if (es.readyState === EventSource.CLOSED) setTimeout(() => { if (this.es === es) this.connect(); }, 1500);
    };
  }
  close() { this.es?.close(); this.es = null; }
}

export const numbers = (arr) => Float64Array.from(arr || [], num);
