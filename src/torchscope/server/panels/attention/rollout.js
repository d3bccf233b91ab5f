// Attention rollout (Abnar & Zuidema 2020) of a vision transformer: how much the class token draws on
// each patch through every layer, stretched from its minimum to its maximum (as
// torchscope.attention.views.rollout_view), alone and over the input image, with an opacity slider.
//   el.append(rolloutView(api, { rollout, image: url | null, alpha }))

import { h } from "../../static/dom.js";
import { lut } from "./data.js";

const SIDE = 224; // CSS pixels of each picture

function gridCanvas(values, lo, hi) {
  const rows = values.length, cols = values[0].length, c = h("canvas", { width: cols, height: rows });
  const ctx = c.getContext("2d"), img = ctx.createImageData(cols, rows), map = lut("inferno"), span = hi - lo || 1;
  values.flat().forEach((v, k) => {
    const i = 3 * Math.max(0, Math.min(255, Math.round((255 * (v - lo)) / span)));
    img.data.set([map[i], map[i + 1], map[i + 2], 255], 4 * k);
  });
  ctx.putImageData(img, 0, 0);
  return c;
}

export function rolloutView({ rollout, image, alpha = 0.6, onAlpha }) {
  const grid = gridCanvas(rollout.values, rollout.min, rollout.max);
  const [gh, gw] = rollout.grid;
  const alone = h("canvas", { class: "att-roll", width: SIDE, height: Math.round((SIDE * gh) / gw), "aria-label": "rollout" });
  const ctx = alone.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(grid, 0, 0, alone.width, alone.height);
  const over = h("canvas", { class: "att-roll", width: SIDE, height: SIDE, "aria-label": "rollout on the image" });
  const out = h("output", {}, alpha.toFixed(2));
  let img = null;
  const draw = () => {
    const c = over.getContext("2d");
    c.clearRect(0, 0, over.width, over.height);
    c.globalAlpha = 1;
    c.imageSmoothingEnabled = false;
    if (img) c.drawImage(img, 0, 0, over.width, over.height);
    c.globalAlpha = img ? alpha : 1;
    c.imageSmoothingEnabled = true;
    c.drawImage(grid, 0, 0, over.width, over.height);
    over.dataset.drawn = img ? "image" : "grid";
  };
  const figs = [h("figure", {}, alone, h("figcaption", {}, `${gh} x ${gw} patches, min to max`))];
  if (image) {
    const el = new Image();
    el.onload = () => {
      img = el;
      over.height = Math.round((SIDE * el.naturalHeight) / el.naturalWidth);
      draw();
    };
    el.src = image;
    figs.push(h("figure", {}, over, h("figcaption", {}, "on the image ",
      h("input", { type: "range", min: 0, max: 1, step: 0.05, value: alpha, "aria-label": "rollout opacity",
        oninput: (ev) => { alpha = Number(ev.target.value); out.textContent = alpha.toFixed(2); onAlpha?.(alpha); draw(); } }), out)));
  }
  return h("div", { class: "att-rollout" }, figs);
}
