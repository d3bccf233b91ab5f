// The Config panel: runs x hyper-parameters, linked to each run's final (or min/max) metrics;
// click a header to sort; a parallel-coordinates view of the same table below.
//   export function render(el, api) -> {}

import { fmtNum, h, message, num } from "../../static/dom.js";
import { parcoords } from "./parcoords.js";

export async function render(el, api) {
  const runs = api.runs();
  if (!runs.length) { el.replaceChildren(message("Select runs on the left to compare their configs.")); return {}; }
  const byId = new Map(runs.map((r) => [r.id, r]));
  const { rows } = await api.json("config/table", { run: runs.map((r) => r.id) });
  const params = [...new Set(rows.flatMap((r) => Object.keys(r.config)))].sort();
  const varying = params.filter((p) => new Set(rows.map((r) => JSON.stringify(r.config[p]))).size > 1);
  const metrics = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort();
  const summaries = [...new Set(rows.flatMap((r) => Object.keys(r.summary)))].sort();
  let stat = api.state.get("stat", "last"), sort = api.state.get("sort", null), onlyVarying = api.state.get("varying", false);

  const cols = () => [
    { id: "name", label: "run", text: true, get: (r) => r.name },
    { id: "status", label: "status", text: true, get: (r) => r.status },
    ...(onlyVarying ? varying : params).map((p) => ({ id: `c:${p}`, label: p, get: (r) => val(r.config[p]) })),
    ...metrics.map((m) => ({ id: `m:${m}`, label: `${m} (${stat})`, metric: true, get: (r) => val(r.metrics[m]?.[stat]) })),
    ...summaries.map((s) => ({ id: `s:${s}`, label: `summary.${s}`, get: (r) => val(r.summary[s]) })),
  ];
  const tableWrap = h("div", { class: "scroll" }), chartWrap = h("div", { class: "scroll" });
  const statSel = h("select", { class: "stat", "aria-label": "metric statistic", onchange: (e) => { stat = e.target.value; api.state.set("stat", stat); draw(); } },
    ["last", "min", "max"].map((s) => h("option", { value: s }, s)));
  statSel.value = stat;
  el.replaceChildren(h("div", { class: "toolbar" },
    h("label", {}, "metrics ", statSel),
    h("label", {}, h("input", { type: "checkbox", checked: onlyVarying, onchange: (e) => { onlyVarying = e.target.checked; api.state.set("varying", onlyVarying); draw(); } }), "only parameters that differ"),
    h("span", { class: "note" }, `${rows.length} runs · ${params.length} parameters · ${metrics.length} metrics`)),
  h("div", { class: "card" }, tableWrap), h("div", { class: "card" }, h("h3", {}, "parallel coordinates"), chartWrap));

  function draw() {
    const cs = cols();
    let sorted = rows;
    const sc = sort && cs.find((c) => c.id === sort.id);
    if (sc) sorted = [...rows].sort((a, b) => cmp(sc.get(a), sc.get(b)) * sort.dir);
    const head = h("tr", {}, cs.map((c) => h("th", { class: c.text ? "text" : "", dataset: { col: c.id },
      title: "sort", onclick: () => { sort = { id: c.id, dir: sort?.id === c.id ? -sort.dir : 1 }; api.state.set("sort", sort); draw(); } },
    c.label, sort?.id === c.id ? (sort.dir > 0 ? " ▲" : " ▼") : "")));
    const body = sorted.map((r) => h("tr", { dataset: { run: r.run } }, cs.map((c, i) => {
      const v = c.get(r);
      return h("td", { class: c.text ? "text" : "" }, i === 0 ? h("span", { class: "swatch", style: { background: byId.get(r.run)?.color, display: "inline-block", marginRight: "6px" } }) : null,
        typeof v === "number" ? fmtNum(v) : v ?? "–");
    })));
    tableWrap.replaceChildren(h("table", { class: "config" }, h("thead", {}, head), h("tbody", {}, body)));
    const axes = cs.filter((c) => !c.text && rows.some((r) => c.get(r) !== null && c.get(r) !== undefined));
    chartWrap.replaceChildren(axes.length >= 2 ? parcoords(axes, rows, (r) => byId.get(r.run)?.color || "#888")
      : message("Parallel coordinates need at least two parameters or metrics with values."));
  }
  draw();
  return {};
}

function val(v) {
  if (v === undefined || v === null) return null;
  const n = num(v);
  return typeof v === "number" || ["NaN", "Infinity", "-Infinity"].includes(v) ? n : typeof v === "boolean" ? String(v) : v;
}

function cmp(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined || Number.isNaN(a)) return 1;
  if (b === null || b === undefined || Number.isNaN(b)) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}
