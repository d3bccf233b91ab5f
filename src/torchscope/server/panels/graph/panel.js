// The Graph panel: a run's model graph (run.log_graph) on a canvas: pan, zoom and pinch; expand or
// collapse any module or folded block (double-click, the + badge, or the details card); search by
// name or type; click a node for its shapes, parameters, FLOPs and weight histogram, with the path
// from the input highlighted. A second tab shows the model summary table.
//   export function render(el, api) -> { destroy() }

import { h, message, plural } from "../../static/dom.js";
import { details } from "./details.js";
import { graphCanvas } from "./draw.js";
import { summaryTable } from "./summary.js";

function loadCss() {
  const href = new URL("./graph.css", import.meta.url).href;
  if (![...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === href)) {
    document.head.append(h("link", { rel: "stylesheet", href }));
  }
}

const ids = (set) => [...set].sort((a, b) => a - b).join(",");

export async function render(el, api) {
  loadCss();
  const runs = api.runs();
  if (!runs.length) { el.replaceChildren(message("Select a run on the left to see its model graph.")); return {}; }
  const { runs: idx } = await api.json("graph/index", { run: runs.map((r) => r.id) });
  const found = runs.filter((r) => idx[r.id] && (idx[r.id].graphs.length || idx[r.id].summaries.length));
  if (!found.length) {
    el.replaceChildren(message("No model graph in the selected runs. Log one with run.log_graph(model, x)."));
    return {};
  }
  const S = { run: found.find((r) => r.id === api.state.get("run")) || found[0], tab: api.state.get("tab", "graph"),
    base: "default", add: new Set(), remove: new Set(), record: null, selected: null, seq: 0 };

  const canvas = h("canvas", { class: "gp-canvas", "aria-label": "model graph" });
  const side = h("div", { class: "gp-side" });
  const status = h("span", { class: "gp-status note" });
  const busy = h("div", { class: "gp-busy", hidden: true }, "laying out…");
  const stage = h("div", { class: "gp-stage" }, canvas, status, side, busy, h("div", { class: "gp-hint note" },
    "drag to pan · wheel or pinch to zoom · double-click or + to expand · click a node for details"));
  const results = h("ul", { class: "gp-results", hidden: true });
  const search = h("input", { type: "search", class: "gp-search", placeholder: "search name or type", "aria-label": "search nodes" });
  const runPick = h("select", { "aria-label": "run", hidden: found.length < 2 },
    found.map((r) => h("option", { value: r.id, selected: r.id === S.run.id }, r.name)));
  const tabs = ["graph", "summary"].map((t) => h("button", { class: "gp-tab", dataset: { tab: t }, onclick: () => show(t) },
    t === "graph" ? "Graph" : "Summary"));
  const btn = (label, fn, title) => h("button", { class: "small", onclick: fn, title }, label);
  const tools = h("span", { class: "gp-tools" },
    btn("Expand all", () => reset("all"), "open every module and folded block"),
    btn("Collapse", () => reset("none"), "only the model itself"),
    btn("Default", () => reset("default"), "the record's own view"),
    btn("Fit", () => view.fit(), "fit the graph to the screen"));
  const summaryBox = h("div", { class: "gp-summary", hidden: true });
  const graphBox = h("div", { class: "gp-graph" }, stage);
  const root = h("div", { class: "gp", dataset: { state: "loading" } },
    h("div", { class: "gp-bar" }, h("span", { class: "gp-tabs" }, tabs), runPick,
      h("span", { class: "gp-find" }, search, results), tools),
    graphBox, summaryBox);
  el.replaceChildren(root);

  const view = graphCanvas(canvas, {
    onPick: (hit) => {
      if (!hit) return select(null);
      if (hit.cluster) return select(hit.cluster.id);
      if (hit.badge) return toggle(hit.node.id);
      select(hit.node.id);
    },
    onOpen: (hit) => { if (hit && (hit.node?.openable || hit.cluster)) toggle((hit.node || hit.cluster).id); },
  });
  const ro = new ResizeObserver(() => view.resize());
  ro.observe(canvas);

  const depthOf = (id) => (S.record ? S.record.nodes[id].depth : 0);
  const isOpen = (id) => view.layout && view.layout.expanded.includes(id);

  async function relayout(keep) {
    const seq = ++S.seq, before = keep !== undefined && anchor(keep);
    busy.hidden = false; root.dataset.state = "busy";
    try {
      const L = await api.json("graph/layout", { run: S.run.id, base: S.base, expand: ids(S.add), collapse: ids(S.remove) });
      if (seq !== S.seq) return;
      const first = !view.layout;
      view.set(L, depthOf, (n) => n.expandable || (S.record.nodes[n.id].has_children && !L.expanded.includes(n.id)));
      const after = keep !== undefined && anchor(keep);
      if (first) view.fit(); // the whole graph, input to output
      else if (before && after) { view.tx += (before[0] - after[0]) * view.k; view.ty += (before[1] - after[1]) * view.k; }
      canvas.dataset.nodes = L.nodes.length;
      status.textContent = shownText(L, S.record);
      markPath(); runSearch(false);
    } finally { if (seq === S.seq) { busy.hidden = true; root.dataset.state = "ready"; } }
  }
  function anchor(id) {  // a node's top-centre, or its cluster's, in layout coordinates
    const n = view.byId.get(id);
    if (n) return [n.x, n.y - n.h / 2];
    const c = view.layout && view.layout.clusters.find((c) => c.id === id);
    return c ? [(c.box[0] + c.box[2]) / 2, c.box[1]] : null;
  }

  function toggle(id) {
    if (isOpen(id)) { S.add.delete(id); S.remove.add(id); } else { S.remove.delete(id); S.add.add(id); }
    return relayout(id).then(() => select(id));
  }
  function reset(base) { S.base = base; S.add.clear(); S.remove.clear(); view.layout = null; select(null); return relayout(); }

  function markPath() {  // everything upstream of the selected node, on the visible graph
    view.pathNodes = new Set(); view.pathEdges = new Set();
    if (S.selected === null || !view.layout) return view.draw();
    const into = new Map();
    view.layout.edges.forEach((e, i) => { if (!into.has(e.dst)) into.set(e.dst, []); into.get(e.dst).push(i); });
    const stack = [S.selected];
    while (stack.length) {
      const id = stack.pop();
      for (const i of into.get(id) || []) {
        if (view.pathEdges.has(i)) continue;
        view.pathEdges.add(i);
        const src = view.layout.edges[i].src;
        if (!view.pathNodes.has(src)) { view.pathNodes.add(src); stack.push(src); }
      }
    }
    view.draw();
  }

  function select(id) {
    S.selected = id; view.selected = id;
    markPath();
    if (id === null) { side.replaceChildren(); side.classList.remove("open"); return; }
    const n = S.record.nodes[id];
    side.replaceChildren(details(n, {
      expanded: isOpen(id), onToggle: toggle, onClose: () => select(null),
      weights: async (names) => (await api.json("graph/weights", { run: S.run.id, names: names.join(",") })).weights,
    }));
    side.classList.add("open");
  }

  async function focusNode(id) {
    results.hidden = true;
    if (!view.byId.has(id)) {  // open every folded ancestor, then lay out again
      for (let p = S.record.nodes[id].parent; p !== null && p !== undefined; p = S.record.nodes[p].parent) {
        S.remove.delete(p); if (!isOpen(p)) S.add.add(p);
      }
      await relayout();
    }
    view.focus(id);
    select(id);
  }

  function matches(q) {
    q = q.trim().toLowerCase();
    if (!q || !S.record) return [];
    return S.record.nodes.filter((n) =>
      (n.name || "").toLowerCase().includes(q) || (n.type || "").toLowerCase().includes(q));
  }
  function runSearch(list = true) {
    const hits = matches(search.value);
    view.matches = new Set(hits.map((n) => n.id).filter((i) => view.byId.has(i)));
    view.draw();
    if (!list) return;
    results.replaceChildren(...hits.slice(0, 40).map((n) => h("li", { dataset: { id: n.id }, onclick: () => focusNode(n.id) },
      h("b", {}, n.kind === "repeat" ? `${n.type} ×${n.repeat}` : n.type), " ", h("span", { class: "note" }, n.name || "(root)"))),
    hits.length > 40 ? h("li", { class: "note" }, `… ${hits.length - 40} more`) : null);
    results.hidden = !search.value.trim();
    if (search.value.trim() && !hits.length) results.replaceChildren(h("li", { class: "note" }, "no match"));
  }
  search.addEventListener("input", () => runSearch(true));
  search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { const m = matches(search.value); if (m.length) focusNode(m[0].id); }
    if (e.key === "Escape") { search.value = ""; runSearch(); results.hidden = true; }
  });

  async function show(tab) {
    S.tab = tab; api.state.set("tab", tab);
    tabs.forEach((b) => b.classList.toggle("active", b.dataset.tab === tab));
    graphBox.hidden = tab !== "graph"; summaryBox.hidden = tab !== "summary"; root.classList.toggle("on-graph", tab === "graph");
    tools.hidden = tab !== "graph"; search.parentElement.hidden = tab !== "graph";
    if (tab === "summary" && !summaryBox.dataset.run) {
      summaryBox.dataset.run = S.run.id;
      try { summaryBox.replaceChildren(summaryTable(await api.json("graph/summary", { run: S.run.id }))); }
      catch (e) { summaryBox.replaceChildren(message(`No model summary in this run (${e.message}).`)); }
    }
    if (tab === "graph") view.resize();
  }

  async function open(run) {
    S.run = run; api.state.set("run", run.id);
    S.base = "default"; S.add.clear(); S.remove.clear(); S.selected = null; view.layout = null;
    delete summaryBox.dataset.run;
    select(null);
    if (!idx[run.id].graphs.length) { S.record = null; status.textContent = "no graph in this run"; return show("summary"); }
    S.record = await api.json("graph/record", { run: run.id });
    if (S.record.error) status.title = S.record.error;
    root.classList.toggle("on-graph", S.tab === "graph"); // the stage at its size before the first fit
    view.resize();
    await relayout();
    await show(S.tab);
  }
  // a cut label (a box too narrow for its title): the whole of it as the canvas's tooltip
  canvas.addEventListener("mousemove", (e) => {
    const hit = view.layout && view.hit(e.offsetX, e.offsetY);
    const text = hit?.cluster ? hit.cluster.title : hit?.node ? [hit.node.title, hit.node.sub].filter(Boolean).join(" · ") : "";
    if (canvas.title !== text) canvas.title = text;
  });
  runPick.addEventListener("change", () => open(found.find((r) => r.id === runPick.value)));
  await open(S.run);
  return { destroy() { ro.disconnect(); } };
}

// What the view shows of the graph: its boxes and open modules (frames), out of every module and
// operation of the record but the model itself (it is the canvas): "12 nodes and 2 open modules shown of 24".
export function shownText(layout, record) {
  const total = record.nodes.filter((n) => !(n.parent === null || n.parent === undefined) || n.kind !== "module").length;
  const open = layout.clusters.length;
  return `${plural(layout.nodes.length, "node")}${open ? ` and ${plural(open, "open module")}` : ""} shown of ${total.toLocaleString("en-US")}`;
}
