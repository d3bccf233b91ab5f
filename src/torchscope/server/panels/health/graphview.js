// The Health panel's model graph: the run's logged graph (run.log_graph) drawn by the Graph panel's
// canvas (../graph/draw.js, through its nodeStyle hook), every module coloured by the heat map's
// statistic at the selected step, on the heat map's scale. A folded container or block shows the
// maximum of the watched layers inside it (NaN/Inf as soon as one of them is); a layer without a
// value there is light grey with a dashed border; nodes that are no watched layer are white.
//   const g = healthGraph(api, { onPick(layer) }); card.append(g.el); await g.load(runId, rank);
//   g.paint(matrix, col, scale, "gradient norm"); await g.highlight("features.0");

import { fmtNum, h } from "../../static/dom.js";
import { graphCanvas } from "../graph/draw.js";
import { EMPTY, legendItems, rgb, swatchKey } from "./heatmap.js";

const ids = (set) => [...set].sort((a, b) => a - b).join(",");
const shade = (c, f) => rgb(c.map((x) => Math.round(x * f)));
const isDark = (c) => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] < 150;
export const NOT_LAYER = { fill: "#ffffff", stroke: "#cbd5e1", text: "#94a3b8" };
export const NO_VALUE = { fill: rgb(EMPTY), stroke: "#8b8b94", text: "#6b6b73", dash: [4, 3] };
const READABLE = 0.85; // the smallest first-view scale: the graph's 11 px labels stay 9 px or more
const HINT = "hover or tap a node for its value and its layer's row · double-click a block to open it";

// The value of each covered node at column `col` of the matrix `m`: the largest finite value of its
// layers, or the first non-finite one; null when none of them has a value there.
//   nodeValues(map, m, col).get(5) -> { value: 0.31, layer: "blocks.1.fc", n: 6 }
export function nodeValues(map, m, col) {
  const rowOf = new Map(m.layers.map((l, r) => [l, r])), out = new Map();
  map.ids.forEach((id, i) => {
    let best = null, bad = null;
    for (const j of map.covers[i]) {
      const layer = map.layers[j], r = rowOf.get(layer), v = r === undefined ? null : m.values[r][col];
      if (v === null || v === undefined) continue;
      if (!Number.isFinite(v)) bad = bad || { value: v, layer };
      else if (!best || v > best.value) best = { value: v, layer };
    }
    out.set(id, { ...(bad || best || { value: null, layer: null }), n: map.covers[i].length });
  });
  return out;
}

