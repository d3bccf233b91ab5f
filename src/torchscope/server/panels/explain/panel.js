// The Explain panel: pick a sample from the gallery of logged attributions (explain.attribution
// records; those logged for the same inputs form one group), see its prediction (top-k when an
// explain.topk record of the same inputs was logged) and every method's overlay side by side as a
// heat map, blended or masked, with an opacity slider; then feature maps and first-layer filters.
//   export function render(el, api) -> { destroy() }

import { h, message, num } from "../../static/dom.js";
import { drawOverlay, loadPixels } from "./overlay.js";

function loadCss() {
  const href = new URL("./explain.css", import.meta.url).href;
  if (![...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === href)) {
    document.head.append(h("link", { rel: "stylesheet", href }));
  }
}

const STYLES = ["heatmap", "blended", "masked"];
const pct = (v) => `${(100 * num(v)).toFixed(1)}%`;

export async function render(el, api) {
  loadCss();
  const runs = api.runs();
  if (!runs.length) { el.replaceChildren(message("Select runs on the left to see their explanations.")); return {}; }
  const found = [];
  for (const r of runs) {
    const idx = await api.json("explain/index", { run: r.id });
    if (idx.attributions.length || idx.feature_maps.length || idx.filters.length || idx.topk.length) found.push([r, idx]);
  }
  if (!found.length) {
    el.replaceChildren(message("No explanations in the selected runs. Log them with run.log_record(ts.explain(model, x, " +
      "method=...), key=\"explain/<method>\") per method, ts.topk(...), ts.feature_maps(...), ts.filters(...) " +
      "(see docs/explain.md)."));
    return {};
  }
  const page = new ExplainPage(el, api, found);
  page.build();
  return { destroy() { page.dead = true; } };
}

class ExplainPage {
  constructor(el, api, found) {
    Object.assign(this, { el, api, found });
    const saved = api.state.get("run");
    [this.run, this.idx] = found.find(([r]) => r.id === saved) || found[0];
    this.style = api.state.get("style", "blended");
    this.alpha = api.state.get("alpha", 0.5);
    this.sample = 0;
    this.group = null;
    this.pixels = new Map(); // url -> ImageData (this page only)
  }

  q(e, extra) { return { run: this.run.id, key: e.key, step: e.step, ...extra }; }

  // the latest record of each key in the chosen group, in the order the keys were first logged
  records() {
    const g = this.idx.groups.find((x) => x.group === this.group);
    if (!g) return [];
    return g.keys.map((k) => this.idx.attributions.filter((a) => a.key === k && a.group === g.group).at(-1));
  }

  build() {
    const groups = this.idx.groups;
    this.group = groups.find((g) => g.group === this.api.state.get("group"))?.group || groups.at(-1)?.group || null;
    const runSel = this.found.length > 1 ? h("select", { "aria-label": "run", onchange: (ev) => {
      [this.run, this.idx] = this.found.find(([r]) => r.id === ev.target.value);
      this.api.state.set("run", this.run.id);
      this.sample = 0;
      this.build();
    } }, this.found.map(([r]) => h("option", { value: r.id, selected: r.id === this.run.id }, r.name))) : this.run.name;
    const groupSel = groups.length > 1 ? h("label", {}, "inputs", h("select", { "aria-label": "inputs", onchange: (ev) => {
      this.group = ev.target.value;
      this.api.state.set("group", this.group);
      this.sample = 0;
      this.build();
    } }, groups.map((g) => h("option", { value: g.group, selected: g.group === this.group }, `${g.n} inputs · ${g.keys.join(", ")}`)))) : null;
    this.alphaOut = h("output", {}, this.alpha.toFixed(2));
    const slider = h("input", { type: "range", min: 0, max: 1, step: 0.05, value: this.alpha, class: "opacity",
      "aria-label": "overlay opacity", oninput: (ev) => {
        this.alpha = Number(ev.target.value);
        this.alphaOut.textContent = this.alpha.toFixed(2);
        this.api.state.set("alpha", this.alpha);
        this.redraw();
      } });
    const seg = h("span", { class: "seg", role: "group", "aria-label": "overlay style" }, STYLES.map((s) => h("button", {
      class: s === this.style ? "on" : "", dataset: { style: s }, onclick: (ev) => {
        this.style = s;
        this.api.state.set("style", s);
        for (const b of ev.target.parentElement.children) b.classList.toggle("on", b === ev.target);
        this.redraw();
      } }, s)));
    const toolbar = h("div", { class: "toolbar" }, h("span", { class: "ev-run" },
      h("span", { class: "swatch", style: { background: this.run.color } }), runSel), groupSel, seg,
    h("label", {}, "opacity", slider, this.alphaOut));
    this.galleryEl = h("div", { class: "tiles xp-gallery" });
    this.sampleEl = h("div", { class: "xp-sample" });
    const cards = [toolbar];
    if (this.group !== null) {
      cards.push(h("section", { class: "card" }, h("h3", {}, h("span", { class: "title" }, "Inputs · pick a sample")), this.galleryEl),
        h("section", { class: "card" }, this.sampleEl));
    } else cards.push(message("No attributions logged in this run (run.log_record(ts.explain(...)))."));
    cards.push(this.mapsCard(), this.filtersCard());
    this.el.replaceChildren(...cards.filter(Boolean));
    if (this.group !== null) { this.drawGallery(); this.showSample(); }
  }

