// The Data panel's image renderers (canvas): samples per class, mean and std image per class,
// and a small preview of a projection (its full view is the Projector panel).
// Pixels come from PNG sheets served by /api/data/pixels; the std image is shown in a magma map.

import { h } from "../../static/dom.js";
import { classColors } from "./colors.js";
import { hiDpiCanvas, loadImage, magma } from "./svg.js";

const cellFor = (hh, ww) => Math.max(24, Math.min(64, Math.round(44 / Math.max(hh, ww)) * Math.max(hh, ww) || 44));

export function samples(d, url, width) {
  const W = d.cols * (d.width + 1) - 1, m = Math.max(d.height, d.width);
  const scale = Math.max(8 / m, Math.min(cellFor(d.height, d.width) / m, (width - 84) / W));
  const rows = d.class_names.map((name, k) => {
    const c = h("canvas", { width: W, height: d.height, class: "pixels",
      style: { width: `${W * scale}px`, height: `${d.height * scale}px` }, dataset: { class: name } });
    return { k, c, el: h("div", { class: "srow" }, h("span", { class: "sname", title: name }, name), c) };
  });
  loadImage(url("images")).then((img) => {
    for (const { k, c } of rows) {
      const g = c.getContext("2d");
      g.imageSmoothingEnabled = false;
      for (let j = 0; j < d.cols; j++) {
        if (d.indices[k][j] < 0) continue; // this class ran out of samples
        g.drawImage(img, j * d.width, k * d.height, d.width, d.height, j * (d.width + 1), 0, d.width, d.height);
      }
    }
  });
  return h("div", { class: "samples" }, rows.map((r) => r.el));
}

export function meanImages(d, url, width) {
  const K = d.class_names.length, colors = classColors(K);
  const cell = Math.max(16, Math.min(cellFor(d.height, d.width), Math.floor((width - 40) / K) - 6));
  const strip = (field) => {
    const cells = d.class_names.map(() => h("canvas", { width: d.width, height: d.height, class: "pixels", style: { width: `${cell}px`, height: `${cell}px` } }));
    loadImage(url(field)).then((img) => cells.forEach((c, k) => {
      const g = c.getContext("2d", { willReadFrequently: true });
      g.drawImage(img, k * d.width, 0, d.width, d.height, 0, 0, d.width, d.height);
      if (field === "std" && d.channels === 1) { // grey std -> magma
        const im = g.getImageData(0, 0, d.width, d.height);
        for (let p = 0; p < im.data.length; p += 4) { const [r, gg, b] = magma(im.data[p] / 255); im.data[p] = r; im.data[p + 1] = gg; im.data[p + 2] = b; }
        g.putImageData(im, 0, 0);
      }
    }));
    return cells;
  };
  const mean = strip("mean"), std = strip("std");
  const cols = d.class_names.map((name, k) => h("div", { class: "mcol", dataset: { class: name } }, mean[k], std[k],
    h("div", { class: "mname", style: { borderTop: `3px solid ${colors[k]}` }, title: name }, name),
    d.counts[k] !== undefined ? h("div", { class: "muted small" }, d.counts[k].toLocaleString()) : null));
  return h("div", {}, h("div", { class: "means" }, h("div", { class: "mcol labels" }, h("div", { style: { height: `${cell}px` } }, "mean"),
    h("div", { style: { height: `${cell}px` } }, "std")), cols),
  h("div", { class: "muted small" }, `std shown from 0 to ${d.std_max.toFixed(3)} (dark to bright)`));
}

export function projectionPreview(d, api, address) {
  const box = h("div", { class: "preview" });
  const [canvas, g] = hiDpiCanvas(300, 220);
  box.append(canvas, h("div", { class: "muted small" }, `${d.method.toUpperCase()} · ${d.n.toLocaleString()} points · ${d.dims}-D · `,
    h("a", { href: "#projector" }, "open in the Projector →")));
  fetch(api.url("projector/points", address), { credentials: "same-origin" }).then((r) => r.arrayBuffer()).then((buf) => {
    const len = new DataView(buf).getUint32(0, true);
    const head = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, len)));
    const col = (name) => head.columns.find((c) => c.name === name);
    const cc = col("coords"), lc = col("labels");
    // each column arrives in the narrowest type that holds it (the frame's header names it)
    const TYPED = { float32: Float32Array, int32: Int32Array, uint16: Uint16Array, uint8: Uint8Array };
    const xy = new Float32Array(buf, cc.offset, cc.length), lab = new TYPED[lc.dtype](buf, lc.offset, lc.length);
    const dims = head.dims, n = head.n, colors = classColors(head.class_names.length);
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < n; i++) { const x = xy[i * dims], y = xy[i * dims + 1]; x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    const s = Math.min(284 / (x1 - x0 || 1), 204 / (y1 - y0 || 1));
    g.globalAlpha = 0.7;
    for (let i = 0; i < n; i++) {
      g.fillStyle = colors[lab[i]] || "#888";
      g.fillRect(150 + (xy[i * dims] - (x0 + x1) / 2) * s - 1, 110 - (xy[i * dims + 1] - (y0 + y1) / 2) * s - 1, 2.2, 2.2);
    }
  }).catch(() => box.append(h("div", { class: "error" }, "could not read the points")));
  return box;
}
