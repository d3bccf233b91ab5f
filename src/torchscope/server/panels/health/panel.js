// The Health panel: what run.watch(model) saw inside the network. A layers x steps heat map of
// one statistic (click a cell: that layer's weight and gradient histograms at that step), the
// run's health alarms (click: the cell where it happened; the Scalars chart of its series), and
// the run's model graph coloured by the statistic at the selected step (a step slider; a cell
// rings its layer's node, a node selects its layer's row).
//   export function render(el, api) -> { destroy() }

import { debounce, fmtNum, h, message, num } from "../../static/dom.js";
import { healthGraph } from "./graphview.js";
import { HeatMap, legendItems, rgb, scaleOf } from "./heatmap.js";
import { drawHistogram } from "./hist.js";

function loadCss() {
  const href = new URL("./health.css", import.meta.url).href;
  if (![...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === href)) {
    document.head.append(h("link", { rel: "stylesheet", href }));
  }
}

const LABELS = { grad_norm: "gradient norm", weight_norm: "weight norm", update_ratio: "update / weight ratio",
  act_mean: "activation mean", act_std: "activation std", act_zero: "fraction of zero outputs", dead: "dead units (fraction)" };
const COLORS = { weight: "#0969da", grad: "#e16f24" };

export async function render(el, api) {
  loadCss();
  const runs = api.runs(), st = api.state;
  if (!runs.length) { el.replaceChildren(message("Select a run on the left to see its training health.")); return {}; }
  let watched;
  try { ({ runs: watched } = await api.json("health/runs", { run: runs.map((r) => r.id) })); } catch (e) {
    el.replaceChildren(message(`The training-health data could not be loaded (${e.message || e}).`, "error"));
    return {};
  }
  const usable = watched.filter((w) => w.layers > 0).map((w) => ({ ...w, info: runs.find((r) => r.id === w.run) }));
  if (!usable.length) {
    el.replaceChildren(message("None of the selected runs was watched. Add run.watch(model, every=100) to the training "
      + "loop to see per-layer statistics and training-health alarms here."));
    return {};
  }
  let runId = usable.some((u) => u.run === st.get("run")) ? st.get("run") : usable[0].run;
  let stat = st.get("stat", "grad_norm"), overview = null, matrix = null, selected = null, seq = 0;

  const runSel = h("select", { class: "health-run", "aria-label": "run", onchange: (e) => { runId = e.target.value; st.set("run", runId); loadRun(); } },
    usable.map((u) => h("option", { value: u.run }, `${u.info?.name ?? u.run} · ${u.layers} layers · ${u.alarms} alarms`)));
  runSel.value = runId;
  const statSel = h("select", { class: "health-stat", "aria-label": "statistic", onchange: (e) => setStat(e.target.value) });
  const lrLinks = h("span", { class: "lr-links" });
  const title = h("span", { class: "title" }), legend = h("div", { class: "legend" }), readout = h("div", { class: "readout" }, "hover a cell; click it for that layer's histograms");
  const canvas = h("canvas", { class: "heatmap", role: "img", "aria-label": "layers by steps heat map" });
  const alarmList = h("ul", { class: "alarms" }), alarmHead = h("h3", {}, "Alarms");
  const histHead = h("h3", {}, "Histograms"), histBody = h("div", { class: "layer-hists" }, message("Click a cell of the heat map."));
  const slider = h("input", { type: "range", class: "health-step", min: 0, max: 0, value: 0, step: 1, "aria-label": "step",
    oninput: (e) => { if (matrix?.steps.length) select(selected?.layer ?? null, matrix.steps[Number(e.target.value)], "later", false); } });
  const stepLabel = h("output", { class: "step-label" }), graphTitle = h("span", { class: "title" }, "Model graph");
  const graph = healthGraph(api, { onPick: (layer) => { if (matrix) select(layer, selected?.step ?? last(), true, false); } });
  el.replaceChildren(
    h("div", { class: "toolbar" }, h("label", {}, "run ", runSel), h("label", {}, "statistic ", statSel), lrLinks),
    h("div", { class: "card heat-card" }, h("h3", {}, title), canvas, legend, readout),
    h("div", { class: "health-sel" },
      h("div", { class: "card graph-card" }, h("h3", {}, graphTitle),
        h("div", { class: "hg-bar" }, h("label", { class: "step-pick" }, "step ", slider, stepLabel), graph.tools), graph.el),
      h("div", { class: "health-side" },
        h("div", { class: "card hist-card" }, histHead, histBody),
        h("div", { class: "card alarm-card" }, alarmHead, alarmList))));

  const heat = new HeatMap(canvas, {
    onHover: (c) => { readout.textContent = c ? cellText(c) : "hover a cell; click it for that layer's histograms"; },
    onClick: (c) => select(c.layer, c.step),
  });
  window.torchscope.health = { heat, graph, slider, get matrix() { return matrix; }, get selected() { return selected; }, scaleOf, rgb };
  const last = () => (matrix?.steps.length ? matrix.steps[matrix.steps.length - 1] : 0);

  function cellText(c) {
    const range = matrix.downsampled && c.min !== undefined ? ` (min ${fmtNum(num(c.min))}, max ${fmtNum(num(c.max))} in this bucket)` : "";
    return `layer ${c.layer} · step ${fmtNum(c.step)} · ${stat} = ${c.value === null ? "not logged" : fmtNum(c.value)}${range}`;
  }

  async function loadRun(withGraph = true) {
    const my = ++seq;
    if (withGraph) graph.load(runId);
    try { overview = await api.json("health/overview", { run: runId }); } catch (e) { return failed(my, e); }
    if (my !== seq) return;
    if (!overview.stats.includes(stat)) stat = overview.stats.includes("grad_norm") ? "grad_norm" : overview.stats[0];
    statSel.replaceChildren(...overview.stats.map((s) => h("option", { value: s }, LABELS[s] || s)));
    statSel.value = stat;
    lrLinks.replaceChildren(...overview.lr.map((k) => h("a", { class: "small", href: scalarsLink(k, null),
      title: `the Scalars chart of ${k}` }, `learning rate${overview.lr.length > 1 ? ` (${k.split("/").pop()})` : ""} ↗`)));
    renderAlarms();
    await loadMatrix();
  }

  function failed(my, e) {
    if (my !== seq) return;
    title.textContent = "Training health";
    readout.replaceChildren(message(`Could not load this run's statistics (${e.message || e}).`, "error"));
  }

  async function loadMatrix() {
    const my = ++seq, cols = Math.max(20, Math.min(1000, Math.floor((canvas.clientWidth || 800) * 0.78)));
    let m;
    try { m = await api.json("health/matrix", { run: runId, stat, cols }); } catch (e) { return failed(my, e); }
    if (my !== seq) return;
    m.values = m.values.map((row) => row.map((v) => (v === null ? null : num(v))));
    matrix = m;
    heat.set(m);
    const sc = heat.scale;
    title.replaceChildren(`${LABELS[stat] || stat} per layer and step`,
      h("span", { class: "note" }, ` · ${m.layers.length} layers × ${m.steps.length} ${m.downsampled ? "buckets" : "logged steps"}`
        + (sc.log ? " · log colour scale" : "")));
    legend.replaceChildren(...legendItems(sc));
    slider.max = Math.max(0, m.steps.length - 1);
    select(selected?.layer ?? null, selected ? selected.step : last(), false, false);
  }

  function setStat(s) { stat = s; st.set("stat", s); statSel.value = s; return loadMatrix(); }

  // Select a layer (null: none) at the logged step nearest `step`: heat-map cell, slider, graph colours
  // and ring; `loadHists` false, true, or "later" (debounced, while the slider moves).
  async function select(layer, step, loadHists = true, ring = true) {
    const sel = heat.select(layer, step);
    selected = sel ? { layer: sel.layer, step: sel.step, asked: step } : null;
    colourGraph(sel);
    if (sel && ring) graph.highlight(sel.layer);
    if (!sel || !loadHists) return;
    if (loadHists === "later") { histsLater(); return; }
    return showHists(sel);
  }

  function colourGraph(sel) {
    const col = sel ? sel.col : 0;
    slider.value = String(col);
    stepLabel.textContent = matrix?.steps.length ? fmtNum(matrix.steps[col]) : "–";
    graphTitle.replaceChildren("Model graph", h("span", { class: "note" },
      ` · ${LABELS[stat] || stat} at step ${matrix?.steps.length ? fmtNum(matrix.steps[col]) : "–"}${matrix?.downsampled ? " (bucket)" : ""}`));
    graph.paint(matrix, col, heat.scale, LABELS[stat] || stat);
  }

  const histsLater = debounce(() => { if (selected) showHists(selected); }, 250);

  async function showHists(sel) {
    if (sel.layer === null) { histHead.textContent = "Histograms"; histBody.replaceChildren(message(`Step ${fmtNum(sel.step)}: pick a layer (a row).`)); return; }
    histHead.replaceChildren(`Layer ${sel.layer}`, h("span", { class: "note" }, ` · step ${fmtNum(sel.step)}`));
    let data;
    try { data = await api.json("health/histograms", { run: runId, layer: sel.layer, step: sel.step }); } catch (e) {
      histBody.replaceChildren(message(`Could not load the histograms (${e.message || e}).`, "error"));
      return;
    }
    if (selected?.layer !== sel.layer || selected?.step !== sel.step) return;
    if (!data.params.length) { histBody.replaceChildren(message(`Layer ${sel.layer} has no parameters (nothing to histogram).`)); return; }
    const items = data.params.map((p) => {
      const cv = h("canvas", { class: "hist-bars", dataset: { param: p.param, kind: p.kind, step: p.step } });
      const stats = p.stats || {};
      return { p, cv, el: h("figure", { class: "hist-item" },
        h("figcaption", {}, h("b", {}, p.kind === "grad" ? `${p.param}.grad` : p.param), ` · step ${fmtNum(p.step)}`,
          h("span", { class: "note" }, ` · mean ${short(stats.mean)} · std ${short(stats.std)}`)), cv) };
    });
    histBody.replaceChildren(...items.map((i) => i.el));
    for (const { p, cv } of items) drawHistogram(cv, { lo: num(p.lo), hi: num(p.hi), counts: p.counts.map(num) }, COLORS[p.kind]);
  }

  function renderAlarms() {
    const alarms = overview.alarms;
    alarmHead.replaceChildren("Alarms", h("span", { class: "note" }, ` · ${alarms.length}`));
    if (!alarms.length) { alarmList.replaceChildren(h("li", { class: "note" }, "No alarms: no NaN/Inf, exploding or vanishing gradients, dead layers or learning-rate trouble seen.")); return; }
    alarmList.replaceChildren(...alarms.map((a, i) => h("li", { class: "alarm", dataset: { index: i, type: a.type } },
      h("button", { class: "alarm-main", title: "show where it happened", onclick: (e) => showAlarm(a, e.currentTarget.closest("li")) },
        h("span", { class: `badge ${a.type.split("_")[0]}` }, a.type.replaceAll("_", " ")),
        h("span", { class: "where" }, `step ${fmtNum(a.step)}${a.layer ? ` · layer ${a.layer}` : ""}`),
        h("span", { class: "msg" }, a.message)),
      a.key ? h("a", { class: "small to-scalars", href: scalarsLink(a.key, a.step), title: `the Scalars chart of ${a.key} at step ${a.step}` }, "chart ↗") : null)));
  }

  async function showAlarm(a, li) {
    for (const x of alarmList.querySelectorAll("li.active")) x.classList.remove("active");
    li?.classList.add("active");
    const m = /^watch\/(.+)\/([a-z_]+)$/.exec(a.key || "");
    if (m && overview.stats.includes(m[2]) && m[2] !== stat) await setStat(m[2]);
    const layer = m ? m[1] : a.layer;
    await select(matrix?.layers.includes(layer) ? layer : null, a.step);
    canvas.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  const reload = debounce(() => loadRun(false), 800), reloadGraph = debounce(() => graph.load(runId), 800);
  api.on("keys", (e) => { if (e.run === runId && (e.key.startsWith("watch/") || e.key === "health/alarms")) reload(); });
  api.on("keys", (e) => { if (e.run === runId && e.kind === "record" && e.key.startsWith("model/")) reloadGraph(); });
  api.on("scalars", (e) => { if (e.run === runId && e.key.startsWith("watch/")) reload(); });
  const ro = new ResizeObserver(debounce(() => heat.draw(), 100));
  ro.observe(canvas.parentElement);
  await loadRun();
  return { destroy() { ro.disconnect(); graph.destroy(); seq += 1; delete window.torchscope.health; } };
}

const short = (v) => (v === undefined || v === null ? "–" : fmtNum(Number(num(v).toPrecision(3))));

function scalarsLink(key, step) {
  const q = new URLSearchParams({ key });
  if (step !== null && step !== undefined) q.set("step", String(step));
  return `#scalars?${q}`;
}