  topk() { return this.idx.topk.filter((t) => t.group === this.group).at(-1); }

  drawGallery() {
    const recs = this.records(), first = recs[0], L = first.layout;
    const url = this.api.url("explain/gallery.png", this.q(first));
    const top = this.topk();
    this.galleryEl.replaceChildren(...Array.from({ length: first.n }, (_, i) => {
      const r = Math.floor(i / L.columns), c = i % L.columns;
      const pred = first.predictions[i], label = top?.labels?.[i];
      const wrong = label !== undefined && label !== pred;
      return h("button", { class: `xp-tile${i === this.sample ? " sel" : ""}${wrong ? " wrong" : ""}`, dataset: { sample: i },
        title: `sample ${i}: predicted ${first.class_names[pred]} (${pct(first.pred_probs[i])})` +
          (label !== undefined ? `, true ${first.class_names[label]}` : ""),
        onclick: () => { this.sample = i; this.drawGallery(); this.showSample(); } },
      h("span", { class: "sprite", style: { backgroundImage: `url("${url}")`, backgroundSize: `${L.columns * 100}% ${L.rows * 100}%`,
        backgroundPosition: `${L.columns > 1 ? (100 * c) / (L.columns - 1) : 0}% ${L.rows > 1 ? (100 * r) / (L.rows - 1) : 0}%`,
        aspectRatio: `${L.thumb_width} / ${L.thumb_height}` } }),
      h("span", { class: "cap" }, first.class_names[pred], label !== undefined && wrong ? ` (true ${first.class_names[label]})` : ""));
    }));
  }

  async pixelsOf(url) {
    if (!this.pixels.has(url)) this.pixels.set(url, loadPixels(url));
    return this.pixels.get(url);
  }

