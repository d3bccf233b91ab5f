// The report page: a header with the runs, a table of contents, one section per panel (the
// dashboard's own panel module, rendered with an offline api), and the exact CSV of every scalar
// key. All panels are shown at once, stacked, so the page scrolls and prints as one document.
//   await start(rootElement, moduleUrls)   (called by loader.js)

import { colorFor, fmtDate, h, message } from "../static/dom.js";
import { loadSnapshot, offlineClient, pairsOf } from "./offline.js";

function memoryState() { // per-panel settings for this page only: every reader starts from the default view
  const data = {};
  return { get: (k, d) => (k in data ? data[k] : d), set: (k, v) => { data[k] = v; } };
}

// The panels add <link rel=stylesheet> for their own CSS; the report has inlined all of it already.
function keepStylesInline() {
  const append = document.head.append.bind(document.head);
  document.head.append = (...nodes) => append(...nodes.filter((n) => !(n instanceof HTMLLinkElement && n.rel === "stylesheet")));
}

const count = (n) => Number(n).toLocaleString("en-US");
const safeName = (key) => (key.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80) || "scalars");

function fmtBytes(n) {
  return n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} kB` : `${(n / (1 << 20)).toFixed(1)} MB`;
}

function header(meta, runs) {
  const rows = runs.map((r) => h("tr", { dataset: { run: r.id } },
    h("td", {}, h("span", { class: "swatch", style: { background: r.color, display: "inline-block" } })),
    h("td", { class: "rp-name" }, r.name), h("td", {}, r.project), h("td", {}, h("span", { class: `status ${r.status}` }, r.status)),
    h("td", {}, fmtDate(r.created)), h("td", { class: "rp-mono" }, r.id),
    h("td", {}, (r.tags || []).map((t) => h("span", { class: "chip" }, t)))));
  return h("div", { class: "rp-head" },
    h("div", { class: "rp-brand" }, "torchscope report"),
    h("h1", { class: "rp-title" }, meta.title),
    h("div", { class: "note rp-meta" }, `made ${fmtDate(meta.created)} by torchscope ${meta.version} from ${meta.source} · `
      + `${runs.length} run${runs.length === 1 ? "" : "s"} · a static copy: charts zoom, sliders move, the graph folds; `
      + "live updates and changes need torchscope serve"),
    h("table", { class: "rp-runs" }, h("thead", {}, h("tr", {}, ["", "run", "project", "status", "created", "id", "tags"].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows)));
}

function toc(meta, extra) {
  const items = [...meta.sections.map((s) => [s.name, s.title, s.summary]), ...extra];
  const skipped = new Map();
  for (const s of meta.skipped) skipped.set(s.reason, [...(skipped.get(s.reason) || []), s.title]);
  return h("div", { class: "rp-toc" }, h("h2", {}, "Contents"),
    h("ol", {}, items.map(([name, title, summary]) => h("li", {}, h("a", { href: `#${name}` }, title),
      summary ? h("span", { class: "note" }, ` · ${summary}`) : null))),
    skipped.size ? h("p", { class: "note rp-skipped" }, "Not in this report: ",
      [...skipped].map(([reason, titles], i) => [i ? "; " : "", h("b", {}, titles.join(", ")), ` (${reason})`])) : null);
}

