// The Detections panel: explain.detections records (run.log_image(key, img, boxes=..., labels=...,
// scores=..., masks=...)) drawn in the browser on their image: class toggles and a score threshold
// slider choose which boxes and masks are drawn.
//   export function render(el, api) -> { destroy() }

import { h, message, nums } from "../../static/dom.js";
import { classColor } from "../evaluation/charts.js";

function loadCss() {
  const href = new URL("./detections.css", import.meta.url).href;
  if (![...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === href)) {
    document.head.append(h("link", { rel: "stylesheet", href }));
  }
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`cannot load ${url}`));
    img.src = url;
  });
}

export async function render(el, api) {
  loadCss();
  const runs = api.runs();
  if (!runs.length) { el.replaceChildren(message("Select runs on the left to see their detections.")); return {}; }
  const index = await api.json("detections/index", { run: runs.map((r) => r.id) });
  const wrap = h("div", { class: "det-grid" });
  el.replaceChildren(wrap);
  for (const run of runs) {
    const entries = index.runs[run.id] || [];
    const keys = [...new Set(entries.map((e) => e.key))];
    for (const key of keys) wrap.append(await card(api, run, entries.filter((e) => e.key === key)));
  }
  if (!wrap.children.length) {
    wrap.append(message("No detection results in the selected runs. Log them with run.log_image(key, image, boxes=..., " +
      "labels=..., scores=..., masks=..., class_names=...) (see docs/explain.md)."));
  }
  return {};
}

async function card(api, run, entries) {
  const el = h("section", { class: "card det-card", dataset: { key: entries[0].key, run: run.id } });
  const state = { entry: entries.at(-1) };
  const stepSel = entries.length > 1 ? h("select", { class: "src", "aria-label": "step", onchange: (ev) => {
    state.entry = entries[ev.target.value];
    load();
  } }, entries.map((e, n) => h("option", { value: n, selected: n === entries.length - 1 }, `step ${e.step}`))) : h("span", { class: "src" }, `step ${state.entry.step}`);
  const head = h("h3", {}, h("span", { class: "swatch", style: { background: run.color } }),
    h("span", { class: "title" }, `${entries[0].key} · ${run.name}`), stepSel);
  const body = h("div", {});
  el.append(head, body);

  async function load() {
    const e = state.entry, q = { run: run.id, key: e.key, step: e.step };
    const rec = await api.json("detections/record", q);
    const img = await loadImage(api.url("detections/image.png", q));
    const masks = rec.masks ? await loadImage(api.url("detections/masks.png", q)) : null;
    const scores = nums(rec.scores), k = rec.class_names.length;
    const present = [...new Set(rec.labels)].sort((a, b) => a - b);
    const shown = new Set(present);
    let thr = rec.score_threshold;
    const canvas = h("canvas", { class: "det-canvas", "aria-label": `detections on ${e.key}` });
    const count = h("span", { class: "det-count" });
    const thrOut = h("output", {}, thr.toFixed(2));
    const slider = h("input", { type: "range", min: 0, max: 1, step: 0.01, value: thr, class: "threshold",
      "aria-label": "score threshold", oninput: (ev) => { thr = Number(ev.target.value); thrOut.textContent = thr.toFixed(2); draw(); } });
    const chips = present.map((c) => h("button", { class: "det-class on", dataset: { cls: rec.class_names[c] }, "aria-pressed": "true",
      style: { borderColor: classColor(c, k) }, onclick: (ev) => {
        shown.has(c) ? shown.delete(c) : shown.add(c);
        ev.currentTarget.classList.toggle("on", shown.has(c));
        ev.currentTarget.setAttribute("aria-pressed", String(shown.has(c)));
        draw();
      } }, h("span", { class: "swatch", style: { background: classColor(c, k) } }), rec.class_names[c],
    h("small", {}, ` ${rec.labels.filter((l) => l === c).length}`)));
    const visible = () => rec.labels.map((l, i) => i).filter((i) => shown.has(rec.labels[i]) &&
      (Number.isNaN(scores[i]) || scores[i] >= thr));

    function draw() {
      const keep = visible();
      const W = rec.width, H = rec.height;
      const scale = Math.max(1, Math.floor(560 / Math.max(W, H))); // CSS fits it to narrow screens
      canvas.width = W * scale;
      canvas.height = H * scale;
      const ctx = canvas.getContext("2d");
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(img, 0, 0, W * scale, H * scale);
      if (masks) {
        const off = document.createElement("canvas");
        off.width = W;
        off.height = H;
        const octx = off.getContext("2d");
        const layer = octx.createImageData(W, H);
        const src = document.createElement("canvas");
        src.width = W;
        src.height = masks.naturalHeight;
        const sctx = src.getContext("2d", { willReadFrequently: true });
        sctx.drawImage(masks, 0, 0);
        for (const i of keep) {
          const m = sctx.getImageData(0, i * H, W, H).data;
          const [r, g, b] = rgbOf(classColor(rec.labels[i], k));
          for (let p = 0; p < W * H; p++) {
            if (m[4 * p] > 127) { layer.data[4 * p] = r; layer.data[4 * p + 1] = g; layer.data[4 * p + 2] = b; layer.data[4 * p + 3] = 115; }
          }
        }
        octx.putImageData(layer, 0, 0);
        ctx.drawImage(off, 0, 0, W * scale, H * scale);
      }
      const lw = Math.max(2, Math.round(canvas.width / 200));
      ctx.font = `600 ${Math.max(11, Math.round(canvas.width / 40))}px system-ui, sans-serif`;
      for (const i of keep) {
        const [x1, y1, x2, y2] = rec.boxes[i].map((v) => v * scale);
        const color = classColor(rec.labels[i], k);
        ctx.strokeStyle = color;
        ctx.lineWidth = lw;
        ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
        const text = rec.class_names[rec.labels[i]] + (Number.isNaN(scores[i]) ? "" : ` ${scores[i].toFixed(2)}`);
        const tw = ctx.measureText(text).width + 8, th = parseInt(ctx.font.split(" ")[1], 10) + 6;
        const ty = y1 - th < 0 ? y1 : y1 - th;
        ctx.fillStyle = color;
        ctx.fillRect(x1 - lw / 2, ty, tw, th);
        ctx.fillStyle = "#fff";
        ctx.fillText(text, x1 + 4 - lw / 2, ty + th - 5);
      }
      canvas.dataset.boxes = String(keep.length);
      count.textContent = `${keep.length} of ${rec.labels.length} detections`;
    }

    body.replaceChildren(h("div", { class: "det-controls" }, h("label", {}, "score ≥", slider, thrOut), count),
      h("div", { class: "det-classes" }, chips), canvas);
    draw();
  }
  await load();
  return el;
}

function rgbOf(color) {
  if (color.startsWith("#")) return [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
  const c = document.createElement("canvas").getContext("2d");
  c.fillStyle = color;
  return rgbOf(c.fillStyle);
}
