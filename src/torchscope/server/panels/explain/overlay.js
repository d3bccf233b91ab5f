// Overlays drawn in the browser from a sample's display image and its normalized map (both PNG):
// heat map, blended (image * (1 - a) + colormap(heat) * a) or masked (image * |heat|), as the
// library's explain/_overlay.py draws them; inferno for unsigned maps, red-blue for signed ones.
//   const px = await loadPixels(url); drawOverlay(canvas, image, heat, { style, alpha, signed })

import { lut } from "./colormaps.js";

export function loadPixels(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const c = document.createElement("canvas");
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      const ctx = c.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(img, 0, 0);
      resolve(ctx.getImageData(0, 0, c.width, c.height));
    };
    img.onerror = () => reject(new Error(`cannot load ${url}`));
    img.src = url;
  });
}

// image, heat: ImageData of the same size (a grey PNG arrives as RGBA with R = G = B).
export function drawOverlay(canvas, image, heat, { style = "blended", alpha = 0.5, signed = false } = {}) {
  const w = image.width, hh = image.height;
  canvas.width = w;
  canvas.height = hh;
  const ctx = canvas.getContext("2d");
  const out = ctx.createImageData(w, hh);
  const cmap = lut(signed ? "RdBu_r" : "inferno");
  const src = image.data, hv = heat.data, o = out.data;
  for (let p = 0; p < w * hh; p++) {
    const v = hv[4 * p];
    const x = signed ? (v - 128) / 127 : v / 255; // [-1, 1] or [0, 1]
    const t = signed ? (Math.max(-1, Math.min(1, x)) + 1) / 2 : x;
    const k = 3 * Math.min(255, Math.floor(t * 256));
    const mag = Math.min(1, Math.abs(x));
    for (let ch = 0; ch < 3; ch++) {
      const base = src[4 * p + ch], col = cmap[k + ch];
      let val;
      if (style === "heatmap") val = col;
      else if (style === "masked") val = base * mag;
      else if (style === "image") val = base;
      else { const a = signed ? alpha * mag : alpha; val = base * (1 - a) + col * a; }
      o[4 * p + ch] = Math.round(val);
    }
    o[4 * p + 3] = 255;
  }
  ctx.putImageData(out, 0, 0);
}
