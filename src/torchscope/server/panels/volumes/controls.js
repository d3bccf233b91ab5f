// The volume viewer's controls: the toolbar (layers, fill or outline, opacity, window presets, the
// pointer tool, the 4th dimension, the plane shown on a phone), the intensity histogram with the
// window drawn on it (drag to move the window, wheel to widen it), the class legend with Dice and
// the readout of the voxel under the cursor.
//   const bar = toolbar(view); bar.update();   (view: VolumeView, view.js)

import { fmtNum, h } from "../../static/dom.js";
import { PLANES, toWorld } from "./format.js";

const fmt = (v) => (Math.abs(v) >= 1000 ? v.toFixed(0) : fmtNum(Number(v.toPrecision(4))));

function seg(label, options, current, pick) {
  const buttons = options.map(([value, text]) => h("button", { type: "button", dataset: { value: String(value) },
    "aria-pressed": String(value === current), onclick: () => pick(value) }, text));
  return { el: h("span", { class: "vol-seg", role: "group", "aria-label": label }, buttons),
    set(v) { for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.value === String(v))); } };
}

function toggle(label, on, flip, cls) {
  const b = h("button", { type: "button", class: `vol-toggle ${cls || ""}`, "aria-pressed": String(on), onclick: () => flip() }, label);
  return { el: b, set(v) { b.setAttribute("aria-pressed", String(!!v)); } };
}

function slider(label, value, set, cls) {
  const out = h("output", {}, value.toFixed(2));
  const input = h("input", { type: "range", min: 0, max: 1, step: 0.05, value, class: cls, "aria-label": label,
    oninput: (ev) => { out.textContent = Number(ev.target.value).toFixed(2); set(Number(ev.target.value)); } });
  return h("label", { class: "vol-range" }, label, input, out);
}

// the window presets: the record's default, the index's presets (CT windows, MR percentiles), the full range
export function presetsOf(meta) {
  const s = meta.stats || {}, w = meta.window;
  const out = [];
  if (w && Number.isFinite(w.center) && w.width > 0) out.push({ name: "default", center: w.center, width: w.width });
  for (const p of meta.presets || []) out.push(p);
  const lo = Number.isFinite(s.min) ? s.min : 0, hi = Number.isFinite(s.max) ? s.max : 1;
  out.push({ name: "full range", center: (lo + hi) / 2, width: hi - lo || 1 });
  return out;
}

export function toolbar(view) {
  const m = view.meta, st = view.st, parts = [], ups = [];
  const layer = (key, text, has) => {
    if (!has) return;
    const t = toggle(text, st[key], () => view.set({ [key]: !st[key] }), `vol-layer-${key}`);
    ups.push(() => t.set(st[key]));
    parts.push(t.el);
  };
  layer("labels", "labels", m.has_labels);
  layer("pred", "prediction", m.has_pred);
  layer("heat", m.heat_method ? `heat · ${m.heat_method}` : "heat", m.has_heat);
  if (m.has_labels || m.has_pred) {
    const style = seg("label style", [["fill", "fill"], ["outline", "outline"]], st.style, (v) => view.set({ style: v }));
    ups.push(() => style.set(st.style));
    parts.push(style.el);
    if (m.has_labels && m.has_pred) {
      const side = toggle("side by side", st.side, () => view.set({ side: !st.side }), "vol-side-toggle");
      ups.push(() => side.set(st.side));
      parts.push(side.el);
    }
    parts.push(slider("opacity", st.alpha, (v) => view.set({ alpha: v }), "vol-alpha"));
  }
  if (m.has_heat) parts.push(slider("heat", st.heatAlpha, (v) => view.set({ heatAlpha: v }), "vol-heat-alpha"));
  const presets = presetsOf(m);
  const pick = h("select", { class: "vol-preset", "aria-label": "window preset", onchange: (ev) => {
    const p = presets[Number(ev.target.value)];
    if (p) view.setWindow(p.center, p.width, false, p.name);
  } }, presets.map((p, i) => h("option", { value: i }, `${p.name} · ${fmt(p.center)}/${fmt(p.width)}`)),
  h("option", { value: "custom", disabled: true }, "custom"));
  const cw = h("span", { class: "vol-cw" });
  ups.push(() => {
    const i = presets.findIndex((p) => p.name === st.preset);
    pick.value = i >= 0 ? String(i) : "custom";
    cw.textContent = `C ${fmt(st.center)} · W ${fmt(st.width)}`;
  });
  parts.push(h("label", { class: "vol-window" }, "window", pick, cw));
  const tool = seg("pointer tool", [["navigate", "navigate"], ["window", "window/level"]], st.tool, (v) => view.set({ tool: v }));
  ups.push(() => tool.set(st.tool));
  parts.push(tool.el);
  parts.push(h("button", { type: "button", class: "vol-reset", title: "reset zoom and window", onclick: () => {
    for (const p of view.panes) { p.zoom = 1; p.pan = [0, 0]; view.paneZoomed(p); }
    const d = presets[0];
    view.setWindow(d.center, d.width, false, d.name);
  } }, "reset"));
  const T = m.shape[0];
  if (T > 1) {
    const kind = m.t_kind || "t", name = (t) => (m.t_names && m.t_names[t] !== undefined ? ` · ${m.t_names[t]}` : "");
    const out = h("output", { class: "vol-t-out" });
    const range = h("input", { type: "range", class: "vol-t", min: 0, max: T - 1, step: 1, value: st.t, "aria-label": kind,
      oninput: (ev) => view.setT(Number(ev.target.value)) });
    const play = h("button", { type: "button", class: "vol-play", "aria-pressed": "false", onclick: () => {
      if (view.playing) { clearInterval(view.playing); view.playing = null; } else view.playing = setInterval(() => view.stepT(1), 400);
      play.setAttribute("aria-pressed", String(!!view.playing));
      play.textContent = view.playing ? "pause" : "play";
    } }, "play");
    ups.push(() => { range.value = String(st.t); out.textContent = `${st.t + 1} / ${T}${name(st.t)}`; });
    parts.push(h("label", { class: "vol-tbox" }, kind, range, out, play));
  }
  const planes = seg("plane", PLANES.map((p) => [p, p]), st.plane, (v) => view.set({ plane: v }));
  ups.push(() => planes.set(st.plane));
  const el = h("div", { class: "vol-bar" }, ...parts);
  const bar = { el, planes: h("div", { class: "vol-planes" }, planes.el), update() { for (const u of ups) u(); } };
  bar.update();
  return bar;
}

