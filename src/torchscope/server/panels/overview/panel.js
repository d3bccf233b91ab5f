// The Overview panel, where the dashboard opens: one card per stage of deep learning (data,
// projections, model, training, health, evaluation, explanations, GAN, GAN lab). Each card says
// what its panel shows, gives a few facts about the selected runs, draws a thumbnail from the
// store and links into the panel; a stage with nothing logged says what to log. Live: the cards
// are read again (at most every 4 s) when the runs log new keys or points.
//   export function render(el, api) -> { destroy() }

import { h, plural } from "../../static/dom.js";
import { drawThumb } from "./draw.js";

const CSS = new URL("./overview.css", import.meta.url).href;
const REFRESH_MS = 4000;
const MORE = [["images", "Images"], ["histograms", "Histograms"], ["text", "Text"], ["config", "Config"],
  ["detections", "Detections"]];

function loadCss() {
  if (![...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === CSS)) {
    document.head.append(h("link", { rel: "stylesheet", href: CSS }));
  }
}
loadCss(); // while the module's importer asks for the cards

function thumbOf(card, api, ctx) {
  const t = card.thumb;
  if (!t) return h("div", { class: "ov-none" }, card.runs.length ? "nothing to draw yet" : "nothing logged yet");
  if (t.type === "image") {
    const img = h("img", { src: api.url("overview/thumb", t.params), alt: `${card.title}: thumbnail`, loading: "eager",
      decoding: "async" });
    return img;
  }
  return drawThumb(t, ctx) || h("div", { class: "ov-none" }, "nothing to draw yet");
}

// Which runs hold the stage, and which ones the picture shows.
function fromText(card, ctx) {
  const n = card.runs.length, drawn = card.drawn.length;
  if (drawn > 1) return `in ${plural(n, "run")}; ${drawn} drawn`;
  const one = `from ${ctx.name(card.run)}`;
  return n > 1 ? `${one}; in ${plural(n, "run")}` : one;
}

function cardOf(card, api, ctx) {
  const has = card.runs.length > 0;
  const thumb = thumbOf(card, api, ctx);
  const el = h("a", { class: `ov-card${has ? "" : " ov-empty"}`, href: `#${card.panel}`,
    dataset: { stage: card.id, panel: card.panel, state: has ? "pending" : "empty" },
    "aria-label": `${card.title}: open the ${card.panel} panel` },
  h("div", { class: "ov-thumb" }, thumb),
  h("div", { class: "ov-text" },
    h("h3", {}, h("span", { class: "title" }, card.title), h("span", { class: "ov-go", "aria-hidden": "true" }, "→")),
    h("p", { class: "ov-says" }, card.says),
    has ? h("p", { class: "ov-facts" }, card.facts.join(" · ")) : h("p", { class: "ov-hint" }, h("code", {}, card.empty)),
    has ? h("p", { class: "ov-from" }, fromText(card, ctx)) : null));
  const done = () => { if (has) el.dataset.state = "drawn"; };
  if (thumb.tagName === "IMG") {
    thumb.addEventListener("load", done);
    thumb.addEventListener("error", () => { el.dataset.state = "failed"; thumb.replaceWith(h("div", { class: "ov-none" },
      "the picture could not be read")); });
  } else done();
  return el;
}

export async function render(el, api) {
  const runs = api.runs();
  const names = new Map(runs.map((r) => [r.id, r.name]));
  const ctx = { color: (id) => api.color(id), name: (id) => names.get(id) || id };
  const intro = h("p", { class: "ov-intro" }, runs.length
    ? `Every stage of deep learning in ${plural(runs.length, "selected run")}, one card each: open a card for its panel.`
    : "No runs selected (or none in this store yet). Run `torchscope demo`, or log your own with ts.init(); " +
      "each card says what to log to see it.");
  const grid = h("div", { class: "ov-grid" });
  const more = h("p", { class: "ov-more" }, "Also: ", MORE.map(([name, title], i) =>
    [i ? " · " : "", h("a", { href: `#${name}` }, title)]));
  const wrap = h("div", { class: "overview", dataset: { state: "loading" } }, intro, grid, more);
  el.replaceChildren(wrap);

  let timer = null, last = 0, alive = true;
  async function load() {
    last = Date.now();
    const got = await api.json("overview/stages", { run: runs.map((r) => r.id) });
    if (!alive) return;
    grid.replaceChildren(...got.stages.map((c) => cardOf(c, api, ctx)));
    wrap.dataset.state = "ready";
  }
  function later() { // live: at most one read per REFRESH_MS
    if (timer || !alive) return;
    timer = setTimeout(() => { timer = null; load().catch((e) => console.error(e)); },
      Math.max(0, REFRESH_MS - (Date.now() - last)));
  }
  await load();
  const mine = (evt) => !evt?.run || names.has(evt.run);
  api.on("keys", (evt) => { if (mine(evt)) later(); });
  api.on("scalars", (evt) => { if (mine(evt)) later(); });
  return { destroy() { alive = false; clearTimeout(timer); } };
}
