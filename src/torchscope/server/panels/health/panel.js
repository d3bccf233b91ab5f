// The Health panel: what run.watch(model) saw inside the network. A layers x steps heat map of
// one statistic (click a cell: that layer's weight and gradient histograms at that step), the
// run's health alarms (click: the cell where it happened; the Scalars chart of its series), and
// the run's model graph coloured by the statistic at the selected step (a step slider; a cell
// rings its layer's node, a node selects its layer's row). A run logged by several ranks
// (ts.init(..., all_ranks=True), run.watch on each) shows one rank at a time: a rank selector (only
// when more than one rank has watch data, never in a static report, which keeps rank 0), and each
// alarm says its rank (a click on another rank's alarm switches to that rank).
//   export function render(el, api) -> { destroy() }

import { debounce, fmtNum, h, message, num, plural } from "../../static/dom.js";
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
  // the rank shown (0 in a report: it keeps rank 0's data); the one asked for is kept in the panel's state
  let rank = 0;
  const wanted = () => (api.report ? 0 : parseRank(st.get("rank", 0)) ?? 0);
  const rq = (params) => ({ ...params, rank: rank || undefined }); // rank 0: the server's default, left out
  const multi = () => !api.report && (overview?.ranks.length ?? 0) > 1;

  const runSel = h("select", { class: "health-run", "aria-label": "run", onchange: (e) => { runId = e.target.value; st.set("run", runId); loadRun(); } },
    usable.map((u) => h("option", { value: u.run }, `${u.info?.name ?? u.run} · ${plural(u.layers, "watched layer")} · ${plural(u.alarms, "alarm")}`)));
  runSel.value = runId;
  const statSel = h("select", { class: "health-stat", "aria-label": "statistic", onchange: (e) => setStat(e.target.value) });
  const rankSel = h("select", { class: "health-rank", "aria-label": "rank", title: "which process's statistics: "
    + "runs logged with ts.init(..., all_ranks=True) and watched on every rank keep each rank's",
  onchange: (e) => { st.set("rank", Number(e.target.value)); setRank(Number(e.target.value)); } });
  const rankLabel = h("label", { class: "rank-pick", hidden: true, style: { display: "none" } }, "rank ", rankSel);
  const lrLinks = h("span", { class: "lr-links" });
  const HINT = "hover a cell; click it for that layer's histograms";
  const title = h("span", { class: "title" }), legend = h("div", { class: "legend" }), readout = h("div", { class: "readout" }, HINT);
  const canvas = h("canvas", { class: "heatmap", role: "img", "aria-label": "layers by steps heat map" });
  const alarmList = h("ul", { class: "alarms" }), alarmHead = h("h3", {}, "Alarms");
  const histHead = h("h3", {}, "Histograms"), histBody = h("div", { class: "layer-hists" }, message("Click a cell of the heat map."));
  const slider = h("input", { type: "range", class: "health-step", min: 0, max: 0, value: 0, step: 1, "aria-label": "step",
    oninput: (e) => { if (matrix?.steps.length) select(selected?.layer ?? null, matrix.steps[Number(e.target.value)], "later", false); } });
  const stepLabel = h("output", { class: "step-label" }), graphTitle = h("span", { class: "title" }, "Model graph");
  const graph = healthGraph(api, { onPick: (layer) => { if (matrix) select(layer, selected?.step ?? last(), true, false); } });
  el.replaceChildren(
    h("div", { class: "toolbar" }, h("label", {}, "run ", runSel), rankLabel, h("label", {}, "statistic ", statSel), lrLinks),
    h("div", { class: "card heat-card" }, h("h3", {}, title), canvas, legend, readout),
    h("div", { class: "health-sel" },
      h("div", { class: "card graph-card" }, h("h3", {}, graphTitle),
        h("div", { class: "hg-bar" }, h("label", { class: "step-pick" }, "step ", slider, stepLabel), graph.tools), graph.el),
      h("div", { class: "health-side" },
        h("div", { class: "card hist-card" }, histHead, histBody),
        h("div", { class: "card alarm-card" }, alarmHead, alarmList))));

  const heat = new HeatMap(canvas, {
    onHover: (c) => { hovered = c ? { layer: c.layer, step: c.step } : null; showReadout(); },
    onClick: (c) => select(c.layer, c.step),
  });
  window.torchscope.health = { heat, graph, slider, get matrix() { return matrix; }, get selected() { return selected; },
    get rank() { return rank; }, get overview() { return overview; }, scaleOf, rgb };
  const last = () => (matrix?.steps.length ? matrix.steps[matrix.steps.length - 1] : 0);

  function cellText(c) {
    const range = matrix.downsampled && c.min !== undefined ? ` (min ${fmtNum(num(c.min))}, max ${fmtNum(num(c.max))} in this bucket)` : "";
    return `layer ${c.layer} · step ${fmtNum(c.step)} · ${LABELS[stat] || stat} = ${c.value === null ? "not logged" : fmtNum(c.value)}${range}`;
  }

  // The read-out: the hovered cell, else the selected one, read from the matrix shown (so it follows a
  // change of statistic or rank), else the hint.
  let hovered = null;
  function showReadout() {
    const at = hovered || (selected?.layer ? selected : null), c = at && matrix && heat.cell(at.layer, at.step);
    readout.textContent = c ? cellText(c) : HINT;
  }

  // Load the run's overview at the rank shown, then its heat map. `graph`: "run" (a new run: load its
  // graph), "rank" (the rank changed: reload the graph's layer map only if this rank's layers differ)
  // or false (a live re-read). `hists`: reload the selected layer's histograms (another rank's).
  async function loadRun(graphToo = "run", hists = false) {
    const my = ++seq;
    if (graphToo === "run") { rank = wanted(); graph.load(runId, rank); }
    let ov;
    try {
      ov = await api.json("health/overview", rq({ run: runId }));
      const shown = api.report ? 0 : pickRank(ov.ranks);
      if (my === seq && shown !== rank) { // the rank asked for has no watch data in this run
        rank = shown;
        if (graphToo === "run") graph.load(runId, rank);
        ov = await api.json("health/overview", rq({ run: runId }));
      }
    } catch (e) { return failed(my, e); }
    if (my !== seq) return;
    overview = ov;
    if (graphToo === "rank" && (graph.map?.layers ?? []).join("\n") !== overview.layers.join("\n")) graph.load(runId, rank);
    if (rankSel.dataset.ranks !== overview.ranks.join(",")) {
      rankSel.dataset.ranks = overview.ranks.join(",");
      rankSel.replaceChildren(...overview.ranks.map((r) => h("option", { value: String(r) }, String(r))));
    }
    rankSel.value = String(rank);
    showLabel(rankLabel, multi());
    if (!overview.stats.includes(stat)) stat = overview.stats.includes("grad_norm") ? "grad_norm" : overview.stats[0];
    statSel.replaceChildren(...overview.stats.map((s) => h("option", { value: s },
      `${LABELS[s] || s}${overview.counts?.[s] !== undefined ? ` (${plural(overview.counts[s], "layer")})` : ""}`)));
    statSel.value = stat;
    lrLinks.replaceChildren(...overview.lr.map((k) => h("a", { class: "small", href: scalarsLink(k, null, multi() ? rank : null),
      title: `the Scalars chart of ${k}` }, `learning rate${overview.lr.length > 1 ? ` (${k.split("/").pop()})` : ""} ↗`)));
    renderAlarms();
    await loadMatrix(hists);
  }

  // the rank shown: the one asked for when this run has its watch data, else rank 0, else the lowest
  function pickRank(ranks) {
    if (!ranks.length || ranks.includes(wanted())) return ranks.length ? wanted() : 0;
    return ranks.includes(0) ? 0 : ranks[0];
  }

  // Show rank `r`: its layers, heat map, histograms (`hists`) and graph colours; the selection is kept.
  function setRank(r, hists = true) {
    if (r === rank) return Promise.resolve();
    rank = r;
    return loadRun("rank", hists);
  }

  function failed(my, e) {
    if (my !== seq) return;
    title.textContent = "Training health";
    readout.replaceChildren(message(`Could not load this run's statistics (${e.message || e}).`, "error"));
  }

  async function loadMatrix(hists = false) {
    const my = ++seq, cols = Math.max(20, Math.min(1000, Math.floor((canvas.clientWidth || 800) * 0.78)));
    let m;
    try { m = await api.json("health/matrix", rq({ run: runId, stat, cols })); } catch (e) { return failed(my, e); }
    if (my !== seq) return;
    m.values = m.values.map((row) => row.map((v) => (v === null ? null : num(v))));
    matrix = m;
    heat.set(m);
    const sc = heat.scale;
    title.replaceChildren(`${LABELS[stat] || stat} per layer and step`,
      h("span", { class: "note" }, `${multi() ? ` · rank ${rank}` : ""} · ${layerCount(m.layers.length, overview.layers.length, stat)}`
        + ` × ${m.steps.length} ${m.downsampled ? "buckets" : "logged steps"}${sc.log ? " · log colour scale" : ""}`));
    legend.replaceChildren(...legendItems(sc));
    slider.max = Math.max(0, m.steps.length - 1);
    // the selection stays (another statistic or rank: the same cell); asked for, the histograms follow
    const done = select(selected?.layer ?? null, selected ? selected.step : last(), hists, false);
    showReadout();
    return done;
  }

  function setStat(s) { stat = s; st.set("stat", s); statSel.value = s; return loadMatrix(); }

  // Select a layer (null: none) at the logged step nearest `step`: heat-map cell, slider, graph colours
  // and ring; `loadHists` false, true, or "later" (debounced, while the slider moves).
  async function select(layer, step, loadHists = true, ring = true) {
    const sel = heat.select(layer, step);
    selected = sel ? { layer: sel.layer, step: sel.step, asked: step } : null;
    showReadout();
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
    try { data = await api.json("health/histograms", rq({ run: runId, layer: sel.layer, step: sel.step })); } catch (e) {
      histBody.replaceChildren(message(`Could not load the histograms (${e.message || e}).`, "error"));
      return;
    }
    if (selected?.layer !== sel.layer || selected?.step !== sel.step || data.rank !== undefined && data.rank !== rank) return;
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

  const alarmId = (a) => JSON.stringify([a.rank ?? 0, a.type, a.step, a.layer ?? null, a.key ?? null]);
  let activeAlarm = null;

  function renderAlarms() {
    const alarms = overview.alarms;
    alarmHead.replaceChildren("Alarms", h("span", { class: "note" }, ` · ${alarms.length}`));
    if (!alarms.length) { alarmList.replaceChildren(h("li", { class: "note" }, "No alarms: no NaN/Inf, exploding or vanishing gradients, dead layers or learning-rate trouble seen.")); return; }
    // several ranks (with watch data, or raising alarms): each alarm says its rank
    const ranked = new Set([...overview.ranks, ...alarms.map((a) => a.rank ?? 0)]).size > 1;
    alarmList.replaceChildren(...alarms.map((a, i) => {
      const r = a.rank ?? 0, away = api.report && r !== 0; // a report keeps rank 0's statistics only
      const cls = `alarm${ranked && r !== rank ? " other-rank" : ""}${alarmId(a) === activeAlarm ? " active" : ""}`;
      return h("li", { class: cls, dataset: { index: i, type: a.type, rank: r } },
        h("button", { class: "alarm-main", title: away ? `rank ${r}'s statistics are not in this report` : "show where it happened",
          onclick: (e) => showAlarm(a, e.currentTarget.closest("li")) },
        h("span", { class: `badge ${a.type.split("_")[0]}` }, a.type.replaceAll("_", " ")),
        h("span", { class: "where" }, `${ranked ? `rank ${r} · ` : ""}step ${fmtNum(a.step)}${a.layer ? ` · layer ${a.layer}` : ""}`),
        h("span", { class: "msg" }, a.message)),
        a.key && !away ? h("a", { class: "small to-scalars", href: scalarsLink(a.key, a.step, ranked ? r : null),
          title: `the Scalars chart of ${a.key} at step ${a.step}${ranked ? ` (rank ${r})` : ""}` }, "chart ↗") : null);
    }));
  }

  async function showAlarm(a, li) {
    for (const x of alarmList.querySelectorAll("li.active")) x.classList.remove("active");
    li?.classList.add("active");
    activeAlarm = alarmId(a); // kept when the list is drawn again (another rank)
    const m = /^watch\/(.+)\/([a-z_]+)$/.exec(a.key || ""), r = a.rank ?? 0;
    if (r !== rank) { // another rank's alarm: show that rank (its statistic at once)
      if (api.report) { readout.replaceChildren(message(`Rank ${r}'s statistics are not in this report: it keeps rank 0's.`)); return; }
      if (m && LABELS[m[2]]) { stat = m[2]; st.set("stat", stat); }
      st.set("rank", r);
      await setRank(r, false);
      if (rank !== r) return; // another click meanwhile
    } else if (m && overview.stats.includes(m[2]) && m[2] !== stat) await setStat(m[2]);
    const layer = m ? m[1] : a.layer;
    await select(matrix?.layers.includes(layer) ? layer : null, a.step);
    canvas.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  const reload = debounce(() => loadRun(false), 800), reloadGraph = debounce(() => graph.load(runId, rank), 800);
  api.on("keys", (e) => { if (e.run === runId && (e.key.startsWith("watch/") || e.key === "health/alarms")) reload(); });
  api.on("keys", (e) => { if (e.run === runId && e.kind === "record" && e.key.startsWith("model/")) reloadGraph(); });
  api.on("scalars", (e) => { if (e.run === runId && e.key.startsWith("watch/")) reload(); });
  const ro = new ResizeObserver(debounce(() => heat.draw(), 100));
  ro.observe(canvas.parentElement);
  await loadRun();
  return { destroy() { ro.disconnect(); graph.destroy(); seq += 1; delete window.torchscope.health; } };
}

// "4 of 10 watched layers (those with parameters)": the heat map's rows out of the run's watched layers.
function layerCount(shown, watched, stat) {
  if (shown >= watched) return plural(shown, "layer");
  const why = ["grad_norm", "weight_norm", "update_ratio"].includes(stat) ? "those with parameters" : "those with this statistic";
  return `${shown} of ${plural(watched, "watched layer")} (${why})`;
}

const short = (v) => (v === undefined || v === null ? "–" : fmtNum(Number(num(v).toPrecision(3))));

// The Scalars deep link of `key` marked at `step`, at `rank` (null: left out, the Scalars panel's own).
function scalarsLink(key, step, rank = null) {
  const q = new URLSearchParams({ key });
  if (step !== null && step !== undefined) q.set("step", String(step));
  if (rank !== null && rank !== undefined) q.set("rank", String(rank));
  return `#scalars?${q}`;
}

// Show or hide a toolbar label: the hidden attribute alone loses to `.toolbar label { display: inline-flex }`.
function showLabel(el, on) { el.hidden = !on; el.style.display = on ? "" : "none"; }

// A rank as the panel's saved state gives it: a number, or null.
function parseRank(v) {
  const n = typeof v === "number" ? v : /^\d{1,6}$/.test(String(v ?? "")) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : null;
}
