// The Graph panel's Summary tab: the model.summary record as a table (layers as a tree down to a
// chosen depth, output shapes, parameters, trainable, FLOPs) and its totals.
//   summaryTable(record) -> HTMLElement

import { h } from "../../static/dom.js";

const exact = (v) => Number(v || 0).toLocaleString("en-US");
function bytes(b) {
  const u = ["B", "KB", "MB", "GB"];
  let i = 0;
  for (b = Number(b || 0); b >= 1024 && i < 3; i++) b /= 1024;
  return `${i ? b.toFixed(2) : b} ${u[i]}`;
}
const train = (r) => (!r.params ? "—" : r.trainable === r.params ? "yes" : r.trainable ? "part" : "no");

export function summaryTable(s) {
  const maxDepth = Math.max(1, ...s.rows.map((r) => r.depth));
  const pick = h("select", { "aria-label": "depth" },
    Array.from({ length: maxDepth + 1 }, (_, d) => h("option", { value: d, selected: d === Math.min(s.depth || 3, maxDepth) }, `depth ${d}`)));
  const body = h("tbody");
  const fill = () => {
    const depth = Number(pick.value);
    body.replaceChildren(...s.rows.filter((r) => r.depth <= depth).map((r) => h("tr", { dataset: { name: r.name } },
      h("td", { class: "text", style: { paddingLeft: `${8 + 14 * r.depth}px` } },
        h("span", {}, r.short || r.name || s.model), " ", h("span", { class: "gp-type" }, r.name ? `(${r.type})` : ""), r.tied ? " (tied)" : ""),
      h("td", { class: "text" }, (r.output_shapes || []).map((x) => x.join("×")).join(", ") || "—"),
      h("td", {}, r.params ? exact(r.params) : "—"),
      h("td", {}, train(r)),
      h("td", {}, r.flops ? exact(r.flops) : "—"))));
  };
  pick.addEventListener("change", fill);
  fill();
  const totals = [
    ["Total params", exact(s.total_params)], ["Trainable", exact(s.trainable_params)], ["Frozen", exact(s.frozen_params)],
    ["FLOPs", exact(s.total_flops)], ["MACs", exact(Math.round(Number(s.total_flops || 0) / 2))],
    ["Params", bytes(s.param_bytes)], ["Activations", bytes(s.activation_bytes)], ["Input", bytes(s.input_bytes)],
  ];
  return h("div", { class: "gp-summary-inner" },
    h("div", { class: "gp-sumbar" }, h("strong", {}, s.model), pick),
    h("div", { class: "gp-table-wrap" }, h("table", { class: "config gp-table" },
      h("thead", {}, h("tr", {}, ["Layer", "Output shape", "Params", "Train", "FLOPs"].map((t, i) => h("th", { class: i < 2 ? "text" : "" }, t)))),
      body)),
    h("div", { class: "gp-totals" }, totals.map(([k, v]) => h("span", { dataset: { total: k } }, h("b", {}, k + ": "), v))),
    (s.shared || []).length ? h("div", { class: "note" }, "Shared: " + s.shared.map((x) => (Array.isArray(x) ? x.join(" = ") : JSON.stringify(x))).join("; ")) : null,
    (s.unused || []).length ? h("div", { class: "note" }, "Not used on this input: " + s.unused.join(", ")) : null,
    s.error ? h("div", { class: "error" }, s.error) : null);
}
