// The Histograms panel: each key's distribution over time per run, as overlapping ridges
// (offset view) and as a step x value heatmap; hover the heatmap to read a cell.
//   export function render(el, api) -> {}

import { fmtNum, h, message } from "../../static/dom.js";
import { heatmap, ridges } from "./draw.js";

export async function render(el, api) {
  const runs = api.runs();
  if (!runs.length) { el.replaceChildren(message("Select runs on the left to see their histograms.")); return {}; }
  const wrap = h("div", { class: "grid hist-grid" });
  el.replaceChildren(wrap);
  const cards = new Map();

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
        h("div", { class: "note" }, h("span", { class: "swatch", style: { background: b.run.color, display: "inline-block" } }), ` ${b.run.name} · ${b.hists.length} steps`),
        h("div", { class: "hist-pair" }, b.rc, h("div", {}, b.hc, b.read)))) : message("no histograms for these runs"));
    if (cards.has(key)) cards.get(key).replaceWith(c); else wrap.append(c);
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

  const { keys } = await api.json("keys", { run: runs.map((r) => r.id), kind: "histogram" });
  if (!keys.length) wrap.append(message("No histograms logged in these runs (run.log_histogram)."));
  for (const k of keys) await card(k.key);
  api.on("keys", (evt) => { if (evt.kind === "histogram" && runs.some((r) => r.id === evt.run)) card(evt.key); });
  return {};
}
