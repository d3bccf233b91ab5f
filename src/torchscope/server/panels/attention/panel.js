// The Attention panel: a run's attention.maps records (ts.attention) and explain.tokens records
// (ts.explain on token ids). For a record, sample and group: the model view (layers x heads
// thumbnails: click one to open it), the head view (one layer's heads as lines between tokens: hover
// a token to isolate its lines; past the head view's limit the heat map stands in, and says so), the
// heat map (one head or the mean, any length; weights fetched per layer or head as uint8 planes), and
// for a vision transformer the rollout over the image; then coloured tokens.
//   export function render(el, api) -> { destroy() }

import { h, message, plural } from "../../static/dom.js";
import { fetchPlanes } from "./data.js";
import { HeadView } from "./headview.js";
import { HeatMap } from "./heatmap.js";
import { modelView } from "./modelview.js";
import { rolloutView } from "./rollout.js";
import { tokenView } from "./tokens.js";

export const SAYS = "Each map shows what every token (a row) attends to among the tokens (columns; a row sums to 1): "
  + "the model view has one per layer and head, the head view draws a layer as lines from each token to those it "
  + "attends to, the heat map one head at any length, and coloured tokens show which words a prediction rested on.";

function loadCss() {
  const href = new URL("./attention.css", import.meta.url).href;
  if (![...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === href)) {
    document.head.append(h("link", { rel: "stylesheet", href }));
  }
}

const EMPTY = "No attention in the selected runs. Log it with run.log_record(ts.attention(model, inputs, tokens=...), "
  + "key=\"attention/<name>\"), and token attributions with run.log_record(ts.explain(model, ids, tokens=...)) "
  + "(see docs/attention.md).";

export async function render(el, api) {
  loadCss();
  const runs = api.runs();
  if (!runs.length) { el.replaceChildren(message("Select runs on the left to see their attention maps.")); return {}; }
  const found = [];
  for (const r of runs) {
    const idx = await api.json("attention/index", { run: r.id });
    if (idx.maps.length || idx.tokens.length) found.push([r, idx]);
  }
  const holder = { page: null, dead: false };
  let timer = null;
  api.on("keys", (evt) => { // a record logged while the panel is open: read the listing again
    if (evt.kind !== "record" || !runs.some((r) => r.id === evt.run)) return;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const idx = await api.json("attention/index", { run: evt.run });
      const had = found.find(([r]) => r.id === evt.run);
      if (had && had[1].maps.length === idx.maps.length && had[1].tokens.length === idx.tokens.length) return;
      if (had) had[1] = idx;
      else found.push([runs.find((r) => r.id === evt.run), idx]);
      if (holder.dead || !(idx.maps.length || idx.tokens.length)) return;
      holder.page?.destroy();
      holder.page = new AttentionPage(el, api, found);
      holder.page.build();
    }, 300);
  });
  if (!found.length) el.replaceChildren(message(EMPTY));
  else {
    holder.page = new AttentionPage(el, api, found);
    holder.page.build();
  }
  return { destroy() { holder.dead = true; clearTimeout(timer); holder.page?.destroy(); } };
}

class AttentionPage {
  constructor(el, api, found) {
    Object.assign(this, { el, api, found });
    const saved = api.state.get("run");
    [this.run, this.idx] = found.find(([r]) => r.id === saved) || found.find(([, i]) => i.maps.length) || found[0];
    this.gen = 0;
    this.frames = new Map();
    this.views = [];
  }

  destroy() { this.gen += 1; this.views.forEach((v) => v.destroy?.()); this.views = []; this.hv = null; }

  select(label, options, value, onchange) {
    return h("label", {}, label, h("select", { "aria-label": label, onchange: (ev) => onchange(ev.target.value) },
      options.map(([v, text]) => h("option", { value: v, selected: String(v) === String(value) }, text))));
  }

  build() {
    this.destroy();
    const { idx, api } = this;
    const recs = idx.maps, saved = api.state.get("record");
    this.rec = recs.find((m) => `${m.key}@${m.step}` === saved) || recs.at(-1) || null;
    const tools = [];
    if (this.found.length > 1) {
      tools.push(this.select("run", this.found.map(([r]) => [r.id, r.name]), this.run.id, (v) => {
        [this.run, this.idx] = this.found.find(([r]) => r.id === v);
        api.state.set("run", v);
        this.build();
      }));
    } else tools.push(h("b", {}, this.run.name));
    if (this.rec) {
      tools.push(this.select("record", recs.map((m) => [`${m.key}@${m.step}`, `${m.key} · step ${m.step} · ${m.model}`]),
        `${this.rec.key}@${this.rec.step}`, (v) => { api.state.set("record", v); this.build(); }));
      this.sample = Math.min(api.state.get("sample", 0), this.rec.samples - 1);
      tools.push(this.select("sample", Array.from({ length: this.rec.samples }, (_, i) => [i, String(i)]), this.sample,
        (v) => { this.sample = Number(v); api.state.set("sample", this.sample); this.show(); }));
      this.group = this.rec.groups.find((g) => g.name === api.state.get("group")) || this.rec.groups[0];
      if (this.rec.groups.length > 1) {
        tools.push(this.select("attention", this.rec.groups.map((g) => [g.name, `${g.name}${g.causal ? " (causal)" : ""}`]),
          this.group.name, (v) => { this.group = this.rec.groups.find((g) => g.name === v); api.state.set("group", v); this.show(); }));
      }
    }
    this.body = h("div", { class: "att-body" });
    this.tokensCard = this.tokenCard();
    this.el.replaceChildren(h("div", { class: "toolbar att-toolbar" }, tools), h("p", { class: "att-says" }, SAYS), this.body,
      this.tokensCard || "");
    if (this.rec) this.show();
    else this.body.replaceChildren(message("No attention maps in this run (run.log_record(ts.attention(model, inputs)))."));
  }

