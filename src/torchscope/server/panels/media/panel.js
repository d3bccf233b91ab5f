// The Media panel: a run's videos (a player with a frame scrubber), audio clips (player, waveform,
// spectrogram) and point clouds / meshes (three.js with orbit and zoom, or the projected 2-D view in
// a static report, on a weak phone or on request). One card per key, with a step slider when the key
// was logged at several steps; it follows new steps live unless moved away from the newest.
//   export function render(el, api) -> { destroy() }

import { h, message, plural } from "../../static/dom.js";
import { audioPlayer } from "./audio.js";
import { videoPlayer } from "./video.js";
import { canWebGL, points2d, points3d, VIEW_SIZE } from "./view3d.js";

const MAX_GL = 8; // WebGL views at once (browsers cap contexts per page); the rest get the 2-D view

function loadCss() {
  const href = new URL("./media.css", import.meta.url).href;
  if (![...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === href)) {
    document.head.append(h("link", { rel: "stylesheet", href }));
  }
}

const empty = (idx) => !idx.videos.length && !idx.audio.length && !idx.points.length;

// A run's media; a static report keeps only some steps of each key, listed beside the index (report/media)
async function mediaIndex(api, run) {
  const idx = await api.json("media/index", { run });
  const any = idx.videos.length || idx.audio.length || idx.points.length;
  return api.report && any ? api.json("report/media", { run }) : idx;
}

export async function render(el, api) {
  loadCss();
  const runs = api.runs();
  if (!runs.length) { el.replaceChildren(message("Select runs on the left to see their videos, audio and 3-D points.")); return {}; }
  const found = [];
  for (const r of runs) {
    const idx = await mediaIndex(api, r.id);
    if (!empty(idx)) found.push([r, idx]);
  }
  if (!found.length) {
    el.replaceChildren(message("No media in the selected runs. Log them with run.log_video(key, frames, fps=), " +
      "run.log_audio(key, samples, sample_rate=) or run.log_points(key, xyz, colors=, faces=) (or SummaryWriter's " +
      "add_video, add_audio, add_mesh); see docs/media.md."));
    return {};
  }
  const page = new MediaPage(el, api, found);
  page.build();
  let timer = 0;
  api.on("keys", (evt) => {
    if (evt.kind !== "record" || evt.run !== page.run.id) return;
    clearTimeout(timer);
    timer = setTimeout(() => page.refresh(), 500);
  });
  return { destroy() { clearTimeout(timer); page.destroy(); } };
}

class MediaPage {
  constructor(el, api, found) {
    Object.assign(this, { el, api, found });
    const saved = api.state.get("run");
    [this.run, this.idx] = found.find(([r]) => r.id === saved) || found[0];
    this.cards = [];
    this.gl = 0;
  }

  destroy() { for (const c of this.cards) c.drop(); this.cards = []; this.seen?.disconnect(); }

  build() {
    this.destroy();
    this.gl = 0;
    this.seen = new IntersectionObserver((items) => {
      for (const it of items) if (it.isIntersecting) it.target.mediaCard?.mount();
    }, { rootMargin: "200px" });
    const runSel = this.found.length > 1 ? h("select", { "aria-label": "run", onchange: (ev) => {
      [this.run, this.idx] = this.found.find(([r]) => r.id === ev.target.value);
      this.api.state.set("run", this.run.id);
      this.build();
    } }, this.found.map(([r]) => h("option", { value: r.id, selected: r.id === this.run.id }, r.name))) : this.run.name;
    const { videos, audio, points } = this.idx;
    const toolbar = h("div", { class: "toolbar" }, h("span", { class: "ev-run" },
      h("span", { class: "swatch", style: { background: this.run.color } }), runSel),
    h("span", { class: "note" }, [plural(keys(videos).length, "video"), plural(keys(audio).length, "audio clip"),
      plural(keys(points).length, "point cloud / mesh", "point clouds / meshes")].join(" · ")));
    const sections = [["Video", videos, (c, e, box) => this.video(e, box)], ["Audio", audio, (c, e, box) => this.audio(e, box)],
      ["3-D", points, (c, e, box) => this.points(c, e, box)]];
    const body = [toolbar];
    for (const [title, list, make] of sections) {
      if (!list.length) continue;
      const grid = h("div", { class: "md-grid" });
      for (const key of keys(list)) {
        const card = new Card(this, key, list.filter((e) => e.key === key), make, title === "3-D");
        this.cards.push(card);
        grid.append(card.el);
        this.seen.observe(card.el);
      }
      body.push(h("h2", { class: "md-section" }, title), grid);
    }
    this.el.replaceChildren(...body);
  }

  async refresh() {
    const idx = await mediaIndex(this.api, this.run.id);
    const before = this.cards.map((c) => c.key).join("\n");
    this.idx = idx;
    const lists = { ...groupBy(idx.videos), ...groupBy(idx.audio), ...groupBy(idx.points) };
    if (Object.keys(lists).sort().join("\n") !== [...before.split("\n")].sort().join("\n")) { this.build(); return; }
    for (const c of this.cards) c.update(lists[c.key]);
  }

