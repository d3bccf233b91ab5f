// The GAN lab in a report: the lab is a live PyTorch session on the server (torchscope gan-lab),
// which a file cannot run, so this section shows the lab frames the runs logged (gan.lab2d.frame
// records), drawn by the lab's own renderer when the report was made (report/plans/gan.py).
//   export function render(el, api) -> {}

import { fmtNum, h } from "../static/dom.js";

export async function render(el, api) {
  const runs = api.runs(), byId = new Map(runs.map((r) => [r.id, r]));
  const { frames } = await api.json("report/ganlab", { run: runs.map((r) => r.id) });
  el.replaceChildren(
    h("p", { class: "note" }, "The GAN lab trains a real GAN live on the server (torchscope gan-lab); a report cannot run it. "
      + "These are the lab frames the runs logged, with their curves."),
    h("div", { class: "rp-lab" }, frames.map((f) => {
      const run = byId.get(f.run);
      const cfg = Object.entries(f.config || {}).filter(([, v]) => v === null || typeof v !== "object");
      return h("figure", { class: "card", dataset: { run: f.run, key: f.key, step: f.step } },
        h("img", { src: api.url("report/ganlab.png", { run: f.run, key: f.key, step: f.step }), alt: `GAN lab at step ${f.step}` }),
        h("figcaption", {}, h("span", { class: "swatch", style: { background: run?.color, display: "inline-block" } }),
          ` ${run?.name ?? f.run} · ${f.key} · step ${fmtNum(f.step)}`),
        cfg.length ? h("div", { class: "note" }, cfg.map(([k, v]) => `${k} ${typeof v === "number" ? fmtNum(v) : v}`).join(" · ")) : null);
    })));
  return {};
}