// The intensity histogram (log counts) over the volume's range, the window as a shaded band and the
// grey ramp it maps to. Drag to move the window's centre; the wheel widens or narrows it.
export function histogram(view) {
  const hist = view.meta.histogram;
  if (!hist?.edges?.length || !hist?.counts?.length) return { el: "", draw() {} };
  const canvas = h("canvas", { class: "vol-hist", "aria-label": "intensity histogram" });
  const lo = hist.edges[0], hi = hist.edges[hist.edges.length - 1], span = hi - lo || 1;
  const ends = h("div", { class: "vol-hist-ends" }, h("span", {}, fmt(lo)), h("span", {}, fmt(hi)));
  const el = h("div", { class: "vol-card vol-hist-card" }, h("div", { class: "vol-card-title" }, "intensity"), canvas, ends);
  const valueAt = (ev) => { const r = canvas.getBoundingClientRect(); return lo + ((ev.clientX - r.left) / r.width) * span; };
  let dragging = false;
  canvas.addEventListener("pointerdown", (ev) => { dragging = true; canvas.setPointerCapture?.(ev.pointerId);
    view.setWindow(valueAt(ev), view.st.width, true); });
  canvas.addEventListener("pointermove", (ev) => { if (dragging) view.setWindow(valueAt(ev), view.st.width, true); });
  canvas.addEventListener("pointerup", () => { dragging = false; view.setWindow(view.st.center, view.st.width); });
  canvas.addEventListener("wheel", (ev) => { ev.preventDefault();
    view.setWindow(view.st.center, view.st.width * Math.exp(ev.deltaY / 500)); }, { passive: false });
  function draw() {
    const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, ht = canvas.clientHeight;
    if (!w || !ht) return;
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(ht * dpr);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, ht);
    const x = (v) => ((v - lo) / span) * w, top = Math.max(1, ...hist.counts.map((c) => Math.log1p(c)));
    const c0 = view.st.center - view.st.width / 2, c1 = view.st.center + view.st.width / 2;
    ctx.fillStyle = "rgba(238,76,44,.12)";
    ctx.fillRect(x(c0), 0, x(c1) - x(c0), ht);
    ctx.fillStyle = "#8a8a94";
    hist.counts.forEach((c, i) => {
      const x0 = x(hist.edges[i]), x1 = x(hist.edges[i + 1]), y = ht - (Math.log1p(c) / top) * (ht - 4);
      ctx.fillRect(x0, y, Math.max(1, x1 - x0 - 0.3), ht - y);
    });
    ctx.strokeStyle = "#ee4c2c";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(0, ht - 1); ctx.lineTo(x(c0), ht - 1); ctx.lineTo(x(c1), 1); ctx.lineTo(w, 1);
    ctx.stroke();
  }
  const ro = new ResizeObserver(() => draw());
  ro.observe(canvas);
  return { el, draw, destroy() { ro.disconnect(); } };
}

