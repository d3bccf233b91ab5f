// The GAN panel: one run's G/D losses and D(x)/D(G(z)) curves, the fixed-noise timeline (the
// gan/samples grid at every checkpoint, with a scrubber, a play button and a GIF download), the
// quality metrics (gan.metrics records), the alarms, and the lens computed on the server from the
// run's checkpoints: the latent explorer, class prototypes and counterfactuals (lens.js).
// Any call that fails (a static report has no server) shows a message in place.
//   export function render(el, api) -> { destroy() }

import { debounce, fmtNum, h, message, num } from "../../static/dom.js";
import { LineChart } from "../../static/linechart.js";
import { counterfactualCard, prototypeCard } from "./lens.js";

function loadCss() {
  const href = new URL("./gan.css", import.meta.url).href;
  if (![...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === href)) {
    document.head.append(h("link", { rel: "stylesheet", href }));
  }
}

const COLORS = { "gan/d_loss": "#1f77b4", "gan/g_loss": "#ff7f0e", "gan/d_real": "#2ca02c", "gan/d_fake": "#d62728",
  "gan/g_grad_norm": "#ff7f0e", "gan/d_grad_norm": "#1f77b4", "gan/diversity": "#9467bd" };
const LABELS = { "gan/d_loss": "D loss", "gan/g_loss": "G loss", "gan/d_real": "D(x)", "gan/d_fake": "D(G(z))",
  "gan/g_grad_norm": "‖∇G‖", "gan/d_grad_norm": "‖∇D‖", "gan/diversity": "diversity" };
const fix = (v, d = 3) => (Number.isFinite(v) ? Number(v.toPrecision(d + 1)).toString() : fmtNum(v));

// A curve chart of logged keys (the read-out under it names each line with its colour and last value).
function curveChart(keys, y = {}) {
  return new LineChart({ series: keys.map((k) => ({ label: LABELS[k] || k, color: COLORS[k] || "#555" })), y, idle: "last",
    empty: `not logged: ${keys.join(", ")}` });
}

function card(title, ...children) {
  return h("div", { class: "card gan-card" }, h("h3", {}, title), ...children);
}

