// The Histograms panel: each key's distribution over time per run, as overlapping ridges
// (offset view) and as a step x value heatmap; hover the heatmap to read a cell. A filter box
// (substring or regex, remembered) narrows many keys down; only the keys shown are loaded.
//   export function render(el, api) -> {}

import { debounce, fmtNum, h, message, plural } from "../../static/dom.js";
import { heatmap, ridges } from "./draw.js";

export async function render(el, api) {
  const runs = api.runs();
  if (!runs.length) { el.replaceChildren(message("Select runs on the left to see their histograms.")); return {}; }
  const wrap = h("div", { class: "grid hist-grid" });
  let filter = api.state.get("filter", "");
  const status = h("span", { class: "note count" });
  const toolbar = h("div", { class: "toolbar" },
    h("input", { type: "search", class: "filter", placeholder: "filter keys (regex)", value: filter, "aria-label": "filter keys",
      oninput: debounce((e) => { filter = e.target.value; api.state.set("filter", filter); apply(); }, 120) }), status);
  el.replaceChildren(toolbar, wrap);
  const cards = new Map(), loaded = new Set();
  let keys = [], gone = false;

  const matches = (key) => {
    if (!filter) return true;
    try { return new RegExp(filter, "i").test(key); } catch (e) { return key.includes(filter); }
  };
  // show the cards that match; load those not loaded yet, one after another
  let queue = Promise.resolve();
  function apply() {
    const shown = keys.filter(matches);
    for (const [key, c] of cards) c.hidden = !shown.includes(key);
    status.textContent = `${shown.length} of ${plural(keys.length, "key")} · ${plural(runs.length, "run")}`;
    wrap.querySelector(".no-match")?.remove();
    if (keys.length && !shown.length) wrap.append(message("No key matches the filter.", "note no-match"));
    for (const key of shown) {
      if (loaded.has(key)) continue;
      loaded.add(key);
      queue = queue.then(() => (gone ? null : card(key))).catch((e) => console.error(e));
    }
  }

  async function card(key) {
    const data = await api.json("histograms/series", { key, run: runs.map((r) => r.id), limit: 60 });
    const blocks = [];
    for (const run of runs) {
      const hists = (data.runs[run.id] || []).map((e) => ({ ...e, lo: Number(e.lo), hi: Number(e.hi), counts: e.counts.map(Number) }));
      if (!hists.length) continue;
      const rc = h("canvas", { class: "hist ridges", dataset: { run: run.id, steps: hists.length } });
      const hc = h("canvas", { class: "hist heatmap", dataset: { run: run.id, steps: hists.length } });
      const read = h("div", { class: "readout" }, "hover the heatmap");
      blocks.push({ run, hists, rc, hc, read },);
    }
    const c = h("div", { class: "card", dataset: { key } }, h("h3", {}, h("span", { class: "title" }, key)),
      blocks.length ? blocks.map((b) => h("div", { class: "hist-run" },
        h("div", { class: "note" }, h("span", { class: "swatch", style: { background: b.run.color, display: "inline-block" } }), ` ${b.run.name} · ${plural(b.hists.length, "step")}`),
        h("div", { class: "hist-pair" }, b.rc, h("div", {}, b.hc, b.read)))) : message("no histograms for these runs"));
    c.hidden = !matches(key);
    cards.get(key).replaceWith(c);
    cards.set(key, c);
    for (const b of blocks) {
      ridges(b.rc, b.hists, b.run.color);
      const geo = heatmap(b.hc, b.hists);
      b.hc.addEventListener("mousemove", (e) => {
        const i = Math.floor((e.offsetX - geo.x0) / geo.cw), r = Math.floor((geo.y1 - e.offsetY) / geo.rh);
        if (i < 0 || i >= b.hists.length || r < 0 || r >= geo.g.rows) return;
        const v = geo.g.lo + (r + 0.5) * (geo.g.hi - geo.g.lo) / geo.g.rows;
        b.read.textContent = `step ${b.hists[i].step} · value ≈ ${fmtNum(Number(v.toPrecision(4)))} · count ${fmtNum(geo.g.m[i][r])}`;
      });
    }
  }

  // a card's place, in key order, until it is loaded
  const placeholder = (key) => h("div", { class: "card", dataset: { key, state: "idle" } }, h("h3", {}, h("span", { class: "title" }, key)));
  const listed = await api.json("keys", { run: runs.map((r) => r.id), kind: "histogram" });
  keys = listed.keys.map((k) => k.key);
  for (const key of keys) { const c = placeholder(key); cards.set(key, c); wrap.append(c); }
  if (!keys.length) wrap.append(message("No histograms logged in these runs (run.log_histogram)."));
  apply();
  await queue;
  api.on("keys", (evt) => {
    if (evt.kind !== "histogram" || !runs.some((r) => r.id === evt.run)) return;
    if (!cards.has(evt.key)) { keys.push(evt.key); const c = placeholder(evt.key); cards.set(evt.key, c); wrap.append(c); }
    loaded.delete(evt.key); // new data: read it again when shown
    apply();
  });
  return { destroy() { gone = true; } };
}