// The classes: a swatch, a name, Dice of the prediction against the ground truth, shown or hidden.
export function legend(view) {
  const m = view.meta, classes = view.classes();
  if (!m.has_labels && !m.has_pred) return { el: "", update() {} };
  const dice = m.dice || {};
  const vals = classes.map((c) => dice[c.id] ?? dice[String(c.id)]).filter((d) => d !== undefined && d !== null);
  const mean = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null;
  const rows = classes.map((c) => {
    const d = dice[c.id] ?? dice[String(c.id)];
    const box = h("input", { type: "checkbox", checked: !view.st.hidden.has(c.id), "aria-label": `show ${c.name}`,
      onchange: (ev) => {
        const hidden = new Set(view.st.hidden);
        if (ev.target.checked) hidden.delete(c.id); else hidden.add(c.id);
        view.set({ hidden });
      } });
    return h("label", { class: "vol-class", dataset: { cls: String(c.id) } }, box,
      h("span", { class: "vol-swatch", style: { background: c.color } }), h("span", { class: "vol-cname" }, c.name),
      d !== undefined && d !== null ? h("span", { class: "vol-dice", title: "Dice of the prediction" }, `Dice ${Number(d).toFixed(3)}`) : null);
  });
  const how = h("div", { class: "vol-note vol-how" });
  const el = h("div", { class: "vol-card vol-legend" }, h("div", { class: "vol-card-title" }, "classes",
    mean !== null ? h("span", { class: "vol-mean-dice" }, ` · mean Dice ${mean.toFixed(3)}`) : null),
  rows.length ? rows : h("div", { class: "vol-note" }, "label ids in fixed colours (log class_names= to name them)"), how);
  const update = () => {
    const st = view.st, both = m.has_labels && m.has_pred;
    how.textContent = both && st.side ? "left: the ground truth; right: the prediction"
      : both && st.labels && st.pred ? "the ground truth as a light outline over the prediction" : "";
  };
  update();
  return { el, update };
}

// The voxel under the cursor (else the crosshair's): indices, millimetres, value, class, heat.
export function readout(view) {
  const m = view.meta, names = new Map(view.classes().map((c) => [c.id, c.name]));
  const el = h("div", { class: "vol-card vol-readout", "aria-live": "polite" });
  const head = h("div", { class: "vol-card-title" });
  const info = h("div", { class: "vol-note vol-meta" }, `${m.shape.slice(1).join("×")} voxels · `
    + `${m.spacing.map((s) => fmt(s)).join("×")} mm${m.source_axes ? ` · stored ${m.source_axes}` : ""}`
    + `${m.modality ? ` · ${m.modality}` : ""}${m.dtype ? ` · ${m.dtype}` : ""}`);
  const body = h("div", { class: "vol-values" });
  el.append(head, body, info);
  const cls = (id) => (id ? names.get(id) || `class ${id}` : "background");
  function update(probe) {
    let p = probe;
    head.textContent = p ? "under the cursor" : "at the crosshair";
    if (!p) {
      const pos = view.st.pos;
      p = { voxel: pos };
      for (const pane of view.panes) { const s = pane.sample(pos); if ("value" in s) { p = s; break; } }
    }
    const mm = toWorld(m.affine || [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => (r === c ? m.spacing[r] : 0))), p.voxel);
    const rows = [["voxel", p.voxel.join(", ")], ["mm", mm.map((v) => v.toFixed(1)).join(", ")]];
    if ("value" in p) rows.push(["value", fmt(p.value)]);
    if (p.labels !== undefined) rows.push(["label", cls(p.labels)]);
    if (p.pred !== undefined) rows.push(["prediction", cls(p.pred)]);
    if (p.heat !== undefined) rows.push(["heat", fmt(m.heat_signed ? (p.heat - 128) / 127 : p.heat / 255)]);
    body.replaceChildren(...rows.map(([k, v]) => h("div", { dataset: { field: k } }, h("span", {}, k), h("b", {}, v))));
    el.dataset.voxel = p.voxel.join(",");
  }
  return { el, update };
}