  async showSample() {
    const i = this.sample, recs = this.records(), first = recs[0], names = first.class_names;
    const top = this.topk();
    let pred;
    if (top) {
      const lab = top.labels?.[i];
      pred = h("div", { class: "xp-topk" }, h("div", { class: "note" }, `top-${top.indices[i].length}` +
        (lab !== undefined ? ` · true class ${top.class_names[lab]}` : "")),
      top.indices[i].map((c, n) => h("div", { class: `bar-row${c === lab ? " true" : ""}`, dataset: { cls: top.class_names[c] } },
        h("span", { class: "name" }, top.class_names[c]),
        h("span", { class: "bar" }, h("span", { style: { width: pct(top.probs[i][n]) } })),
        h("span", { class: "p" }, pct(top.probs[i][n])))));
    } else {
      pred = h("div", { class: "xp-topk" }, h("div", {}, "predicted ", h("b", {}, names[first.predictions[i]]),
        ` (${pct(first.pred_probs[i])})`), h("div", { class: "note" }, "log ts.topk(model, x) for the top-k classes"));
    }
    const input = h("canvas", { class: "xp-input", "aria-label": `input ${i}` });
    this.figures = recs.map((a) => {
      const canvas = h("canvas", { class: "xp-canvas", "aria-label": `${a.method} overlay` });
      const t = a.targets[i];
      return { a, canvas, el: h("figure", { class: "overlay", dataset: { key: a.key, method: a.method, sample: i } }, canvas,
        h("figcaption", {}, h("b", {}, a.method), a.layer ? ` · ${a.layer}` : ""),
        h("figcaption", { class: "sub" }, `target ${names[t]} (${pct(a.target_probs[i])}) · ${a.sign}`)) };
    });
    this.sampleEl.replaceChildren(h("h3", {}, h("span", { class: "title" }, `Sample ${i} · every method`)),
      h("div", { class: "xp-row" }, h("figure", { class: "xp-orig" }, input, h("figcaption", {}, "input")), pred),
      h("div", { class: "xp-overlays" }, this.figures.map((f) => f.el)));
    const img = await this.pixelsOf(this.api.url("explain/image.png", this.q(first, { i })));
    if (this.dead || this.sample !== i) return;
    drawOverlay(input, img, img, { style: "image" });
    await Promise.all(this.figures.map(async (f) => {
      f.image = await this.pixelsOf(this.api.url("explain/image.png", this.q(f.a, { i })));
      f.heat = await this.pixelsOf(this.api.url("explain/heat.png", this.q(f.a, { i })));
    }));
    if (this.dead || this.sample !== i) return;
    this.redraw();
    this.sampleEl.dataset.drawn = String(i);
  }

  redraw() {
    for (const f of this.figures || []) {
      if (!f.heat) continue;
      drawOverlay(f.canvas, f.image, f.heat, { style: this.style, alpha: this.alpha, signed: f.a.signed });
      f.canvas.dataset.alpha = String(this.alpha);
      f.canvas.dataset.style = this.style;
    }
  }

  sheet(kind, title, entries, url, label) {
    if (!entries.length) return null;
    const body = h("div", {});
    const pick = (e) => {
      const L = e.layout, src = this.api.url(url, this.q(e));
      body.replaceChildren(h("div", { class: "tiles xp-sheet" }, Array.from({ length: L.count }, (_, n) => {
        const r = Math.floor(n / L.columns), c = n % L.columns;
        return h("figure", { class: "xp-map" }, h("span", { class: "sprite", style: { backgroundImage: `url("${src}")`,
          backgroundSize: `${L.columns * 100}% ${L.rows * 100}%`,
          backgroundPosition: `${L.columns > 1 ? (100 * c) / (L.columns - 1) : 0}% ${L.rows > 1 ? (100 * r) / (L.rows - 1) : 0}%`,
          aspectRatio: `${L.thumb_width} / ${L.thumb_height}` } }), h("figcaption", {}, label(e, n)));
      })));
    };
    const sel = entries.length > 1 ? h("select", { class: "src", "aria-label": title, onchange: (ev) => pick(entries[ev.target.value]) },
      entries.map((e, n) => h("option", { value: n, selected: n === entries.length - 1 }, `${e.key} · ${e.layer} · step ${e.step}`))) : null;
    pick(entries.at(-1));
    const e = entries.at(-1);
    return h("section", { class: "card xp-sheet-card", dataset: { section: kind } },
      h("h3", {}, h("span", { class: "title" }, title, h("span", { class: "note" }, ` ${e.layer} ${JSON.stringify(e.shape)}`)), sel), body);
  }

  mapsCard() {
    return this.sheet("maps", "Feature maps", this.idx.feature_maps, "explain/maps.png",
      (e, n) => `ch ${e.channels[n]} · ${num(e.means[n]).toFixed(2)}`);
  }

  filtersCard() {
    return this.sheet("filters", "First-layer filters", this.idx.filters, "explain/filters.png", (e, n) => String(n));
  }
}