  q(e, extra) { return { run: this.run.id, key: e.key, step: e.step, ...extra }; }

  video(e, box) { return videoPlayer(box, { url: this.api.url("media/video", this.q(e)), meta: e }); }

  async audio(e, box) {
    const waveform = await this.api.json("media/waveform", this.q(e));
    return audioPlayer(box, { wav: this.api.url("media/audio.wav", this.q(e)), spectrogram: this.api.url("media/spectrogram.png", this.q(e)), waveform, meta: e });
  }

  async points(card, e, box) {
    const flat = () => points2d(box, { report: !!this.api.report, src: (azimuth, elevation) =>
      this.api.url("media/points.png", this.q(e, { batch: 0, azimuth, elevation, size: VIEW_SIZE })) });
    if (card.mode === "2d") return flat();
    if (this.api.report || !canWebGL() || this.gl >= MAX_GL) { card.setMode("2d", false); return flat(); }
    this.gl += 1;
    try {
      const buffer = await (await fetch(this.api.url("media/points.bin", this.q(e, { batch: 0 })))).arrayBuffer();
      const view = await points3d(box, { buffer, meta: e });
      const destroy = view.destroy;
      view.destroy = () => { this.gl -= 1; destroy(); };
      return view;
    } catch (err) { // no WebGL after all (a context refused): the 2-D view
      this.gl -= 1;
      card.setMode("2d", false);
      return flat();
    }
  }
}

function keys(list) { return [...new Set(list.map((e) => e.key))]; }

function groupBy(list) {
  const out = {};
  for (const e of list) (out[e.key] ||= []).push(e);
  return out;
}

// one key: a title, a step slider, the player of the chosen step (mounted when first scrolled into view)
class Card {
  constructor(page, key, entries, make, is3d) {
    Object.assign(this, { page, key, entries, make, is3d });
    this.pos = entries.length - 1;
    this.mode = is3d && (page.api.report || !canWebGL()) ? "2d" : "3d";
    this.box = h("div", { class: "md-box" });
    this.slider = h("input", { type: "range", min: 0, max: entries.length - 1, step: 1, value: this.pos, "aria-label": `step of ${key}` });
    this.slider.addEventListener("input", () => { this.pos = Number(this.slider.value); this.show(); });
    this.stepLabel = h("span", { class: "step-label" });
    this.caption = h("div", { class: "note md-caption" });
    this.seg = is3d && !page.api.report ? h("span", { class: "seg", role: "group", "aria-label": "view" }, ["3d", "2d"].map((m) =>
      h("button", { dataset: { mode: m }, class: m === this.mode ? "on" : "", onclick: () => this.setMode(m, true) }, m === "3d" ? "3-D" : "2-D"))) : null;
    this.el = h("section", { class: "card md-card", dataset: { key } }, h("h3", {}, h("span", { class: "title" }, key), this.seg),
      h("div", { class: "slider md-steps", hidden: entries.length < 2 }, "step", this.slider, this.stepLabel), this.box, this.caption);
    this.el.mediaCard = this;
    this.mounted = false;
    this.label();
  }

  label() {
    const e = this.entries[this.pos];
    this.stepLabel.textContent = `${e.step} (${this.pos + 1}/${this.entries.length})`;
    this.caption.textContent = e.caption || "";
    this.el.dataset.step = e.step;
  }

  mount() { if (!this.mounted) { this.mounted = true; this.show(); } }

  setMode(mode, redraw) {
    this.mode = mode;
    for (const b of this.seg?.children || []) b.classList.toggle("on", b.dataset.mode === mode);
    if (redraw) this.show();
  }

  drop() { this.view?.destroy?.(); this.view = null; }

  async show() {
    this.label();
    if (!this.mounted) return;
    const token = (this.token = {});
    this.drop();
    this.box.dataset.state = "loading";
    this.box.style.minHeight = this.is3d ? `${VIEW_SIZE}px` : "";
    try {
      const view = await this.make(this, this.entries[this.pos], this.box);
      if (token !== this.token) { view?.destroy?.(); return; }
      this.view = view;
      this.box.dataset.state = "ready";
      this.box.style.minHeight = "";
    } catch (err) {
      this.box.replaceChildren(message(`Could not show ${this.key} at step ${this.entries[this.pos].step}: ${err.message || err}`));
    }
  }

  update(entries) {
    const atEnd = this.pos === this.entries.length - 1;
    if (!entries || entries.length === this.entries.length) return;
    this.entries = entries;
    this.slider.max = entries.length - 1;
    this.slider.closest(".md-steps").hidden = entries.length < 2;
    if (atEnd) { this.pos = entries.length - 1; this.slider.value = this.pos; this.show(); } else this.label();
  }
}
