// The Images panel: per key, a step slider; the selected runs side by side; click to enlarge.
//   export function render(el, api) -> { destroy() }

import { h, message } from "../../static/dom.js";

export async function render(el, api) {
  const runs = api.runs();
  if (!runs.length) { el.replaceChildren(message("Select runs on the left to see their images.")); return {}; }
  const cards = new Map();
  const wrap = h("div", { class: "images" });
  el.replaceChildren(wrap);

  async function card(key) {
    const index = await api.json("images/index", { key, run: runs.map((r) => r.id) });
    const steps = [...new Set(Object.values(index.runs).flat().map((e) => e.step))].sort((a, b) => a - b);
    let c = cards.get(key);
    if (!c) {
      c = { key, pos: null, slider: h("input", { type: "range", min: 0, step: 1, "aria-label": `step of ${key}` }),
        label: h("span", { class: "step-label" }), row: h("div", { class: "row" }) };
      c.slider.addEventListener("input", () => { c.pos = Number(c.slider.value); show(c); });
      c.el = h("div", { class: "card", dataset: { key } }, h("h3", {}, h("span", { class: "title" }, key)),
        h("div", { class: "slider" }, "step", c.slider, c.label), c.row);
      cards.set(key, c);
      wrap.append(c.el);
    }
    const atEnd = c.pos === null || c.pos >= c.steps?.length - 1;
    Object.assign(c, { index, steps });
    c.slider.max = Math.max(0, steps.length - 1);
    if (atEnd) c.pos = steps.length - 1; // follow the newest step unless the user moved away
    c.slider.value = c.pos;
    show(c);
  }

  function show(c) {
    const step = c.steps[c.pos];
    c.label.textContent = step === undefined ? "–" : `${step} (${c.pos + 1}/${c.steps.length})`;
    c.row.replaceChildren(...runs.flatMap((run) => {
      const entries = (c.index.runs[run.id] || []).filter((e) => e.step <= step);
      const here = entries.filter((e) => e.step === (entries.length ? entries[entries.length - 1].step : null));
      if (!here.length) return h("figure", {}, h("div", { class: "note" }, "no image"), h("figcaption", {}, run.name));
      return here.map((e) => {
        const src = api.url("images/blob", { key: c.key, run: run.id, step: e.step, index: e.index });
        const title = `${run.name} · step ${e.step}${e.caption ? " · " + e.caption : ""}`;
        return h("figure", { dataset: { run: run.id, step: e.step } },
          h("img", { src, alt: title, title, width: e.width, height: e.height, onclick: () => enlarge(src, title) }),
          h("figcaption", { style: { borderTop: `3px solid ${run.color}` } }, run.name),
          e.caption ? h("figcaption", { class: "note", title: e.caption }, e.caption) : null); // cut: whole on hover
      });
    }));
  }

  const { keys } = await api.json("keys", { run: runs.map((r) => r.id), kind: "image" });
  if (!keys.length) wrap.append(message("No images logged in these runs (run.log_image)."));
  for (const k of keys) await card(k.key);
  api.on("keys", (evt) => { if (evt.kind === "image" && runs.some((r) => r.id === evt.run)) card(evt.key); });
  return { destroy() { document.querySelector(".lightbox")?.remove(); } };
}

function enlarge(src, title) {
  const box = h("div", { class: "lightbox", role: "dialog", onclick: () => box.remove() },
    h("img", { src, alt: title }), h("div", {}, title));
  document.body.append(box);
}
