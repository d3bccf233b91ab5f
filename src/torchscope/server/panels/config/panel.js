// The Config panel: runs x hyper-parameters, linked to each run's metrics (the last, min or max of
// every scalar key), as a sortable table and as parallel coordinates. One set of columns serves both:
// by default the parameters that differ between the runs and a few headline metrics (validation and
// training accuracy and loss); chips above add, remove (×) and reorder (◀ ▶, or drag) them, and the
// choice is kept. The table can show every parameter; summaries (run.summary) close it.
//   export function render(el, api) -> { destroy() }

import { debounce, fmtNum, h, message, num, plural } from "../../static/dom.js";
import { parcoords } from "./parcoords.js";

function loadCss() {
  const href = new URL("./config.css", import.meta.url).href;
  if (![...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === href)) {
    document.head.append(h("link", { rel: "stylesheet", href }));
  }
}

const HIDDEN_METRICS = /^(watch|sys|system)\//; // run.watch's per-layer statistics and system metrics: not headline
const MAX_DEFAULT_METRICS = 3;

// The headline metrics of a run set: validation before training, accuracy before loss.
export function headlineMetrics(metrics) {
  const rank = (k) => [/^(val|valid|validation|test|eval)[/_]/.test(k) ? 0 : /^train[/_]/.test(k) ? 1 : 2,
    /acc/.test(k) ? 0 : /loss/.test(k) ? 1 : 2];
  const cands = metrics.filter((k) => !HIDDEN_METRICS.test(k) && k !== "epoch" && rank(k)[0] < 2 && rank(k)[1] < 2);
  return cands.sort((a, b) => rank(a)[0] - rank(b)[0] || rank(a)[1] - rank(b)[1] || a.localeCompare(b)).slice(0, MAX_DEFAULT_METRICS);
}

