// The Projector panel: a projection's points (2-D pan/zoom or 3-D orbit), thumbnails on hover,
// colour by label / prediction / correctness, a legend that hides classes, box and lasso
// selection that lists the selected samples.
//   export function render(el, api) -> { destroy() }

import { fmtNum, h, message } from "../../static/dom.js";
import { classColors, CORRECT, WRONG } from "../data/colors.js";
import { Scatter } from "./scatter.js";
import { Thumbs } from "./thumbs.js";

const SHOW_SELECTED = 120;

function stylesheet() {
  if (document.getElementById("projector-css")) return;
  document.head.append(h("link", { id: "projector-css", rel: "stylesheet", href: "panels/projector/panel.css" }));
}

// the frame's column types (frame.py): float32 coordinates, integers in the narrowest type that holds them
const TYPED = { float32: Float32Array, int32: Int32Array, uint16: Uint16Array, uint8: Uint8Array };

const address = (s) => ({ run: s.run, key: s.key, id: s.id, part: s.part });

async function fetchPoints(api, src) {
  const r = await fetch(api.url("projector/points", address(src)), { credentials: "same-origin" });
  if (!r.ok) throw new Error(`${r.status} ${(await r.json().catch(() => ({}))).error || r.statusText}`);
  const buf = await r.arrayBuffer();
  const len = new DataView(buf).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, len)));
  const cols = {};
  for (const c of header.columns) cols[c.name] = new TYPED[c.dtype](buf, c.offset, c.length);
  return { header, cols };
}

