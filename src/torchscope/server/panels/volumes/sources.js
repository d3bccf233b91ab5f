// Where the viewer's slices come from. A source is {meta, stride, local, slice(plane, index, t, px)}:
// `meta` is the volume's entry of GET /api/volumes/index, `stride` the voxel step per axis of what it
// can show ([1, 1, 1] at full resolution), `slice` a Promise of one decoded plane (format.js).
//   serverSource(api, run, meta)       the dashboard: one plane per request, downsampled to px
//   await localSource(meta, loadFrame)  the report and the notebook: whole volumes, sliced here

import { decode, sliceOf } from "./format.js";

const CACHE = 160; // decoded slices kept per server source (a 512x512 plane with labels is ~0.8 MB)

async function bufferOf(url) {
  const r = await fetch(url, { credentials: "same-origin" });
  if (!r.ok) {
    let msg = r.statusText;
    try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
    throw new Error(`${r.status} ${msg}`);
  }
  return r.arrayBuffer();
}

// Slices from GET /api/volumes/slice, kept in a small LRU cache (a request in flight counts: asking
// twice for the same plane waits on one answer).
export function serverSource(api, run, meta) {
  const cache = new Map();
  const keyOf = (plane, index, t, px) => `${plane}|${index}|${t}|${px}`;
  return {
    meta, stride: [1, 1, 1], local: false,
    has(plane, index, t, px) { return cache.has(keyOf(plane, index, t, px)); },
    slice(plane, index, t, px) {
      const k = keyOf(plane, index, t, px);
      let p = cache.get(k);
      if (p) { cache.delete(k); cache.set(k, p); return p; }
      const url = api.url("volumes/slice", { run, key: meta.key, step: meta.step, plane, index, t, max: px });
      p = bufferOf(url).then(decode);
      p.catch(() => cache.delete(k));
      cache.set(k, p);
      while (cache.size > CACHE) cache.delete(cache.keys().next().value);
      return p;
    },
  };
}

// Slices of whole volumes (one per t, the TSV1 volume format): `loadFrame(t)` gives a frame's bytes;
// `frames` lists the t kept (a request for another t gets the nearest kept one).
export async function localSource(meta, loadFrame, frames = null) {
  const T = meta.shape[0];
  const kept = frames && frames.length ? [...frames].sort((a, b) => a - b) : Array.from({ length: T }, (_, i) => i);
  const nearest = (t) => kept.reduce((best, f) => (Math.abs(f - t) < Math.abs(best - t) ? f : best), kept[0]);
  const vols = new Map();
  const frame = (t) => {
    const f = nearest(t);
    if (!vols.has(f)) {
      const p = Promise.resolve(loadFrame(f)).then(decode);
      p.catch(() => vols.delete(f));
      vols.set(f, p);
      while (vols.size > 8) vols.delete(vols.keys().next().value);
    }
    return vols.get(f);
  };
  const first = await frame(kept[0]);
  return {
    meta, stride: first.stride || [1, 1, 1], local: true, frames: kept,
    has() { return false; },
    async slice(plane, index, t) { return sliceOf(await frame(t), plane, index); },
  };
}

// A frame loader reading api.url (the report keeps each frame as a file the page can fetch)
export function urlFrames(api, run, meta, max) {
  return (t) => bufferOf(api.url("volumes/volume.bin", { run, key: meta.key, step: meta.step, t, max }));
}