export async function render(el, api) {
  loadCss();
  const runs = api.runs();
  if (!runs.length) { el.replaceChildren(message("Select a run on the left to see its GAN training.")); return {}; }
  let ganRuns;
  try {
    ({ runs: ganRuns } = await api.json("gan/runs", { run: runs.map((r) => r.id) }));
  } catch (e) {
    el.replaceChildren(message(`Could not read the GAN data of the selected runs: ${e.message || e}`, "note error"));
    return {};
  }
  if (!ganRuns.length) {
    el.replaceChildren(message("No GAN data in the selected runs. Train with ts.gan.train_dcgan(ds, run=run) or " +
      "attach ts.gan.Monitor(run, G, D) to your loop (see docs/gan_images.md)."));
    return {};
  }
  const byId = new Map(runs.map((r) => [r.id, r]));
  let runId = api.params?.get("run") || api.state.get("run", null);
  if (!ganRuns.some((r) => r.id === runId)) runId = (ganRuns.find((r) => r.samples) || ganRuns[0]).id; // one with a timeline first
  const state = { timer: null, idx: 0, data: null, alive: true, lensKey: null, cards: [] };

  const picker = h("select", { class: "gan-run", onchange: () => { runId = picker.value; api.state.set("run", runId); show(); } },
    ganRuns.map((r) => h("option", { value: r.id, selected: r.id === runId }, byId.get(r.id)?.name || r.id)));
  const info = h("span", { class: "note gan-info" });
  const body = h("div", { class: "gan-grid" });
  el.replaceChildren(h("div", { class: "gan-bar" }, h("label", {}, "run ", picker), info), body);

  // --- timeline ---------------------------------------------------------------------------------
  const img = h("img", { class: "gan-grid-img", alt: "fixed-noise samples" });
  const scrub = h("input", { type: "range", class: "gan-scrub", min: 0, max: 0, step: 1, value: 0 });
  const stepLabel = h("span", { class: "gan-step" });
  const play = h("button", { class: "gan-play", type: "button" }, "▶ play");
  const gifBtn = h("button", { class: "gan-gif", type: "button", title: "download the timeline as an animated GIF (built on the server)" }, "⤓ GIF");
  if (api.report) gifBtn.hidden = true; // built by the server: a static report leaves it out
  const gifNote = h("span", { class: "note gan-gif-note" });
  gifBtn.addEventListener("click", async () => {
    const rid = runId;
    gifBtn.disabled = true;
    gifNote.textContent = " building the GIF…";
    try {
      const r = await fetch(api.url("gan/gif", { run: rid }), { credentials: "same-origin" });
      if (!r.ok) throw new Error(`${r.status} ${(await r.json().catch(() => ({}))).error || r.statusText}`);
      const blob = await r.blob();
      if (blob.type !== "image/gif") throw new Error("the GIF is built by torchscope serve (not in this report)");
      const href = URL.createObjectURL(blob);
      const name = (byId.get(rid)?.name || rid).replace(/[^\w.-]+/g, "_");
      const a = h("a", { href, download: `${name}-timeline.gif`, style: { display: "none" } });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(href), 60000);
      gifNote.textContent = ` ${r.headers.get("X-Frames") || ""} frames`;
    } catch (e) {
      gifNote.textContent = ` GIF export failed: ${e.message || e}`;
    } finally {
      gifBtn.disabled = false;
    }
  });
  const speed = h("select", { class: "gan-speed" }, [["slow", 500], ["normal", 200], ["fast", 80]].map(([n, ms]) =>
    h("option", { value: ms, selected: ms === 200 }, n)));
  const marks = () => (state.data ? [state.data.timeline[state.idx]?.step] : []);

  function showFrame(i) {
    const tl = state.data.timeline;
    if (!tl.length) return;
    state.idx = Math.max(0, Math.min(tl.length - 1, i));
    const step = tl[state.idx].step;
    scrub.value = state.idx;
    img.src = api.url("gan/sample", { run: runId, step });
    img.dataset.step = step;
    stepLabel.textContent = `step ${step} · ${state.idx + 1} / ${tl.length}`;
    markCurves();
  }
  function stop() { clearInterval(state.timer); state.timer = null; play.textContent = "▶ play"; }
  function start() {
    const tl = state.data.timeline;
    if (tl.length < 2) return;
    if (state.idx >= tl.length - 1) showFrame(0);
    play.textContent = "❚❚ pause";
    state.timer = setInterval(() => {
      showFrame(state.idx + 1);
      if (state.idx >= state.data.timeline.length - 1) stop();
    }, Number(speed.value));
  }
  play.addEventListener("click", () => (state.timer ? stop() : start()));
  speed.addEventListener("change", () => { if (state.timer) { stop(); start(); } });
  scrub.addEventListener("input", () => { stop(); showFrame(Number(scrub.value)); });
  const keyNav = (e) => {
    if (e.key === "ArrowLeft") { stop(); showFrame(state.idx - 1); } else if (e.key === "ArrowRight") { stop(); showFrame(state.idx + 1); }
  };
  scrub.addEventListener("keydown", (e) => { e.stopPropagation(); });
  img.addEventListener("click", () => img.focus());
  img.tabIndex = 0;
  img.addEventListener("keydown", keyNav);

  const timelineCard = h("div", { class: "card gan-card wide" }, h("h3", {}, "Fixed-noise timeline"),
    h("div", { class: "gan-timeline" }, img,
      h("div", { class: "gan-controls" }, h("div", { class: "row" }, play, speed, stepLabel), scrub,
        h("div", { class: "row" }, gifBtn, gifNote),
        h("div", { class: "note" }, "The same noise at every checkpoint: drag to scrub, ←/→ on the grid to step."))));

  // --- curves -----------------------------------------------------------------------------------
  const CURVES = [["loss", ["gan/d_loss", "gan/g_loss"]], ["d", ["gan/d_real", "gan/d_fake"], { range: [0, 1], fixed: true }],
    ["grad", ["gan/g_grad_norm", "gan/d_grad_norm"]]];
  const boxes = { loss: h("div"), d: h("div"), grad: h("div") }, metricBox = h("div"), alarmBox = h("div");
  let curves = {}, metricCharts = null;
  function newCharts() { // one set per run shown: live reloads only give them new data (a zoom stays)
    Object.values(curves).forEach((c) => c.destroy());
    metricCharts?.forEach((c) => c.destroy());
    metricCharts = null;
    curves = Object.fromEntries(CURVES.map(([id, keys, y]) => [id, curveChart(keys, y)]));
    for (const [id] of CURVES) { curves[id].el.dataset.chart = id; boxes[id].replaceChildren(curves[id].el); }
  }
  function drawCurves() {
    const sc = state.data.scalars;
    for (const [id, keys] of CURVES) curves[id].setData(keys.map((k) => (sc[k] ? { x: sc[k].step.map(num), y: sc[k].value.map(num) } : { x: [], y: [] })));
    markCurves();
  }
  function markCurves() { for (const c of Object.values(curves)) c.setMarks(marks()); }

  function drawMetrics() {
    const m = state.data.metrics.map((r) => ({ ...r, step: num(r.step), fd: num(r.fd), kid: num(r.kid), precision: num(r.precision), recall: num(r.recall) }));
    if (!m.length) {
      metricBox.replaceChildren(message("No gan.metrics records (pass real=dataset to the Monitor, or metrics=True to train_dcgan)."));
      return;
    }
    const x = m.map((r) => r.step);
    if (!metricCharts) {
      metricCharts = [new LineChart({ series: [{ label: "Frechet distance", color: "#1f77b4" }], idle: "last" }),
        new LineChart({ series: [{ label: "KID", color: "#9467bd" }], idle: "last" }),
        new LineChart({ series: [{ label: "precision", color: "#2ca02c" }, { label: "recall", color: "#ff7f0e" }], idle: "last",
          y: { range: [0, 1], fixed: true } })];
      ["fd", "kid", "pr"].forEach((id, i) => { metricCharts[i].el.dataset.chart = id; });
    }
    const [fdC, kidC, prC] = metricCharts;
    fdC.setData([{ x, y: m.map((r) => r.fd) }]);
    kidC.setData([{ x, y: m.map((r) => r.kid) }]);
    prC.setData([{ x, y: m.map((r) => r.precision) }, { x, y: m.map((r) => r.recall) }]);
    // KID's std is NaN when every subset was the whole sets (no spread to estimate): no column then
    const spread = m.some((r) => Number.isFinite(num(r.kid_std)));
    const dash = (v) => (Number.isFinite(v) ? fix(v) : "–");
    const last = m[m.length - 1];
    metricBox.replaceChildren(
      h("div", { class: "gan-grid" }, metricCharts.map((c) => c.el)),
      h("table", { class: "gan-metrics" },
        h("tr", {}, ["step", "FD", "KID", ...(spread ? ["± std"] : []), "precision", "recall", "n fake"].map((t) => h("th", {}, t))),
        m.map((r) => h("tr", { dataset: { step: r.step } }, [r.step, fix(r.fd), fix(r.kid), ...(spread ? [dash(num(r.kid_std))] : []), fix(r.precision), fix(r.recall), r.n_fake].map((v) => h("td", {}, String(v)))))),
      h("div", { class: "note" }, `feature space: ${last.extractor} (compare only numbers with the same id)`));
  }

  function drawAlarms() {
    const a = state.data.alarms;
    if (!a.length) { alarmBox.replaceChildren(message("No alarms: no mode collapse, no D winning, no divergence.")); return; }
    alarmBox.replaceChildren(h("ul", { class: "gan-alarms" }, a.map((al) => h("li", {
      class: "gan-alarm", dataset: { type: al.type, step: al.step }, title: "show the timeline at this step",
      onclick: () => {
        const tl = state.data.timeline;
        let best = 0;
        tl.forEach((t, i) => { if (Math.abs(t.step - al.step) < Math.abs(tl[best].step - al.step)) best = i; });
        stop(); showFrame(best); timelineCard.scrollIntoView({ block: "nearest" });
      } }, h("span", { class: "type" }, String(al.type).replaceAll("_", " ")), `step ${al.step}: `, al.message))));
  }

  // --- latent explorer --------------------------------------------------------------------------
  const exBox = h("div");
  async function explorer() {
    if (!state.data.checkpoint) {
      exBox.replaceChildren(message("No generator checkpoint in this run (train_dcgan(save=True) or ts.gan.save_checkpoint)."));
      return;
    }
    const go = h("button", { type: "button", class: "gan-explore-open" }, "Open the latent explorer");
    exBox.replaceChildren(go, h("span", { class: "note" }, " sliders over the generator's principal latent directions (GANSpace), computed on the server"));
    go.addEventListener("click", async () => {
      const rid = runId;
      exBox.replaceChildren(message("computing the principal directions…"));
      let d;
      try { d = await api.json("gan/directions", { run: rid }); } catch (e) { exBox.replaceChildren(message(`explorer failed: ${e.message || e}`, "error")); return; }
      if (rid !== runId) return;
      const out = h("img", { class: "gan-explore-img", alt: "generator output" });
      const vals = new Array(d.k).fill(0);
      const update = () => { out.src = api.url("gan/explore", { run: rid, s: vals.map((v) => v.toFixed(2)).join(",") }); out.dataset.s = vals.join(","); };
      const later = debounce(update, 40);
      const sliders = d.sigma.map((_, i) => {
        const val = h("span", { class: "v" }, "0.0σ");
        const inp = h("input", { type: "range", min: -3, max: 3, step: 0.1, value: 0, class: "gan-slider", dataset: { i } });
        inp.addEventListener("input", () => { vals[i] = Number(inp.value); val.textContent = `${vals[i].toFixed(1)}σ`; later(); });
        return h("label", {}, `PC${i + 1} (${(100 * num(d.explained[i])).toFixed(1)}%)`, inp, val);
      });
      const reset = h("button", { type: "button" }, "reset");
      reset.addEventListener("click", () => { vals.fill(0); exBox.querySelectorAll("input.gan-slider").forEach((s) => { s.value = 0; s.dispatchEvent(new Event("input")); }); update(); });
      exBox.replaceChildren(h("div", { class: "gan-explorer" }, out, h("div", { class: "gan-sliders" }, sliders, h("div", {}, reset),
        h("div", { class: "note" }, `directions from layer ${d.layer}`))));
      update();
    });
  }

  // --- prototypes and counterfactuals ------------------------------------------------------------
  const protoBox = h("div"), cfBox = h("div");
  function lensCards() {
    if (api.report) return; // a static report has no server to compute them
    const key = JSON.stringify([runId, state.data.lens || null]);
    if (key === state.lensKey) return; // live refreshes keep the results on screen
    state.lensKey = key;
    state.cards.forEach((c) => c.destroy());
    const lens = state.data.lens || { ready: false, message: "This server does not compute the GAN lens (an older torchscope?)." };
    state.cards = [prototypeCard(api, runId, lens), counterfactualCard(api, runId, lens)];
    protoBox.replaceChildren(state.cards[0].el);
    cfBox.replaceChildren(state.cards[1].el);
  }

  async function load() {
    let data;
    try {
      data = await api.json("gan/overview", { run: runId, buckets: 512 });
    } catch (e) {
      if (!state.alive) return;
      if (!state.data) body.replaceChildren(message(`Could not read this run's GAN data: ${e.message || e}`, "note error"));
      return;
    }
    if (!state.alive) return;
    const follow = !state.data || state.idx >= state.data.timeline.length - 1;
    state.data = data;
    scrub.max = Math.max(0, data.timeline.length - 1);
    const c = data.config || {};
    info.textContent = [`${data.timeline.length} checkpoints`, c.z_dim ? `z_dim ${c.z_dim}` : null, c.every ? `every ${c.every} steps` : null,
      `${data.alarms.length} alarm${data.alarms.length === 1 ? "" : "s"}`].filter(Boolean).join(" · ");
    drawCurves();
    if (data.timeline.length) showFrame(follow ? data.timeline.length - 1 : state.idx);
    else { img.removeAttribute("src"); stepLabel.textContent = "no gan/samples images yet"; }
    drawMetrics();
    drawAlarms();
    lensCards();
  }

  async function show() {
    stop();
    state.data = null;
    newCharts();
    body.replaceChildren(timelineCard, card("Losses", boxes.loss), card("D outputs: D(x) and D(G(z))", boxes.d),
      card("Gradient norms", boxes.grad), h("div", { class: "card gan-card wide" }, h("h3", {}, "Quality metrics"), metricBox),
      card("Alarms", alarmBox), h("div", { class: "card gan-card wide" }, h("h3", {}, "Latent explorer"), exBox),
      ...(api.report ? [] : [h("div", { class: "card gan-card wide" }, h("h3", {}, "Class prototypes"), protoBox),
        h("div", { class: "card gan-card wide" }, h("h3", {}, "Counterfactuals"), cfBox)]));
    state.lensKey = null;
    await load();
    if (state.data) explorer();
  }

  const refresh = debounce(() => { if (state.data && byId.get(runId)?.status === "running") load(); }, 1000);
  api.on("scalars", refresh);
  api.on("keys", (evt) => { if (!evt || evt.run === runId) refresh(); });
  window.torchscope = window.torchscope || {};
  window.torchscope.gan = { get data() { return state.data; }, get index() { return state.idx; }, showFrame,
    get charts() { return { ...curves, ...(metricCharts ? { fd: metricCharts[0], kid: metricCharts[1], pr: metricCharts[2] } : {}) }; } };
  await show();
  return { destroy() {
    state.alive = false; stop(); state.cards.forEach((c) => c.destroy()); delete window.torchscope.gan;
    Object.values(curves).forEach((c) => c.destroy()); metricCharts?.forEach((c) => c.destroy());
  } };
}
