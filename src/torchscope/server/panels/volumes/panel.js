// The Volumes panel: 3-D (and 4-D) volumes logged with run.log_volume, in the slice viewer (view.js).
// Pick a record (run, key, step); the dashboard fetches only the planes it shows, downsampled to the
// screen (GET /api/volumes/slice); the static report slices whole downsampled volumes it keeps
// (GET /api/volumes/volume.bin). See README.md.
//   export function render(el, api) -> { destroy() }

import { h, message } from "../../static/dom.js";
import { localSource, serverSource, urlFrames } from "./sources.js";
import { VolumeView } from "./view.js";

function loadCss() {
  const href = new URL("./volumes.css", import.meta.url).href;
  if (![...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === href)) {
    document.head.append(h("link", { rel: "stylesheet", href }));
  }
}

const HELP = "No volumes in the selected runs. Log one with run.log_volume(\"ct\", vol, labels=seg, pred=pred) "
  + "(vol: a NIfTI path, a torchio/MONAI image, an array or tensor; see docs/volumes.md).";

async function entries(api) {
  const found = [], notes = [];
  for (const run of api.runs()) {
    const idx = await api.json("volumes/index", { run: run.id });
    // a static report keeps each volume whole, downsampled, and says which (report/volumes, beside the index)
    const held = api.report && idx.volumes.length ? await api.json("report/volumes", { run: run.id }) : null;
    if (held?.note) notes.push(held.note);
    for (const v of idx.volumes) {
      if (held) v.report = held.volumes[`${v.key}|${v.step}`];
      if (!api.report || v.report?.frames?.length) found.push({ run, v });
    }
  }
  return { found, notes };
}

export async function render(el, api) {
  loadCss();
  if (!api.runs().length) { el.replaceChildren(message("Select runs on the left to see their volumes.")); return {}; }
  const { found, notes } = await entries(api);
  if (!found.length) { el.replaceChildren(message(notes.length ? notes.join(" ") : HELP)); return {}; }
  const page = new VolumesPage(el, api, found, notes);
  await page.build();
  // a volume logged while the panel is open joins the picker; the one on screen stays
  let timer = 0;
  const runs = new Set(api.runs().map((r) => r.id));
  api.on("keys", (evt) => {
    if (evt.kind !== "record" || !runs.has(evt.run)) return;
    clearTimeout(timer);
    timer = setTimeout(() => page.refresh().catch((e) => console.error(e)), 300);
  });
  return { destroy() { clearTimeout(timer); page.destroy(); } };
}

class VolumesPage {
  constructor(el, api, found, notes) {
    Object.assign(this, { el, api, found, notes, view: null, dead: false });
    const want = api.params.get("key"), wantStep = api.params.get("step"), saved = api.state.get("pick");
    const name = (e) => `${e.run.id}|${e.v.key}|${e.v.step}`;
    let i = found.findIndex((e) => e.v.key === want && (wantStep === null || String(e.v.step) === wantStep));
    if (i < 0) i = found.findIndex((e) => name(e) === saved);
    // by default the latest volume with a prediction (truth beside it, Dice), else with labels, else the latest
    if (i < 0) i = found.findLastIndex((e) => e.v.has_pred);
    if (i < 0) i = found.findLastIndex((e) => e.v.has_labels);
    this.index = i >= 0 ? i : found.length - 1;
    this.name = name;
  }

  picker() {
    const many = new Set(this.found.map((e) => e.run.id)).size > 1;
    const label = (e) => `${many ? `${e.run.name} · ` : ""}${e.v.title || e.v.key} · step ${e.v.step}`;
    return this.found.length > 1 ? h("select", { class: "vol-pick", "aria-label": "volume", onchange: (ev) => {
      this.index = Number(ev.target.value);
      this.api.state.set("pick", this.name(this.found[this.index]));
      this.show();
    } }, this.found.map((e, i) => h("option", { value: i, selected: i === this.index }, label(e))))
      : h("b", { class: "vol-pick" }, label(this.found[0]));
  }

  async build() {
    this.head = h("div", { class: "vol-head" }, h("span", { class: "vol-title" }, "volume"), this.picker());
    this.host = h("div", { class: "vol-host" });
    this.el.replaceChildren(this.head, ...this.notes.map((n) => h("div", { class: "vol-note vol-capped" }, n)), this.host);
    await this.show();
  }

  async refresh() {
    const { found } = await entries(this.api);
    const shown = this.name(this.found[this.index]);
    if (this.dead || found.map(this.name).join("\n") === this.found.map(this.name).join("\n")) return;
    this.found = found;
    this.index = Math.max(0, found.findIndex((e) => this.name(e) === shown));
    this.head.lastChild.replaceWith(this.picker());
    if (this.name(found[this.index]) !== shown) await this.show();
  }

  async show() {
    const { run, v } = this.found[this.index];
    this.view?.destroy();
    this.view = null;
    let source;
    try {
      source = this.api.report ? await localSource(v, urlFrames(this.api, run.id, v, v.report.max), v.report.frames)
        : serverSource(this.api, run.id, v);
    } catch (e) {
      this.host.replaceChildren(message(`This volume could not be loaded: ${e.message || e}`, "error"));
      return;
    }
    if (this.dead || this.found[this.index].v !== v) return;
    this.view = new VolumeView(source, { prefs: this.api.state });
    if (window.torchscope) window.torchscope.volumes = this.view; // inspection hook (tests, debugging)
    this.host.replaceChildren(this.view.el);
    if (this.api.report && v.report.max < Math.max(...v.shape.slice(1))) {
      this.view.el.prepend(h("div", { class: "vol-note vol-capped" }, `This report keeps the volume downsampled to at most `
        + `${v.report.max} voxels a side${v.report.frames.length < v.shape[0] ? ` and ${v.report.frames.length} of its `
        + `${v.shape[0]} frames` : ""}; torchscope serve shows it at full resolution.`));
    }
    this.view.start();
  }

  destroy() { this.dead = true; this.view?.destroy(); }
}
