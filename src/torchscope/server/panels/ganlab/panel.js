// The GAN lab panel: a real PyTorch GAN learning a 2-D distribution on the server, drawn live.
// This page opens its own lab session (POST ganlab/open), watches its compact frames over a
// server-sent event stream (ganlab/stream) and sends commands by POST (ganlab/command); the
// session stops when the page goes away. See docs/gan_lab.md, "In the dashboard".
//   export function render(el, api) -> { destroy() }

import { h } from "../../static/dom.js";
import { LabCanvas, LAYERS } from "./canvas.js";
import { Charts } from "./charts.js";
import { Settings } from "./controls.js";
import { FileBar } from "./files.js";
import { ModelView } from "./model.js";
import { Stream } from "./stream.js";

const EDITABLE = ["target", "loss", "optimizer", "lr_d", "lr_g", "d_steps", "g_steps", "z_dim", "noise", "hidden", "width"];
const PHASE_NAMES = ["sample", "classify", "loss", "gradients", "update"];

function loadCss() {
  const href = new URL("./ganlab.css", import.meta.url).href;
  if (![...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === href)) {
    document.head.append(h("link", { rel: "stylesheet", href }));
  }
}

export async function render(el, api) {
  loadCss();
  const page = new LabPage(el, api);
  await page.start();
  return { destroy: () => page.destroy() };
}

class LabPage {
  constructor(el, api) {
    this.el = el;
    this.api = api;
    this.layers = { heat: true, manifold: true, real: true, fake: true, arrows: true, ...api.state.get("layers", {}) };
    this.view = { frame: null, real: [], centers: [], config: {} };
    this.history = {};
    this.metrics = {};
    this.stats = { received: 0, painted: 0, fps: 0, times: [] };
    this.pulse = null;
    this.build();
  }

  // -- layout ----------------------------------------------------------------------------------
  build() {
    const b = (label, cls, onclick, title) => h("button", { type: "button", class: `gl-btn ${cls || ""}`, onclick, title }, label);
    this.playBtn = b("▶ Play", "gl-play primary", () => this.cmd(this.view.frame?.playing ? "pause" : "play"), "play / pause (space)");
    this.stepLabel = h("span", { class: "gl-step", "aria-live": "off" }, "step 0");
    this.statusChip = h("span", { class: "gl-chip" }, "starting…");
    this.fpsLabel = h("span", { class: "gl-fps", title: "frames per second received" }, "");
    const speed = h("select", { class: "gl-speed", "aria-label": "training steps per frame", title: "training steps per frame",
      onchange: (e) => this.cmd("speed", { steps_per_frame: Number(e.target.value) }) },
    [1, 2, 5, 10, 25].map((n) => h("option", { value: n }, `${n} step${n > 1 ? "s" : ""}/frame`)));
    const bar = h("div", { class: "gl-bar" },
      this.playBtn,
      h("span", { class: "gl-group", role: "group", "aria-label": "single step" },
        b("Step", "gl-step-both", () => this.step("both"), "one training step: D then G (s)"),
        b("D", "gl-step-d", () => this.step("d"), "one discriminator step only"),
        b("G", "gl-step-g", () => this.step("g"), "one generator step only")),
      b("Slow motion", "gl-slow", () => this.cmd("slow"), "walk through one step's five phases"),
      b("↺ Reset", "gl-reset", () => this.cmd("reset"), "back to step 0 with the same settings"),
      h("span", { class: "gl-readout" }, this.stepLabel, this.statusChip, this.fpsLabel),
      speed);
    this.alerts = { error: alert("error", () => this.clearError()), status: alert("status"), info: alert("info", () => show(this.alerts.info, "")) };

    this.canvas = new LabCanvas();
    this.drawBar = h("div", { class: "gl-drawbar", hidden: true },
      h("span", {}, "Draw the real distribution: drag to draw strokes, tap for blobs."),
      h("span", { class: "gl-drawbar-buttons" },
        b("Use drawing", "primary gl-draw-apply", () => this.applyDrawing()),
        b("Clear", "gl-draw-clear", () => this.canvas.clearDrawing()),
        b("Cancel", "gl-draw-cancel", () => this.endDrawing(true))));
    const toggles = LAYERS.map((l) => h("label", { class: "gl-toggle", title: `show ${l.label}` },
      h("input", { type: "checkbox", checked: this.layers[l.id], dataset: { layer: l.id }, onchange: (e) => {
        this.layers[l.id] = e.target.checked; this.api.state.set("layers", this.layers); this.paint(); } }),
      h("i", { style: { background: l.swatch } }), l.label));
    this.stage = h("section", { class: "gl-card gl-stage" },
      h("div", { class: "gl-canvas-wrap" }, this.canvas.el, this.drawBar),
      h("div", { class: "gl-layers" }, toggles));

    this.model = new ModelView();
    this.phaseBox = h("div", { class: "gl-phase", hidden: true });
    const phaseSpeed = h("select", { "aria-label": "seconds per slow-motion phase", title: "seconds per slow-motion phase",
      onchange: (e) => this.cmd("speed", { phase_seconds: Number(e.target.value) }) },
    [[0.6, "fast"], [1.5, "normal"], [3, "slow"], [6, "very slow"]].map(([v, l]) => h("option", { value: v, selected: v === 1.5 }, `phases: ${l}`)));
    this.overview = h("section", { class: "gl-card gl-overview" },
      h("h3", {}, h("span", { class: "title" }, "Model overview"), phaseSpeed), this.model.el, this.phaseBox);
    this.modelObserver = new ResizeObserver(() => this.model.layout(this.model.el.clientWidth));
    this.modelObserver.observe(this.model.el);

    this.charts = new Charts();
    this.curves = h("section", { class: "gl-card gl-curves" }, h("h3", {}, "Training"), this.charts.el);
    this.settingsCard = h("section", { class: "gl-card gl-settings" }, h("h3", {}, "Settings"), h("div", { class: "note" }, "loading…"));
    this.files = new FileBar(this);
    this.filesCard = h("section", { class: "gl-card gl-filecard" }, h("h3", {}, "Save, load, export"), this.files.el);

    this.el.replaceChildren(h("div", { class: "gl", "aria-busy": "true" }, bar, this.alerts.error, this.alerts.status, this.alerts.info,
      h("div", { class: "gl-cols" },
        h("div", { class: "gl-col" }, this.stage, this.settingsCard, this.filesCard),
        h("div", { class: "gl-col" }, this.overview, this.curves))));
    this.canvas.onResize = () => this.paint();
    this.onKey = (e) => this.key(e);
    document.addEventListener("keydown", this.onKey);
    this.onHide = () => this.stream?.goodbye();
    window.addEventListener("pagehide", this.onHide);
  }

