// The Graph panel's side card: a node's kind, shapes, parameters, FLOPs, the parameters it uses,
// expand/collapse, and (when the run was watched) the latest weight histogram of each parameter.
//   details(node, { onToggle, weights }) -> HTMLElement

import { fmtNum, h } from "../../static/dom.js";

const exact = (v) => Number(v || 0).toLocaleString("en-US");
const shapes = (list) => (list || []).map((t) => (t.shape ? t.shape.join("×") : "?") + (t.dtype && t.dtype !== "float32" ? ` ${t.dtype}` : "")).join(", ") || "—";

function histogram(name, e) {
  const c = h("canvas", { class: "gp-hist", width: 520, height: 160 });
  const counts = e.counts.map(Number), lo = Number(e.lo), hi = Number(e.hi), max = Math.max(...counts, 1);
  const ctx = c.getContext("2d"), bw = 260 / counts.length;
  ctx.scale(2, 2);
  ctx.fillStyle = "#7c3aed";
  counts.forEach((n, i) => { const bh = 60 * n / max; ctx.fillRect(i * bw + 0.25, 62 - bh, Math.max(0.8, bw - 0.5), bh); });
  ctx.fillStyle = "#cbd5e1"; ctx.fillRect(0, 62, 260, 1);
  ctx.fillStyle = "#64748b"; ctx.font = "10px system-ui, sans-serif"; ctx.textBaseline = "bottom";
  ctx.fillText(fmtNum(Number(lo.toPrecision(3))), 1, 80);
  ctx.textAlign = "right"; ctx.fillText(fmtNum(Number(hi.toPrecision(3))), 259, 80);
  return h("div", { class: "gp-weight", dataset: { param: name } },
    h("div", { class: "note" }, `${name} · ${e.key} · step ${e.step}`), c);
}

export function details(n, { onToggle, onClose, weights, expanded }) {
  const rows = [
    ["kind", n.kind + (n.virtual ? " (container, not called)" : "")],
    ["name", n.name || "(root)"],
    ["type", n.type],
    ["inputs", shapes(n.inputs)],
    ["outputs", shapes(n.outputs)],
    ["parameters", exact(n.params)],
    ["FLOPs", exact(n.flops)],
  ];
  if (n.kind === "repeat") rows.push(["repeats", `${n.repeat} identical blocks`]);
  if (n.param_names && n.param_names.length) rows.push([n.kind === "op" ? "reads" : "owns", n.param_names.join(", ")]);
  const wbox = h("div", { class: "gp-weights" });
  const card = h("div", { class: "gp-details", dataset: { node: n.id } },
    h("div", { class: "gp-details-head" },
      h("strong", {}, n.kind === "repeat" ? `${n.type} ×${n.repeat}` : n.type),
      h("button", { class: "small", "aria-label": "close", onclick: onClose }, "×")),
    h("table", {}, rows.map(([k, v]) => h("tr", { dataset: { field: k } }, h("th", {}, k), h("td", {}, v)))),
    n.has_children ? h("button", { class: "small gp-toggle", onclick: () => onToggle(n.id) }, expanded ? "Collapse" : "Expand") : null,
    h("div", { class: "note" }, "the path from the input is highlighted"),
    wbox);
  if (weights && n.param_names && n.param_names.length) {
    weights(n.param_names).then((w) => {
      const names = Object.keys(w);
      if (names.length) wbox.replaceChildren(h("div", { class: "note" }, "weights (run.watch)"), ...names.map((k) => histogram(k, w[k])));
    }).catch(() => {});
  }
  return card;
}