export async function render(el, api) {
  stylesheet();
  const runs = api.runs();
  if (!runs.length) { el.replaceChildren(message("Select a run on the left to see its projections.")); return {}; }
  const { sources } = await api.json("projector/sources", { run: runs.map((r) => r.id) });
  const ours = (evt) => evt.kind === "record" && runs.some((r) => r.id === evt.run);
  if (!sources.length) {
    el.replaceChildren(h("div", { class: "projector-empty" }, message("No projections in these runs. Log one with " +
      "run.log_record(ts.data.project(ds)) or run.log_record(ts.data.profile(train, test)) (its PCA shows here).")));
    const later = { inner: null, destroy() { later.inner?.destroy?.(); } };
    const off = api.on("keys", async (evt) => { // the first projection logged while the panel is open
      if (!ours(evt) || later.inner) return;
      off();
      later.inner = await render(el, api);
    });
    return later;
  }
  const runName = (id) => runs.find((r) => r.id === id)?.name || id;
  const label = (s) => `${runName(s.run)} · ${s.title} · ${s.n.toLocaleString()} pts${s.step ? ` · step ${s.step}` : ""}`;
  const pick = h("select", { "aria-label": "projection" },
    sources.map((s, i) => h("option", { value: i }, label(s))));
  const colorBy = h("select", { "aria-label": "colour by" });
  const modes = ["pan", "box", "lasso"].map((m) => h("button", { class: "small mode", dataset: { mode: m }, type: "button" }, m));
  const size = h("input", { type: "range", min: 0.6, max: 5, step: 0.2, "aria-label": "point size" });
  const reset = h("button", { class: "small", type: "button", title: "reset the view (double-click)" }, "reset");
  const info = h("span", { class: "proj-info" });
  const plot = h("div", { class: "proj-plot" });
  const tip = h("div", { class: "proj-tip", hidden: true });
  const legend = h("div", { class: "proj-legend" });
  const chosen = h("div", { class: "proj-selection" });
  el.replaceChildren(h("div", { class: "projector" },
    h("div", { class: "toolbar" }, pick, h("label", {}, "colour", colorBy), h("span", { class: "modes" }, modes),
      h("label", {}, "size", size), reset, info),
    h("div", { class: "proj-main" }, h("div", { class: "proj-stage" }, plot, tip),
      h("div", { class: "proj-side" }, legend, chosen))));

  let cur = null; // {src, header, cols, scatter, thumbs, cats}
  const ro = new ResizeObserver(() => cur?.scatter.resize());
  ro.observe(plot);
  const hook = window.torchscope ? (window.torchscope.projector = { ready: false }) : {};

  function categories(mode) {
    const { header, cols } = cur, n = header.n, K = header.class_names.length;
    const cat = new Uint16Array(n);
    if (mode === "correct") {
      for (let i = 0; i < n; i++) cat[i] = cols.predictions[i] === cols.labels[i] ? 0 : 1;
      return { cat, names: ["correct", "wrong"], colors: [CORRECT, WRONG] };
    }
    const v = mode === "prediction" ? cols.predictions : cols.labels;
    for (let i = 0; i < n; i++) cat[i] = Math.max(0, Math.min(K - 1, v[i]));
    return { cat, names: header.class_names, colors: classColors(K) };
  }

  function recolor() {
    const mode = colorBy.value;
    api.state.set("colorBy", mode);
    cur.cats = categories(mode);
    cur.scatter.setColors(cur.cats.cat, cur.cats.colors);
    drawLegend();
    showSelection(cur.scatter.selection());
  }

  function drawLegend() {
    const { cat, names, colors } = cur.cats, s = cur.scatter;
    const counts = new Array(names.length).fill(0);
    for (let i = 0; i < cat.length; i++) counts[cat[i]]++;
    const items = names.map((name, k) => {
      const b = h("button", { type: "button", class: "legend-item", "aria-pressed": String(!s.hidden[k]),
        title: "click: show/hide · double-click: only this", dataset: { k } },
      h("span", { class: "swatch", style: { background: colors[k] } }), h("span", { class: "name" }, name),
      h("span", { class: "count" }, counts[k].toLocaleString()));
      b.addEventListener("click", () => { s.hidden[k] ^= 1; s.setHidden(s.hidden); sync(); });
      b.addEventListener("dblclick", () => { s.hidden.fill(1); s.hidden[k] = 0; s.setHidden(s.hidden); sync(); });
      return b;
    });
    const sync = () => items.forEach((b, k) => b.setAttribute("aria-pressed", String(!s.hidden[k])));
    const all = h("button", { type: "button", class: "link", onclick: () => { s.hidden.fill(0); s.setHidden(s.hidden); sync(); } }, "show all");
    legend.replaceChildren(h("div", { class: "head" }, h("b", {}, colorBy.value), all), h("div", { class: "items" }, items));
  }

  function describe(i) {
    const { header, cols } = cur, names = header.class_names;
    const lab = names[cols.labels[i]] ?? cols.labels[i];
    const out = [h("div", { class: "lab" }, h("span", { class: "swatch", style: { background: classColors(names.length)[cols.labels[i]] } }), lab)];
    if (cols.predictions) {
      const ok = cols.predictions[i] === cols.labels[i];
      out.push(h("div", { class: ok ? "ok" : "bad" }, `predicted ${names[cols.predictions[i]] ?? cols.predictions[i]} ${ok ? "✓" : "✗"}`));
    }
    out.push(h("div", { class: "idx" }, `#${cols.indices ? cols.indices[i] : i}`));
    return out;
  }

  function showTip(i, evt) {
    if (i < 0 || !evt) { tip.hidden = true; hook.hover = -1; return; }
    if (hook.hover !== i || tip.hidden) { // a new point: rebuild the read-out (else only move it)
      hook.hover = i;
      const pic = cur.thumbs ? h("canvas", { width: 84, height: 84, class: "thumb" }) : null;
      const d = cur.header.dims;
      const xy = Array.from({ length: d }, (_, k) => fmtNum(Number(cur.cols.coords[i * d + k].toPrecision(4)))).join(", ");
      tip.replaceChildren(...[pic, h("div", { class: "text" }, describe(i), h("div", { class: "xy" }, `(${xy})`))].filter(Boolean));
      tip.dataset.index = String(i);
      if (pic) cur.thumbs.draw(pic, i);
      tip.hidden = false;
    }
    const r = plot.getBoundingClientRect(), tw = tip.offsetWidth, th = tip.offsetHeight;
    let x = evt.clientX - r.left + 14, y = evt.clientY - r.top + 14;
    if (x + tw > r.width) x = Math.max(0, evt.clientX - r.left - tw - 14);
    if (y + th > r.height) y = Math.max(0, evt.clientY - r.top - th - 14);
    tip.style.transform = `translate(${x}px, ${y}px)`;
  }

  function showSelection(ids) {
    hook.selected = ids;
    if (!ids.length) {
      chosen.replaceChildren(h("div", { class: "note" }, "Drag with box or lasso (or shift+drag) to select points."));
      return;
    }
    const { header, cols } = cur, names = header.class_names, counts = new Map();
    for (const i of ids) counts.set(cols.labels[i], (counts.get(cols.labels[i]) || 0) + 1);
    const chips = [...counts].sort((a, b) => b[1] - a[1]).map(([k, c]) => h("span", { class: "chip" }, `${names[k] ?? k}: ${c}`));
    const tiles = ids.slice(0, SHOW_SELECTED).map((i) => {
      const caption = names[cols.labels[i]] ?? String(cols.labels[i]);
      const wrong = cols.predictions && cols.predictions[i] !== cols.labels[i];
      const pic = cur.thumbs ? h("canvas", { width: 56, height: 56 }) : null;
      if (pic) cur.thumbs.draw(pic, i);
      return h("figure", { dataset: { index: i }, title: `#${cols.indices ? cols.indices[i] : i}` }, pic,
        h("figcaption", { class: wrong ? "bad" : "" }, wrong ? `${caption}→${names[cols.predictions[i]]}` : caption));
    });
    chosen.replaceChildren(h("div", { class: "head" }, h("b", { class: "sel-count" }, `${ids.length.toLocaleString()} selected`),
      h("button", { type: "button", class: "link", onclick: () => cur.scatter.clearSelection() }, "clear")),
    h("div", { class: "chips" }, chips),
    h("div", { class: cur.thumbs ? "tiles" : "tiles rows" }, tiles),
    ids.length > SHOW_SELECTED ? h("div", { class: "note" }, `showing the first ${SHOW_SELECTED}`) : null);
  }

  async function load(idx) {
    const src = sources[idx];
    api.state.set("source", id(src));
    hook.ready = false;
    info.textContent = "loading…";
    const { header, cols } = await fetchPoints(api, src);
    cur?.scatter.destroy();
    const scatter = new Scatter(plot, { coords: cols.coords, dims: header.dims, n: header.n });
    const thumbs = header.thumbs ? new Thumbs((p) => api.url("projector/thumbs", { ...address(src), page: p }), header.thumbs) : null;
    cur = { src, header, cols, scatter, thumbs };
    plot.classList.toggle("orbit", scatter.is3d);
    const preds = !!cols.predictions;
    const modesAvail = ["label", ...(preds ? ["prediction", "correct"] : [])];
    const want = api.state.get("colorBy", "label");
    colorBy.replaceChildren(...modesAvail.map((m) => h("option", { value: m }, m)));
    colorBy.value = modesAvail.includes(want) ? want : "label";
    size.value = scatter.size;
    scatter.onHover = showTip;
    scatter.onSelect = showSelection;
    setMode(api.state.get("mode", "pan"));
    recolor();
    info.textContent = `${header.method.toUpperCase()} · ${header.dims}-D · ${header.n.toLocaleString()} points` +
      (scatter.is3d ? " · drag to orbit, alt+drag to pan" : " · drag to pan, wheel to zoom");
    Object.assign(hook, { ready: true, scatter, header, cols, selection: () => scatter.selection() });
    el.querySelector(".projector").dataset.state = "drawn";
    // thumbnails come after the points: the server rebuilds the record (decodes its sprite sheet) for the
    // first page, so ask for it as soon as the pointer enters the plot, before the first hover needs it
    if (thumbs) plot.addEventListener("pointerenter", () => { if (cur?.thumbs === thumbs) thumbs.page(0); }, { once: true });
  }

  function setMode(m) {
    if (cur) cur.scatter.mode = m;
    api.state.set("mode", m);
    for (const b of modes) b.classList.toggle("on", b.dataset.mode === m);
  }

  for (const b of modes) b.addEventListener("click", () => setMode(b.dataset.mode));
  colorBy.addEventListener("change", recolor);
  size.addEventListener("input", () => { cur.scatter.size = Number(size.value); cur.scatter.stamp(); cur.scatter.request(); });
  reset.addEventListener("click", () => cur.scatter.reset());
  pick.addEventListener("change", () => load(Number(pick.value)));
  // projections logged while the panel is open join the menu
  const id = (s) => `${s.run}/${s.key}/${s.id}/${s.part}`;
  let timer = 0;
  api.on("keys", (evt) => {
    if (!ours(evt)) return;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const known = new Set(sources.map(id));
      for (const s of (await api.json("projector/sources", { run: runs.map((r) => r.id) })).sources) {
        if (known.has(id(s))) continue;
        sources.push(s);
        pick.append(h("option", { value: sources.length - 1 }, label(s)));
      }
    }, 300);
  });
  const keyup = (e) => { if (e.key === "Escape") cur?.scatter.clearSelection(); };
  document.addEventListener("keyup", keyup);
  const saved = api.state.get("source", "");
  const found = sources.findIndex((s) => id(s) === saved);
  pick.value = String(found >= 0 ? found : sources.length - 1); // else the newest
  await load(Number(pick.value));
  return {
    destroy() {
      ro.disconnect();
      clearTimeout(timer);
      document.removeEventListener("keyup", keyup);
      cur?.scatter.destroy();
      if (window.torchscope) delete window.torchscope.projector;
    },
  };
}
