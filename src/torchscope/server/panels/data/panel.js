// The Data panel: the data records of the selected runs (a data.profile and any data.* view),
// each drawn in the browser from the record's data; kinds without a browser renderer show the
// record's own matplotlib figure.
//   export function render(el, api) -> { destroy() }

import { h, message } from "../../static/dom.js";
import { classBalance, featureDists, pixelStats } from "./charts.js";
import { meanImages, projectionPreview, samples } from "./images.js";
import { correlation, pairplot } from "./tables.js";

const WIDE = new Set(["data.feature_dists"]);
const ORDER = ["data.class_balance", "data.samples", "data.mean_images", "data.pixel_stats", "data.feature_dists",
  "data.correlation", "data.pairplot", "data.projection"];

function stylesheet() {
  if (document.getElementById("data-css")) return;
  document.head.append(h("link", { id: "data-css", rel: "stylesheet", href: "panels/data/panel.css" }));
}

function summary(group) {
  const rows = Object.entries(group.summary || {}).map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, typeof v === "number" ? v.toLocaleString() : String(v))));
  const warn = (group.warnings || []).map((w) => h("li", {}, w));
  return h("div", { class: "card summary" }, h("h3", {}, h("span", { class: "title" }, group.title)),
    h("table", { class: "kv" }, rows), warn.length ? h("ul", { class: "warnings" }, warn) : h("div", { class: "ok small" }, "no warnings"));
}

export async function render(el, api) {
  stylesheet();
  const runs = api.runs();
  if (!runs.length) { el.replaceChildren(message("Select a run on the left to see its data.")); return {}; }
  const wrap = h("div", { class: "data-panel" });
  el.replaceChildren(wrap);
  let redraws = [];

  async function build() {
    const { runs: byRun } = await api.json("data/overview", { run: runs.map((r) => r.id) });
    const sections = [];
    redraws = [];
    for (const run of runs) {
      const groups = byRun[run.id] || [];
      if (!groups.length) continue;
      const section = h("section", { class: "data-run", dataset: { run: run.id } },
        runs.length > 1 ? h("h2", {}, h("span", { class: "swatch", style: { background: run.color } }), run.name) : null);
      for (const g of groups) {
        const grid = h("div", { class: "data-grid" });
        if (g.kind === "data.profile") grid.append(summary(g));
        const views = [...g.views].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
        for (const v of views) grid.append(card(v, run, redraws, api));
        section.append(h("div", { class: "data-group", dataset: { key: g.key, id: g.id } },
          g.kind === "data.profile" ? null : h("div", { class: "muted small" }, `${g.key} · step ${g.step}`), grid));
      }
      sections.push(section);
    }
    wrap.replaceChildren(...(sections.length ? sections : [message("No data records in these runs. Log one with " +
      "run.log_record(ts.data.profile(train, test)) (or any view: run.log_record(ts.data.class_balance(train, test))).")]));
  }

  await build();
  // a record logged while the panel is open (a new key, or a newer record of a key) redraws it
  let timer = 0;
  api.on("keys", (evt) => {
    if (evt.kind !== "record" || !runs.some((r) => r.id === evt.run)) return;
    clearTimeout(timer);
    timer = setTimeout(() => build().catch((e) => console.error(e)), 300);
  });
  let width = wrap.clientWidth;
  const ro = new ResizeObserver(() => {
    if (Math.abs(wrap.clientWidth - width) < 16) return;
    width = wrap.clientWidth;
    redraws.forEach((f) => f());
  });
  ro.observe(wrap);
  return { destroy() { ro.disconnect(); clearTimeout(timer); } };
}

function card(v, run, redraws, api) {
  const address = { run: run.id, key: v.key, id: v.id, part: v.part };
  const url = (field) => api.url("data/pixels", { ...address, field });
  const body = h("div", { class: "body" });
  const tools = h("span", { class: "tools" });
  const el = h("div", { class: `card view${WIDE.has(v.kind) ? " wide" : ""}`, dataset: { kind: v.kind, part: v.part } },
    h("h3", {}, h("span", { class: "title", title: v.title }, v.title), tools), body);
  const width = () => Math.max(240, body.clientWidth || el.clientWidth - 22 || 400);
  const opts = {};
  const draw = {
    "data.class_balance": () => classBalance(v.data, width(), opts),
    "data.pixel_stats": () => pixelStats(v.data, width()),
    "data.feature_dists": () => featureDists(v.data, width(), opts),
    "data.correlation": () => correlation(v.data, width()),
    "data.pairplot": () => pairplot(v.data, width()),
    "data.samples": () => samples(v.data, url, width()),
    "data.mean_images": () => meanImages(v.data, url, width()),
  }[v.kind];
  if (draw) {
    const redraw = () => body.replaceChildren(draw());
    requestAnimationFrame(redraw); // after layout, so the chart takes the card's width
    redraws.push(redraw);
    if (v.kind === "data.class_balance") {
      tools.append(toggle("%", "show each split's share instead of counts", (on) => { opts.share = on; redraw(); }));
    }
    if (v.kind === "data.feature_dists" && v.data.feature_names.length > 12) {
      tools.append(toggle("all", "show every feature", (on) => { opts.all = on; redraw(); }));
    }
  } else if (v.kind === "data.projection") body.append(projectionPreview(v.data, api, address));
  else {
    body.append(h("img", { class: "figure", alt: v.title, src: api.url("data/figure", address) }),
      h("div", { class: "muted small" }, `${v.kind}: matplotlib figure (no browser renderer)`));
  }
  return el;
}

function toggle(text, title, onChange) {
  const b = h("button", { type: "button", class: "small", title, "aria-pressed": "false" }, text);
  b.addEventListener("click", () => {
    const on = b.getAttribute("aria-pressed") !== "true";
    b.setAttribute("aria-pressed", String(on));
    onChange(on);
  });
  return b;
}
