// The Text panel: markdown logged with run.log_text (markdown-it, HTML off: see static/markdown.js), per key
// and run, newest first.
//   export function render(el, api) -> {}

import { fmtDate, h, message } from "../../static/dom.js";
import { renderMarkdown } from "../../static/markdown.js";

export async function render(el, api) {
  const runs = api.runs();
  if (!runs.length) { el.replaceChildren(message("Select runs on the left to see their text.")); return {}; }
  const wrap = h("div", { class: "text-panel" });
  el.replaceChildren(wrap);
  const cards = new Map();

  async function card(key) {
    const data = await api.json("text/entries", { key, run: runs.map((r) => r.id) });
    const body = runs.filter((r) => data.runs[r.id]?.length).map((run) =>
      h("div", { class: "run-text", dataset: { run: run.id } },
        h("h4", {}, h("span", { class: "swatch", style: { background: run.color, display: "inline-block" } }), " ", run.name),
        [...data.runs[run.id]].reverse().map((e) => h("div", { class: "entry", dataset: { step: e.step } },
          h("div", { class: "step" }, `step ${e.step} · ${fmtDate(e.wall_time)}`), renderMarkdown(e.text)))));
    const c = h("div", { class: "card", dataset: { key } }, h("h3", {}, h("span", { class: "title" }, key)), body);
    if (cards.has(key)) cards.get(key).replaceWith(c); else wrap.append(c);
    cards.set(key, c);
  }

  const { keys } = await api.json("keys", { run: runs.map((r) => r.id), kind: "text" });
  if (!keys.length) wrap.append(message("No text logged in these runs (run.log_text)."));
  for (const k of keys) await card(k.key);
  api.on("keys", (evt) => { if (evt.kind === "text" && runs.some((r) => r.id === evt.run)) card(evt.key); });
  return {};
}
