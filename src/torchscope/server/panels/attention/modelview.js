// The model view: every layer (rows) x head (columns) of one sample as a thumbnail (block maxima,
// each scaled to its own maximum, as torchscope.attention.views.model_view); click one to open it.
//   const el = modelView(planes, { pick: (layer, head) => ..., selected: [layer, head] })

import { h } from "../../static/dom.js";
import { headColor, paint } from "./data.js";

export function modelView(planes, { pick, selected }) {
  const { layers, heads, rows, cols } = planes;
  const cells = [h("span", { class: "att-corner" })];
  for (let hd = 0; hd < heads; hd++) {
    cells.push(h("span", { class: "att-col", style: { color: headColor(hd, heads) } }, `h${hd}`));
  }
  for (let l = 0; l < layers; l++) {
    cells.push(h("span", { class: "att-row" }, `L${l}`));
    for (let hd = 0; hd < heads; hd++) {
      const p = l * heads + hd, canvas = h("canvas", { style: { aspectRatio: `${cols} / ${rows}` } });
      paint(canvas, planes.plane(p), rows, cols);
      const on = selected && selected[0] === l && selected[1] === hd;
      cells.push(h("button", { class: `att-thumb${on ? " on" : ""}`, type: "button", dataset: { layer: l, head: hd },
        title: `layer ${l}, head ${hd}: click to open (max weight ${planes.max[p].toFixed(3)})`,
        "aria-label": `layer ${l} head ${hd}`, onclick: () => pick(l, hd) }, canvas));
    }
  }
  const grid = h("div", { class: "att-mv", style: { gridTemplateColumns: `auto repeat(${heads}, minmax(0, 64px))` } }, cells);
  grid.dataset.drawn = String(layers * heads);
  return grid;
}