  params(extra) { return { run: this.run.id, key: this.rec.key, step: this.rec.step, sample: this.sample, group: this.group.name, ...extra }; }

  // one layer's every head and mean, exact (short sequences: the head view and the heat map share it)
  layerFrame(layer) {
    const [, , , tq, tk] = this.group.shape, p = this.params({ layer, size: Math.max(tq, tk) }), id = JSON.stringify(p);
    if (!this.frames.has(id)) this.frames.set(id, fetchPlanes(this.api, "attention/layer", p));
    return this.frames.get(id);
  }

  card(title, ...children) {
    return h("section", { class: "card att-card" }, h("h3", {}, h("span", { class: "title", title }, title)), ...children);
  }

  async show() {
    this.destroy();
    const gen = this.gen, g = this.group, [layers, , heads, tq, tk] = g.shape, api = this.api;
    this.short = Math.max(tq, tk) <= this.idx.limit;
    this.layer = Math.min(api.state.get("layer", layers - 1), layers - 1);
    this.heatHead = api.state.get("head", "mean");
    if (this.heatHead !== "mean" && this.heatHead >= heads) this.heatHead = "mean";
    // the labels, the thumbnails and the layer shown are asked for at once, not one after another
    const thumbs = fetchPlanes(api, "attention/thumbs", this.params());
    thumbs.catch(() => {}); // handled below, once the cards exist
    if (this.short) this.layerFrame(this.layer).catch(() => {}); // shared by the head view and the heat map
    let labels;
    try {
      labels = await api.json("attention/labels", { run: this.run.id, key: this.rec.key, step: this.rec.step, sample: this.sample });
    } catch (e) {
      if (gen === this.gen) this.body.replaceChildren(message(`Sample ${this.sample} could not be read: ${e.message}`, "error"));
      return;
    }
    if (gen !== this.gen) return;
    this.queries = labels[g.query] || [];
    this.keys = labels[g.key] || [];
    const mv = h("div", { class: "att-mv-wrap" }, message("loading…"));
    this.mvCard = this.card(`Model view · ${plural(layers, "layer")} x ${plural(heads, "head")} · ${tq} x ${tk} tokens`,
      h("div", { class: "note" }, "Click a head to open it in the head view and the heat map."), mv);
    this.hvCard = this.card("Head view");
    this.hmCard = this.card("Heat map");
    const cards = [this.mvCard, this.hvCard, this.hmCard];
    if (this.rec.grid) cards.push(this.rollCard = this.card("Attention rollout (Abnar & Zuidema 2020) · the class token over the patches"));
    this.body.replaceChildren(...cards);
    this.heat = new HeatMap({ queries: this.queries, keys: this.keys });
    this.views.push(this.heat);
    // the model view is drawn first: the head view's lines (~17k strokes at 128 tokens) wait for it (showHeads)
    this.mvDrawn = thumbs.then((planes) => {
      if (gen !== this.gen) return;
      this.thumbs = planes;
      mv.replaceChildren(modelView(planes, { pick: (l, hd) => this.pick(l, hd), selected: [this.layer, this.heatHead] }));
    }).catch((e) => mv.replaceChildren(message(`The thumbnails could not be read: ${e.message}`, "error")));
    if (this.rec.grid) this.showRollout(gen);
    await Promise.all([this.showHeads(gen), this.showHeat(gen)]);
  }

  layerSelect(onchange) {
    return this.select("layer", this.group.layers.map((name, i) => [i, `${i} · ${name}`]), this.layer, (v) => onchange(Number(v)));
  }

  setLayer(l) {
    this.layer = l;
    this.api.state.set("layer", l);
    const gen = this.gen;
    this.showHeads(gen);
    this.showHeat(gen);
  }

  pick(l, hd) {
    this.layer = l;
    this.heatHead = hd;
    this.api.state.set("layer", l);
    this.api.state.set("head", hd);
    this.hvHeads = [hd];
    for (const b of this.mvCard.querySelectorAll(".att-thumb")) b.classList.toggle("on", +b.dataset.layer === l && +b.dataset.head === hd);
    const gen = this.gen;
    this.showHeads(gen);
    this.showHeat(gen);
    (this.short ? this.hvCard : this.hmCard).scrollIntoView({ block: "start", behavior: "smooth" });
  }