export function healthGraph(api, { onPick = () => {} } = {}) {
  const S = { run: null, key: null, map: null, record: null, layerOf: new Map(), base: "default", add: new Set(),
    remove: new Set(), values: new Map(), scale: null, step: null, label: "", seq: 0 };
  const canvas = h("canvas", { class: "hg-canvas", "aria-label": "model graph coloured by the statistic" });
  const note = h("div", { class: "hg-note note" }), legend = h("div", { class: "legend hg-legend" });
  const readout = h("div", { class: "readout hg-readout" }, HINT);
  const btn = (label, fn, title) => h("button", { class: "small", onclick: fn, title }, label);
  const tools = h("span", { class: "hg-tools" },
    btn("Fit", () => view.fit(), "the whole graph"),
    btn("Open all", () => reset("layers"), "every container and folded block open: one node per layer"),
    btn("Default", () => reset("default"), "the graph as logged"));
  const stage = h("div", { class: "hg-stage" }, canvas);
  const el = h("div", { class: "hg", dataset: { state: "empty" } }, note, stage, legend, readout);
  const view = graphCanvas(canvas, {
    nodeStyle: styleOf,
    onPick: (hit) => (hit?.badge ? toggle(hit.node.id) : pick(hit)),
    onOpen: (hit) => { if (hit && (hit.node?.openable || hit.cluster)) toggle((hit.node || hit.cluster).id); },
  });
  const ro = new ResizeObserver(() => view.resize());
  ro.observe(canvas);
  canvas.addEventListener("mousemove", (e) => { const hit = S.map && view.hit(e.offsetX, e.offsetY); if (hit) readout.textContent = describe(hit); else idle(); });
  canvas.addEventListener("mouseleave", () => idle());

  // Not hovering: the picked node's value (at the statistic and step shown), else the hint.
  function idle() {
    const id = view.selected, n = id !== null ? view.byId.get(id) : null;
    const c = id !== null && !n ? view.layout?.clusters.find((x) => x.id === id) : null;
    readout.textContent = S.record && (n || c) ? describe(n ? { node: n } : { cluster: c }) : HINT;
  }

  function styleOf(n) {
    if (n.kind === "input" || n.kind === "output") return null; // the family colours
    const e = S.values.get(n.id);
    if (!e || !S.scale) return NOT_LAYER;
    if (e.value === null) return NO_VALUE;
    const c = S.scale.colour(e.value);
    return { fill: rgb(c), stroke: shade(c, 0.62), text: isDark(c) ? "#ffffff" : "#0f172a" };
  }

  function describe(hit) {
    const id = hit.node ? hit.node.id : hit.cluster.id, rec = S.record.nodes[id];
    const name = rec.name || S.map.graph.model, type = rec.kind === "repeat" ? `${rec.type} ×${rec.repeat}` : rec.type;
    const e = S.values.get(id), at = S.step === null ? "" : ` at step ${fmtNum(S.step)}`;
    if (!e) return `${name} (${type}): not a watched layer`;
    const value = e.value === null ? "no value" : fmtNum(e.value);
    if (S.layerOf.has(id) || (rec.kind === "op" && e.n === 1)) return `${name} (${type}) · ${S.label} = ${value}${at}`;
    return `${name} (${type}) · max over ${e.n} layers = ${value}${e.layer ? ` (${e.layer})` : ""}${at}`;
  }

  function pick(hit) {
    const id = hit ? (hit.node ? hit.node.id : hit.cluster.id) : null;
    view.selected = id; view.draw();
    if (id === null) return;
    readout.textContent = describe(hit);
    const e = S.values.get(id), layer = S.layerOf.get(id) ?? e?.layer ?? (e ? S.map.layers[S.map.covers[S.map.ids.indexOf(id)][0]] : null);
    if (layer) onPick(layer, id);
  }

  const depthOf = (id) => (S.record ? S.record.nodes[id].depth : 0);
  const isOpen = (id) => Boolean(view.layout && view.layout.expanded.includes(id));

  async function relayout(keep) {
    const my = S.seq, before = keep !== undefined && anchor(keep);
    el.dataset.state = "busy";
    const L = await api.json("graph/layout", { run: S.run, key: S.key, base: S.base, expand: ids(S.add), collapse: ids(S.remove) });
    if (my !== S.seq) return false;
    const first = !view.layout;
    view.set(L, depthOf);
    const after = keep !== undefined && anchor(keep);
    if (first) firstView();
    else if (before && after) { view.tx += (before[0] - after[0]) * view.k; view.ty += (before[1] - after[1]) * view.k; view.draw(); }
    canvas.dataset.nodes = L.nodes.length;
    el.dataset.state = "ready";
    return true;
  }
  function anchor(id) { // a node's top-centre, or its cluster's, in layout coordinates
    const n = view.byId.get(id), c = !n && view.layout?.clusters.find((x) => x.id === id);
    return n ? [n.x, n.y - n.h / 2] : c ? [(c.box[0] + c.box[2]) / 2, c.box[1]] : null;
  }
  function firstView() { // all of it when its labels stay readable (11 px text at 0.85 or more: 9 px), else readable from the top
    const { width, height } = view.layout, pad = 16, fitW = (view.W - 2 * pad) / Math.max(width, 1);
    const k = Math.max(Math.min(1.2, fitW, (view.H - 2 * pad) / Math.max(height, 1)), Math.min(READABLE, fitW));
    view.k = k; view.tx = (view.W - width * k) / 2;
    view.ty = height * k + 2 * pad <= view.H ? (view.H - height * k) / 2 : pad;
    view.draw();
  }
  function toggle(id) {
    if (isOpen(id)) { S.add.delete(id); S.remove.add(id); } else { S.remove.delete(id); S.add.add(id); }
    return guard(relayout(id));
  }
  function reset(base) { // "default": as logged; "layers": every container and folded block open, layers closed
    S.add.clear(); S.remove.clear(); view.layout = null; view.selected = null;
    S.base = base === "layers" ? "none" : base;
    if (base === "layers") for (const n of S.record.nodes) if (n.kind === "repeat" || n.has_modules) S.add.add(n.id);
    return guard(relayout());
  }
  const guard = (p) => p.catch((e) => { el.dataset.state = "error"; note.textContent = `The graph could not be laid out (${e.message || e}).`; });

  function show(text, state) { // a message in place of the graph
    note.replaceChildren(text);
    stage.hidden = true; legend.hidden = true; readout.hidden = true; tools.hidden = true;
    el.dataset.state = state;
  }

  // Load run `run`'s graph, mapped onto the layers watched at `rank` (default 0; the graph is the same).
  async function load(run, rank = 0) {
    const my = ++S.seq;
    Object.assign(S, { run, key: null, map: null, record: null, layerOf: new Map(), base: "default", values: new Map() });
    S.add.clear(); S.remove.clear(); view.layout = null; view.selected = null; view.draw();
    el.dataset.state = "loading";
    try {
      const map = await api.json("health/graph_map", { run, rank: rank || undefined }); // rank 0: left out
      if (my !== S.seq) return;
      if (!map.graph) {
        show("No model graph in this run, so there is nothing to colour. Log one with run.watch(model, graph=True) "
          + "(from the first batch) or run.log_graph(model, example_input), and every module will be coloured here by "
          + "the selected statistic at the selected step.", "none");
        return;
      }
      const record = await api.json("graph/record", { run, key: map.graph.key });
      if (my !== S.seq) return;
      Object.assign(S, { map, key: map.graph.key, record });
      map.layer_nodes.forEach((list, j) => list.forEach((id) => S.layerOf.set(id, map.layers[j])));
      stage.hidden = false; legend.hidden = false; readout.hidden = false; tools.hidden = false;
      const missing = map.unmatched.length;
      note.replaceChildren(`${map.graph.model}: each module coloured by the heat map's statistic at the selected step. `
        + "A folded container or block shows the largest value of the layers inside it (NaN/Inf if any of them is).",
      missing ? h("span", { class: "hg-unmatched" }, ` ${missing} watched layer${missing > 1 ? "s are" : " is"} not in this graph `
        + `(${map.unmatched.slice(0, 4).join(", ")}${missing > 4 ? ", …" : ""}).`) : "");
      if (!(await relayout())) return;
      paint();
    } catch (e) {
      if (my === S.seq) show(`The model graph could not be loaded (${e.message || e}).`, "error");
    }
  }

  // Recolour: the matrix `m` at column `col`, on `scale` (the heat map's), for the statistic `label`.
  function paint(m = S.m, col = S.col, scale = S.scale, label = S.label) {
    Object.assign(S, { m, col, scale, label, step: m && m.steps.length ? m.steps[col] : null });
    S.values = S.map && m && m.steps.length ? nodeValues(S.map, m, col) : new Map();
    if (scale) legend.replaceChildren(...legendItems(scale), swatchKey({}, "no value", "hg-novalue"), swatchKey({}, "not a layer", "hg-notlayer"));
    idle(); // the read-out of the picked node follows the statistic and the step
    view.draw();
  }

  // Ring the node of `layer`; open the containers around it when it is folded away; pan to it.
  async function highlight(layer) {
    const j = S.map ? S.map.layers.indexOf(layer) : -1, nodes = j >= 0 ? S.map.layer_nodes[j] : [];
    if (!nodes.length || !view.layout) { view.selected = null; view.draw(); return; }
    let id = nodes.find((i) => view.byId.has(i));
    if (id === undefined) {
      const my = S.seq, was = [new Set(S.add), new Set(S.remove)], up = [];
      for (let p = S.record.nodes[nodes[0]].parent; p !== null && p !== undefined; p = S.record.nodes[p].parent) {
        up.push(p); S.remove.delete(p); if (!isOpen(p)) S.add.add(p);
      }
      try { if (!(await relayout())) return; id = nodes[0]; } catch {
        if (my !== S.seq) return;
        [S.add, S.remove] = was; el.dataset.state = "ready"; // that view cannot be had (an offline report): ring
        id = up.find((p) => view.byId.has(p)) ?? null; // the block folded around the layer instead
      }
    }
    view.selected = id;
    const n = view.byId.get(id);
    if (n) {
      const [sx, sy] = view.toScreen(n.x, n.y);
      if (sx < 20 || sy < 20 || sx > view.W - 20 || sy > view.H - 20) view.center(n.x, n.y);
    }
    view.draw();
  }

  return { el, tools, view, load, paint, highlight, styleOf, get values() { return S.values; }, get map() { return S.map; },
    destroy() { ro.disconnect(); S.seq += 1; } };
}