export async function render(el, api) {
  loadCss();
  const runs = api.runs();
  if (!runs.length) { el.replaceChildren(message("Select runs on the left to compare their configs.")); return {}; }
  const byId = new Map(runs.map((r) => [r.id, r]));
  const { rows } = await api.json("config/table", { run: runs.map((r) => r.id) });
  const params = [...new Set(rows.flatMap((r) => Object.keys(r.config)))].sort();
  // a parameter differs when the runs that have it hold two values of it or more (one a run lacks is no difference)
  const varying = params.filter((p) => new Set(rows.filter((r) => r.config[p] !== undefined && r.config[p] !== null)
    .map((r) => JSON.stringify(r.config[p]))).size > 1);
  const metrics = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort();
  const summaries = [...new Set(rows.flatMap((r) => Object.keys(r.summary)))].sort();
  const st = api.state;
  let stat = st.get("stat", "last"), sort = st.get("sort", null), allParams = st.get("allParams", false);
  const ids = new Set([...params.map((p) => `c:${p}`), ...metrics.map((m) => `m:${m}`)]);
  const defaults = () => [...varying.map((p) => `c:${p}`), ...headlineMetrics(metrics).map((m) => `m:${m}`)];
  let axes = (st.get("axes", null) || defaults()).filter((id) => ids.has(id));
  const setAxes = (next) => { axes = next; st.set("axes", axes); draw(); };

  const column = (id) => {
    const key = id.slice(2);
    if (id.startsWith("c:")) return { id, label: key, get: (r) => val(r.config[key]) };
    return { id, label: `${key} (${stat})`, metric: true, get: (r) => val(r.metrics[key]?.[stat]) };
  };
  const tableCols = () => [
    { id: "name", label: "run", text: true, get: (r) => r.name },
    { id: "status", label: "status", text: true, get: (r) => r.status },
    ...axes.map(column),
    ...(allParams ? params.filter((p) => !axes.includes(`c:${p}`)).map((p) => column(`c:${p}`)) : []),
    ...summaries.map((s) => ({ id: `s:${s}`, label: `summary.${s}`, get: (r) => val(r.summary[s]) })),
  ];

  const chips = h("div", { class: "cfg-axes", role: "list", "aria-label": "columns" });
  const tableWrap = h("div", { class: "scroll" }), chartWrap = h("div", { class: "scroll cfg-chart" }), legend = h("div", { class: "cfg-legend" });
  const statSel = h("select", { class: "stat", "aria-label": "metric statistic",
    onchange: (e) => { stat = e.target.value; st.set("stat", stat); draw(); } }, ["last", "min", "max"].map((s) => h("option", { value: s }, s)));
  statSel.value = stat;
  el.replaceChildren(
    h("div", { class: "toolbar" },
      h("label", {}, "metrics ", statSel),
      h("label", { title: "the table also shows the parameters that are not columns above" },
        h("input", { type: "checkbox", class: "all-params", checked: allParams,
          onchange: (e) => { allParams = e.target.checked; st.set("allParams", allParams); draw(); } }), "every parameter in the table"),
      h("span", { class: "note cfg-count" }, `${plural(rows.length, "run")} · ${plural(params.length, "parameter")} `
        + `(${varying.length} differ) · ${plural(metrics.length, "metric")}`)),
    h("div", { class: "card cfg-columns" }, h("h3", {}, h("span", { class: "title" }, "Columns"),
      h("button", { class: "small", title: "the parameters that differ and the headline metrics", onclick: () => setAxes(defaults()) }, "defaults")),
    chips),
    h("div", { class: "card cfg-table" }, tableWrap),
    h("div", { class: "card cfg-pc" }, h("h3", {}, h("span", { class: "title" }, "Parallel coordinates")), chartWrap, legend));

  function drawChips() {
    const move = (i, j) => { if (j < 0 || j >= axes.length) return; const a = [...axes]; a.splice(j, 0, a.splice(i, 1)[0]); setAxes(a); };
    const items = axes.map((id, i) => {
      const label = id.slice(2), kind = id.startsWith("c:") ? "parameter" : "metric";
      const chip = h("span", { class: `cfg-chip ${kind}`, role: "listitem", draggable: "true", dataset: { col: id }, title: `${kind}: ${label}` },
        h("button", { class: "mv", "aria-label": `move ${label} left`, disabled: i === 0, onclick: () => move(i, i - 1) }, "◀"),
        h("span", { class: "name" }, label),
        h("button", { class: "mv", "aria-label": `move ${label} right`, disabled: i === axes.length - 1, onclick: () => move(i, i + 1) }, "▶"),
        h("button", { class: "rm", "aria-label": `remove ${label}`, onclick: () => setAxes(axes.filter((a) => a !== id)) }, "×"));
      chip.addEventListener("dragstart", (e) => { e.dataTransfer.setData("text/plain", String(i)); });
      chip.addEventListener("dragover", (e) => e.preventDefault());
      chip.addEventListener("drop", (e) => { e.preventDefault(); const from = Number(e.dataTransfer.getData("text/plain")); if (from !== i) move(from, i); });
      return chip;
    });
    const rest = (list, prefix) => list.filter((k) => !axes.includes(`${prefix}${k}`)).map((k) => h("option", { value: `${prefix}${k}` }, k));
    const add = h("select", { class: "cfg-add", "aria-label": "add a column", onchange: (e) => { if (e.target.value) setAxes([...axes, e.target.value]); } },
      h("option", { value: "" }, "+ add a column…"),
      h("optgroup", { label: "parameters" }, rest(params, "c:")),
      h("optgroup", { label: "metrics" }, rest(metrics.filter((m) => !HIDDEN_METRICS.test(m)), "m:")),
      h("optgroup", { label: "per-layer and system metrics" }, rest(metrics.filter((m) => HIDDEN_METRICS.test(m)), "m:")));
    chips.replaceChildren(...items, add, ...(axes.length ? [] : [h("span", { class: "note" }, "no columns: add some")]));
  }

  function drawTable() {
    const cs = tableCols();
    let sorted = rows;
    const sc = sort && cs.find((c) => c.id === sort.id);
    if (sc) sorted = [...rows].sort((a, b) => cmp(sc.get(a), sc.get(b)) * sort.dir);
    const head = h("tr", {}, cs.map((c) => h("th", { class: c.text ? "text" : "", dataset: { col: c.id },
      title: "sort", onclick: () => { sort = { id: c.id, dir: sort?.id === c.id ? -sort.dir : 1 }; st.set("sort", sort); draw(); } },
    c.label, sort?.id === c.id ? (sort.dir > 0 ? " ▲" : " ▼") : "")));
    const body = sorted.map((r) => h("tr", { dataset: { run: r.run } }, cs.map((c, i) => {
      const v = c.get(r);
      return h("td", { class: c.text ? "text" : "" }, i === 0 ? h("span", { class: "swatch", style: { background: byId.get(r.run)?.color, display: "inline-block", marginRight: "6px" } }) : null,
        typeof v === "number" ? fmtNum(v) : v ?? "–");
    })));
    tableWrap.replaceChildren(h("table", { class: "config" }, h("thead", {}, head), h("tbody", {}, body)));
  }

  function drawChart() {
    const cols = axes.map(column).filter((c) => rows.some((r) => c.get(r) !== null && c.get(r) !== undefined));
    if (cols.length < 2) {
      chartWrap.replaceChildren(message("Parallel coordinates need two columns with values or more: add them above."));
      legend.replaceChildren();
      return;
    }
    const color = (r) => byId.get(r.run)?.color || "#888";
    chartWrap.replaceChildren(parcoords(cols, rows, color, { width: chartWrap.clientWidth || 800 }));
    legend.replaceChildren(...rows.map((r) => h("span", { class: "item", title: r.name },
      h("span", { class: "swatch", style: { background: color(r) } }), r.name)),
    ...(rows.length < 2 ? [h("span", { class: "note" }, "select more runs to compare them")] : []));
  }

  function draw() { drawChips(); drawTable(); drawChart(); }
  draw();
  let lastWidth = chartWrap.clientWidth;
  const ro = new ResizeObserver(debounce(() => { if (chartWrap.clientWidth !== lastWidth) { lastWidth = chartWrap.clientWidth; drawChart(); } }, 150));
  ro.observe(chartWrap);
  return { destroy() { ro.disconnect(); } };
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