  async showHeads(gen) {
    const g = this.group, [, , heads, tq, tk] = g.shape, card = this.hvCard;
    const title = h("span", { class: "title", title: `Head view · layer ${this.layer}` }, `Head view · layer ${this.layer}`);
    if (!this.short) {
      card.replaceChildren(h("h3", {}, title), message(`${plural(Math.max(tq, tk), "token")} is past the head view's limit of `
        + `${this.idx.limit}: its lines would be unreadable, so the heat map below shows this layer instead.`, "note att-fallback"));
      return;
    }
    if (this.hv) { // the previous head view: its observer would redraw every line as its canvas goes
      this.hv.destroy();
      this.views = this.views.filter((v) => v !== this.hv);
      this.hv = null;
    }
    const hv = new HeadView({ queries: this.queries, keys: this.keys, heads, minWeight: this.idx.min_weight,
      onHeads: (sel) => { this.hvHeads = sel; } });
    this.hv = hv;
    this.views.push(hv);
    card.replaceChildren(h("h3", {}, title, this.layerSelect((l) => this.setLayer(l))),
      h("div", { class: "note" }, "Hover (or tap) a token to see only its lines; click a head to hide or show it."), hv.el);
    try {
      const planes = await this.layerFrame(this.layer);
      await this.mvDrawn; // the thumbnails first: the lines wait until that frame is painted
      await new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));
      if (gen !== this.gen || hv !== this.hv) return;
      hv.set(planes, this.hvHeads || Array.from({ length: heads }, (_, i) => i));
      card.dataset.layer = String(this.layer);
    } catch (e) {
      hv.el.replaceChildren(message(`This layer could not be read: ${e.message}`, "error"));
    }
  }

  async showHeat(gen) {
    const t0 = performance.now(), g = this.group, heads = g.shape[2], card = this.hmCard;
    const headSel = this.select("head", [["mean", "mean over heads"], ...Array.from({ length: heads }, (_, i) => [i, `head ${i}`])],
      this.heatHead, (v) => { this.heatHead = v === "mean" ? v : Number(v); this.api.state.set("head", this.heatHead); this.showHeat(this.gen); });
    card.replaceChildren(h("h3", {}, h("span", { class: "title", title: `Heat map · layer ${this.layer}` }, `Heat map · layer ${this.layer}`),
      this.layerSelect((l) => this.setLayer(l)), headSel), this.heat.el);
    const name = this.heatHead === "mean" ? "mean" : `h${this.heatHead}`;
    const title = this.heatHead === "mean" ? "mean over heads" : `head ${this.heatHead}`;
    try {
      let src;
      if (this.short) {
        const planes = await this.layerFrame(this.layer);
        src = { planes, plane: planes.index(name), title };
      } else {
        const base = this.params({ layer: this.layer, head: this.heatHead, size: this.idx.size });
        const planes = await fetchPlanes(this.api, "attention/layer", base);
        src = { planes, plane: 0, title, detail: async (v) => ({ plane: 0,
          planes: await fetchPlanes(this.api, "attention/layer", { ...base, window: `${v.q0},${v.q1},${v.k0},${v.k1}` }) }) };
      }
      if (gen !== this.gen) return;
      await this.heat.show(src, t0);
    } catch (e) {
      this.heat.note.textContent = `This map could not be read: ${e.message}`;
    }
  }

  async showRollout(gen) {
    try {
      const r = await this.api.json("attention/rollout", this.params());
      if (gen !== this.gen) return;
      const image = this.rec.image ? this.api.url("attention/image.png", { run: this.run.id, key: this.rec.key, step: this.rec.step,
        sample: this.sample }) : null;
      this.rollCard.append(rolloutView({ rollout: r, image, alpha: this.api.state.get("alpha", 0.6),
        onAlpha: (a) => this.api.state.set("alpha", a) }));
    } catch (e) {
      this.rollCard.append(message(`The rollout could not be read: ${e.message}`, "error"));
    }
  }

  tokenCard() {
    const list = this.idx.tokens;
    if (!list.length) return null;
    const body = h("div", {});
    const pick = async (t) => {
      const answer = await this.api.json("attention/tokens", { run: this.run.id, key: t.key, step: t.step });
      body.replaceChildren(tokenView(answer));
    };
    const sel = list.length > 1 ? h("select", { "aria-label": "token attributions", onchange: (ev) => pick(list[ev.target.value]) },
      list.map((t, i) => h("option", { value: i, selected: i === list.length - 1 }, `${t.key} · ${t.method} · step ${t.step}`))) : null;
    const last = list.at(-1);
    pick(last).catch((e) => body.replaceChildren(message(`These attributions could not be read: ${e.message}`, "error")));
    const title = `Token attributions · ${last.method}${last.layer ? ` at ${last.layer}` : ""}`;
    return h("section", { class: "card att-card att-tok-card" }, h("h3", {}, h("span", { class: "title", title }, title), sel),
    h("div", { class: "note" }, "Red tokens pushed the model towards the class named, blue ones away from it; hover one for its score."), body);
  }
}