function attachments(snap, limits) {
  const keysEntry = snap.entries("json", "keys").find((e) => e.pairs.some(([k, v]) => k === "kind" && v === "scalar"));
  if (!keysEntry) return null;
  const csv = new Map(snap.entries("url", "scalars/csv").map((e) => [e.pairs.find(([k]) => k === "key")[1], e]));
  const rows = snap.value(keysEntry).keys.map((k) => {
    const e = csv.get(k.key);
    return h("tr", { dataset: { key: k.key } }, h("td", { class: "rp-name" }, k.key), h("td", {}, count(k.count)),
      h("td", {}, String(k.runs.length)), h("td", {}, e ? fmtBytes(e.bytes.length) : "–"),
      h("td", {}, e ? h("a", { class: "rp-csv", href: snap.url(e), download: `${safeName(k.key)}.csv` }, "CSV")
        : h("span", { class: "note" }, limits.csv ? "not attached: over the size limit" : "not attached")));
  });
  return h("section", { class: "rp-section", id: "attachments", dataset: { state: "ready" } },
    h("h2", {}, "Data files"),
    h("p", { class: "note" }, "Every stored point of each scalar key (all runs; columns run, name, step, wall_time, value), "
      + "exactly as the dashboard's CSV export writes it. The charts above draw at most a thousand or so points per run "
      + `(with each bucket's min and max, so spikes stay visible). CSV files hold up to ${count(limits.max_csv_points)} `
      + "points in all, the smallest keys first."),
    h("table", { class: "rp-files" }, h("thead", {}, h("tr", {}, ["key", "points", "runs", "CSV size", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows)));
}

function makeApi(name, runs, snap, notes) {
  const client = offlineClient(snap, {
    onApprox: (path, params) => notes.approx(path, params),
    onMiss: (path, params) => notes.miss(path, params),
  });
  return {
    panel: name, params: new URLSearchParams(), report: true,
    runs: () => runs, allRuns: () => runs, color: colorFor, state: memoryState(),
    json: client.json, binary: client.binary, url: client.url, send: client.send,
    on: () => () => {}, dispose() {},
  };
}

function sectionNotes(name, box, log) {
  const seen = new Set();
  const show = (kind, path, params) => {
    const what = `${path}?${new URLSearchParams(pairsOf(params))}`;
    log.push({ panel: name, kind, request: what });
    if (kind !== "approx" || seen.has(path)) return;
    seen.add(path);
    box.hidden = false;
    box.dataset.count = String(seen.size);
    box.textContent = "Some of what you asked for here is not kept in this report; the nearest kept view is shown "
      + "(e.g. a zoomed chart shows the whole series' points, a slider the nearest kept step).";
  };
  return { approx: (p, q) => show("approx", p, q), miss: (p, q) => show("miss", p, q) };
}

async function mount(section, urls, api) {
  const mod = await import(urls[section.module]);
  return mod.render(section.body, api);
}

// Printing lays the page out again (page width, 100vh = the paper's height): canvases sized by a
// ResizeObserver would be cleared and redrawn on a later frame, which a print does not wait for. So
// for the print, each drawn canvas is swapped for a picture of itself, and back afterwards.
function printable(root) {
  let swapped = [];
  addEventListener("beforeprint", () => {
    for (const c of root.querySelectorAll("canvas")) {
      const r = c.getBoundingClientRect();
      if (!c.width || !c.height || !r.width || !r.height) continue;
      let src;
      try { src = c.toDataURL("image/png"); } catch (e) { continue; }
      const img = h("img", { src, class: `rp-print-canvas ${c.className}`, alt: c.getAttribute("aria-label") || "",
        style: { width: `${r.width}px`, aspectRatio: `${r.width} / ${r.height}` } });
      c.replaceWith(img);
      swapped.push([img, c]);
    }
  });
  addEventListener("afterprint", () => { for (const [img, c] of swapped) img.replaceWith(c); swapped = []; });
}

function follow(hash) { // #panel or #scalars?key=..: scroll there (the panels' own links use these)
  const [name, query] = hash.replace(/^#/, "").split(/\?(.*)/s);
  const target = name && document.getElementById(name);
  if (!target) return;
  const key = new URLSearchParams(query || "").get("key");
  const card = key && [...target.querySelectorAll("[data-key]")].find((c) => c.dataset.key === key);
  (card || target).scrollIntoView({ block: "start" });
  if (card) { card.classList.add("rp-flash"); setTimeout(() => card.classList.remove("rp-flash"), 1600); }
}

export async function start(root, urls) {
  const meta = JSON.parse(document.getElementById("ts-report").textContent);
  const snap = await loadSnapshot(meta);
  keepStylesInline();
  const runs = meta.runs.map((r) => ({ ...r, color: colorFor(r.id) }));
  const log = [];
  window.torchscope = { charts: new Map(), state: { panels: meta.sections.map((s) => ({ name: s.name, title: s.title })) },
    report: { meta, snap, log } };
  const sections = meta.sections.map((s) => {
    const body = h("div", { class: "panel-body", dataset: { panel: s.name } });
    const note = h("div", { class: "rp-approx note", hidden: true });
    const el = h("section", { class: "rp-section", id: s.name, dataset: { panel: s.name, state: "loading" } },
      h("h2", {}, s.title, h("span", { class: "note" }, ` · ${s.summary}`)), note, body);
    return { ...s, el, body, note };
  });
  const files = attachments(snap, meta.limits);
  root.replaceChildren(header(meta, runs), toc(meta, files ? [["attachments", "Data files", null]] : []),
    ...sections.map((s) => s.el), files || "",
    h("div", { class: "note rp-foot" }, `torchscope ${meta.version} · `, h("a", { href: "#report" }, "back to the top")));
  document.title = meta.title;
  await Promise.all(sections.map(async (s) => {
    const api = makeApi(s.name, runs, snap, sectionNotes(s.name, s.note, log));
    try {
      await mount(s, urls, api);
      s.el.dataset.state = "ready";
    } catch (e) {
      console.error(e);
      s.el.dataset.state = "error";
      s.body.replaceChildren(message(`The ${s.title} panel failed: ${e.message || e}`, "error panel-error"));
    }
  }));
  window.addEventListener("hashchange", () => follow(location.hash));
  printable(root);
  root.dataset.state = "ready";
  if (location.hash) follow(location.hash);
  if (!runs.length) root.append(message("No runs."));
}