  async start() {
    window.torchscope.ganlab = this; // inspection hook (tests, debugging)
    try {
      this.options = await this.api.json("ganlab/options");
    } catch (e) {
      this.showError(`The GAN lab cannot reach the server: ${e.message}`);
      return;
    }
    this.settings = new Settings(this.options, { change: (c) => this.configure(c), draw: () => this.startDrawing() });
    this.settingsCard.replaceChildren(h("h3", {}, "Settings"), this.settings.el);
    this.stream = new Stream(this.api, { frame: (f) => this.onFrame(f), note: (t) => show(this.alerts.info, t),
      error: (t) => this.showError(t) });
    this.stream.currentConfig = () => editable(this.view.config);
    await this.stream.open(this.api.state.get("config", {}));
  }

  // -- commands --------------------------------------------------------------------------------
  async cmd(type, extra = {}) {
    if (["play", "step", "reset", "load"].includes(type)) this.clearError();
    const reply = await this.stream.command(type, extra);
    if (reply && reply.ok === false) this.showError(reply.error);
    else if (reply && type === "play") this.playing(true);
    else if (reply && ["pause", "step", "slow", "reset"].includes(type)) this.playing(false);
    return reply;
  }

  playing(on) { if (this.view.frame) this.view.frame.playing = on; this.paintBar(); }

  async step(which) {
    this.pulse = which;
    clearTimeout(this.pulseTimer);
    this.pulseTimer = setTimeout(() => { this.pulse = null; this.paint(); }, 700);
    await this.cmd("step", { n: 1, which });
  }

  async configure(changes) {
    const reply = await this.cmd("configure", { changes });
    if (reply?.ok) this.clearError();
    else this.settings.sync(this.view.config, true); // back to the lab's own values
    return reply;
  }

  key(e) {
    if (e.target.closest?.("input, select, textarea, button") || e.ctrlKey || e.metaKey || e.altKey || this.canvas.drawing) return;
    if (e.key === " ") { e.preventDefault(); this.cmd(this.view.frame?.playing ? "pause" : "play"); }
    else if (e.key === "s") this.step("both");
  }

  // -- draw your own -----------------------------------------------------------------------------
  startDrawing() {
    if (this.canvas.drawing) return;
    this.resumeAfterDrawing = !!this.view.frame?.playing;
    if (this.resumeAfterDrawing) this.cmd("pause");
    this.canvas.startDrawing(this.view.frame?.bounds || [-1.5, 1.5]);
    this.drawBar.hidden = false;
    this.stage.classList.add("drawing");
  }

  async applyDrawing() {
    const strokes = this.canvas.strokes();
    if (!strokes.length) { this.showError("Draw at least one stroke (or two points) on the canvas first."); return; }
    const reply = await this.configure({ target: { name: "drawn", points: strokes } });
    if (reply?.ok) this.endDrawing(false); // on an error the drawing stays, to be fixed
  }

  endDrawing(cancelled) {
    this.canvas.stopDrawing();
    this.drawBar.hidden = true;
    this.stage.classList.remove("drawing");
    if (this.resumeAfterDrawing) this.cmd("play");
    if (cancelled) this.settings.sync(this.view.config, true);
    this.paint();
  }

  // -- frames ----------------------------------------------------------------------------------
  onFrame(f) {
    const v = this.view;
    if (f.real) v.real = f.real;
    if (f.centers) v.centers = f.centers;
    const newConfig = !!f.config;
    if (f.config) v.config = f.config;
    f.config = v.config;
    if (!merge(this.history, f.history) | !merge(this.metrics, f.metrics)) { this.stream.resync(); return; }
    v.frame = f;
    this.el.firstElementChild?.removeAttribute("aria-busy"); // the lab has its first frame
    const now = performance.now(), t = this.stats.times;
    this.stats.received += 1;
    t.push(now);
    while (t.length && t[0] < now - 2000) t.shift();
    this.stats.fps = t.length > 1 ? ((t.length - 1) * 1000) / (t[t.length - 1] - t[0]) : 0;
    if (newConfig) {
      this.settings.sync(v.config);
      this.api.state.set("config", editable(v.config));
    }
    if (!this.raf) this.raf = requestAnimationFrame(() => { this.raf = 0; this.paint(); });
  }

  paint() {
    const f = this.view.frame;
    if (!f) return;
    this.canvas.draw(this.view, this.layers);
    this.stats.painted += 1;
    this.paintBar();
    this.model.update(f, { playing: f.playing, pulse: this.pulse });
    this.paintPhase(f.phase);
    this.charts.update(this.history, this.metrics, { modes: f.latest?.modes });
    const msg = f.message || "";
    show(this.alerts.status, msg, f.status);
  }

  paintBar() {
    const f = this.view.frame;
    if (!f) return;
    this.playBtn.textContent = f.playing ? "❚❚ Pause" : "▶ Play";
    this.playBtn.classList.toggle("playing", !!f.playing);
    this.stepLabel.textContent = `step ${f.step}`;
    const status = f.phase?.name ? "slow motion" : f.status === "diverged" ? "diverged" : f.playing ? "training" : "paused";
    this.statusChip.textContent = status;
    this.statusChip.className = `gl-chip ${status.replace(" ", "-")}`;
    this.fpsLabel.textContent = f.playing ? `${Math.round(this.stats.fps)} fps` : "";
  }

  paintPhase(ph) {
    if (!ph || !ph.name) { this.phaseBox.hidden = true; return; }
    this.phaseBox.hidden = false;
    const dots = PHASE_NAMES.map((n, i) => h("span", { class: `gl-dot${i < ph.index ? " done" : i === ph.index ? " on" : ""}`, title: n }));
    const last = ph.index === ph.count - 1;
    this.phaseBox.replaceChildren(
      h("div", { class: "gl-phase-head" }, h("b", {}, ph.title), h("span", { class: "gl-dots" }, dots)),
      h("p", {}, ph.text),
      ...(last ? [h("p", { class: "gl-phase-end" }, "That was one training step. Slow motion again, or play.")] : []));
  }

  showError(text) { show(this.alerts.error, text, "error"); }
  clearError() { show(this.alerts.error, ""); }

  destroy() {
    this.destroyed = true;
    cancelAnimationFrame(this.raf);
    clearTimeout(this.pulseTimer);
    document.removeEventListener("keydown", this.onKey);
    window.removeEventListener("pagehide", this.onHide);
    this.stream?.close();
    this.canvas.destroy();
    this.charts.destroy();
    this.modelObserver.disconnect();
    if (window.torchscope.ganlab === this) window.torchscope.ganlab = null;
  }
}

function editable(config) {
  const keep = {};
  for (const k of EDITABLE) if (config && k in config) keep[k] = config[k];
  return keep;
}

// append incremental rows ({since, rows, col: [...]}) to the columns we hold; false if out of step
function merge(cols, part) {
  if (!part) return true;
  const have = (cols.step || []).length;
  if (part.since === 0) {
    for (const k of Object.keys(cols)) delete cols[k];
  } else if (part.since !== have) {
    return false;
  }
  for (const [k, v] of Object.entries(part)) {
    if (k === "since" || k === "rows" || !Array.isArray(v)) continue;
    if (!cols[k]) cols[k] = [];
    for (const x of v) cols[k].push(x);
  }
  return true;
}

function alert(kind, onClose) {
  const text = h("span", { class: "gl-alert-text" });
  const el = h("div", { class: `gl-alert ${kind}`, role: kind === "error" ? "alert" : "status", hidden: true, dataset: { alert: kind } },
    text, onClose ? h("button", { type: "button", class: "gl-close", "aria-label": "dismiss", onclick: onClose }, "×") : null);
  el.text = text;
  return el;
}

function show(el, text, level) {
  el.hidden = !text;
  if (el.text.textContent !== text) el.text.textContent = text;
  if (level) el.dataset.level = level;
}
