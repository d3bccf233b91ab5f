// The Scalars panel: one chart per key (runs overlaid), in collapsible sections by the key's prefix
// (the user's own first: train/, val/, the others, then torchscope's system/ and watch/; see
// sections.js), pinned charts on top, with a filter box. When a run logged an add_custom_scalars
// layout, its categories come first, one section each with its multiline and margin charts (custom.js). Smoothing, x axis (step / wall time /
// relative time), log axes, grouping and the rank (runs logged with ts.init(..., all_ranks=True): one
// rank, or every rank overlaid) apply to all charts.
//   export function render(el, api) -> { destroy() }

import { debounce, flatten, h, message, plural } from "../../static/dom.js";
import { ScalarChart, SPARSE } from "./chart.js";
import { customCategories } from "./custom.js";
import { isOwn, sections, sectionTitle } from "./sections.js";

export async function render(el, api) {
  const st = api.state;
  const opts = { smoothing: st.get("smoothing", 0.6), x: st.get("x", "step"), logX: st.get("logX", false),
    logY: st.get("logY", false), groupBy: st.get("groupBy", ""), watch: st.get("watch", false), rank: 0,
    smoothSparse: st.get("smoothSparse", false) };
  const pinned = new Set(st.get("pinned", [])); // keys shown first, in their own section
  const collapsed = new Set(st.get("collapsed", [])); // section names folded by the user
  // a deep link (#scalars?key=K&step=S, e.g. from a health alarm) shows that chart, marked at that step;
  // &rank=R (a number or "all") picks the rank
  const focusKey = api.params?.get("key"), focusStep = api.params?.has("step") ? Number(api.params.get("step")) : null;
  if (focusKey) st.set("filter", `^${focusKey.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
  if (api.params?.has("rank") && parseRank(api.params.get("rank")) !== null) st.set("rank", parseRank(api.params.get("rank")));
  const wanted = () => parseRank(st.get("rank", 0)) ?? 0; // the rank asked for; opts.rank: the one shown (setRanks)
  let filter = st.get("filter", "");
  const runs = api.runs();
  const charts = new Map(); // key -> its chart
  const customs = new Map(); // a layout chart's id -> its chart (custom.js)
  let cats = [], layoutSig = "[]"; // the layout's categories, and what they were made from
  const chartOf = new Map(); // card -> chart
  const every = () => [...charts.values(), ...customs.values()];
  const board = h("div", { class: "scalar-sections" });
  const status = h("span", { class: "note count" });

  const configKeys = [...new Set(runs.flatMap((r) => Object.keys(flatten(r.config))))].sort();
  const keyRanks = new Map(); // key -> Set of the ranks that logged it (in any selected run)
  const set = (k, v, refetch) => {
    opts[k] = v; st.set(k, v);
    for (const c of every()) { c.opts = opts; if (refetch) { c.range = null; if (c.u || c.loaded) c.load(); } else if (c.series.length) c.draw(true); }
  };
  // run.watch logs several statistics per layer under watch/: the Health panel is their home, so
  // the grid leaves them out unless asked (the box, or any filter: it searches every key)
  const watchToggle = h("label", { class: "watch-toggle", hidden: true, style: { display: "none" }, title: "run.watch's per-layer statistics (see the Health panel)" },
    h("input", { type: "checkbox", class: "show-watch", checked: opts.watch, onchange: (e) => { opts.watch = e.target.checked; st.set("watch", opts.watch); layout(); } }),
    "watch/ stats");
  // the rank selector: only when some run logged under a rank other than 0, and never in a static
  // report (it keeps rank 0's series only)
  const rankSelect = select("rank", [["0", "0"]], "0", (v) => { set("rank", parseRank(v), true); layout(); });
  rankSelect.title = "which process's values: runs logged with ts.init(..., all_ranks=True) keep each rank's";
  const rankLabel = h("label", { class: "rank-pick", hidden: true, style: { display: "none" } }, "rank ", rankSelect);
  const smoothLabel = h("span", { class: "smooth-value" }, opts.smoothing.toFixed(2));
  const toolbar = h("div", { class: "toolbar" },
    h("input", { type: "search", class: "filter", placeholder: "filter keys (regex)", value: filter,
      "aria-label": "filter keys", oninput: debounce((e) => { filter = e.target.value; st.set("filter", filter); layout(); }, 120) }),
    h("label", { title: "TensorBoard's debiased exponential moving average; the raw values stay drawn" }, "smoothing ",
      h("input", { type: "range", class: "smoothing", min: 0, max: 0.99, step: 0.01,
        value: opts.smoothing, oninput: debounce((e) => { smoothLabel.textContent = Number(e.target.value).toFixed(2); set("smoothing", Number(e.target.value)); }, 60) }), smoothLabel),
    h("label", { title: `series of fewer than ${SPARSE} points are drawn as logged unless this is ticked` },
      h("input", { type: "checkbox", class: "smooth-sparse", checked: opts.smoothSparse, onchange: (e) => set("smoothSparse", e.target.checked) }),
      "smooth sparse"),
    h("label", {}, "x ", select("x-axis", [["step", "step"], ["wall_time", "wall time"], ["relative", "relative time"]],
      opts.x, (v) => set("x", v, true))),
    h("label", {}, h("input", { type: "checkbox", class: "log-x", checked: opts.logX, onchange: (e) => set("logX", e.target.checked) }), "log x"),
    h("label", {}, h("input", { type: "checkbox", class: "log-y", checked: opts.logY, onchange: (e) => set("logY", e.target.checked) }), "log y"),
    watchToggle,
    rankLabel,
    h("label", {}, "group ", select("group-by", [["", "none"], ["tags", "by tags"], ...configKeys.map((k) => [`config:${k}`, `by ${k}`])],
      opts.groupBy, (v) => set("groupBy", v))),
    status);
  el.replaceChildren(toolbar, board);
  if (!runs.length) { board.replaceWith(message("Select one or more runs on the left to see their scalars.")); return {}; }

  // charts on screen load first; those just below the fold once the screen's charts are drawn
  let busy = 0;
  let started = false; // a static report draws every chart shown, at once (below)
  const later = new Set();
  const start = (c) => { c.loaded = true; busy += 1; c.load().finally(() => { busy -= 1; if (!busy) flush(); }); };
  const flush = () => { for (const c of later) if (!c.loaded) start(c); later.clear(); };
  const seen = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const c = chartOf.get(e.target);
      if (!c || c.loaded) continue;
      const r = e.boundingClientRect;
      if (!e.isIntersecting) later.delete(c);
      else if (r.bottom > 0 && r.top < innerHeight) start(c);
      else later.add(c);
    }
    if (!busy) flush();
  }, { rootMargin: "300px" });

  function addKey(key) {
    if (charts.has(key)) return;
    const c = new ScalarChart(key, api, opts, { onPin: togglePin });
    c.setPinned(pinned.has(key));
    if (key === focusKey && Number.isFinite(focusStep)) c.mark = focusStep;
    charts.set(key, c);
    chartOf.set(c.card, c);
    seen.observe(c.card);
  }

  // the custom charts of the runs' layout, made again when the layout changed
  function setLayout(layout) {
    const sig = JSON.stringify(layout?.categories || []);
    if (sig === layoutSig) return;
    layoutSig = sig;
    for (const c of customs.values()) { seen.unobserve(c.card); chartOf.delete(c.card); c.destroy(); }
    customs.clear();
    cats = customCategories(layout);
    for (const spec of cats.flatMap((cat) => cat.charts)) {
      const c = new ScalarChart(spec.id, api, opts, { spec: { ...spec, keys: [] } });
      customs.set(spec.id, c);
      chartOf.set(c.card, c);
      seen.observe(c.card);
    }
  }

  function togglePin(key) {
    if (pinned.has(key)) pinned.delete(key); else pinned.add(key);
    st.set("pinned", [...pinned]);
    charts.get(key)?.setPinned(pinned.has(key));
    layout();
  }

  // One section: a heading that folds it (remembered), and its charts in a grid. A folded section's
  // charts are not in the page's layout, so they load only once it is opened.
  function section(name, title, keys, own, cards = keys.map((k) => charts.get(k).card)) {
    const open = !collapsed.has(name);
    const box = h("details", { class: `scalar-section${own ? " own" : ""}${name.startsWith("\u0000custom/") ? " custom" : ""}`, dataset: { section: name }, open },
      h("summary", {}, h("span", { class: "section-title" }, title), h("span", { class: "note" }, ` ${plural(cards.length, "chart")}`)),
      h("div", { class: "grid" }, cards));
    box.addEventListener("toggle", () => {
      if (box.open) collapsed.delete(name); else collapsed.add(name);
      st.set("collapsed", [...collapsed]);
    });
    return box;
  }

  function layout() {
    let re = null;
    try { re = filter ? new RegExp(filter, "i") : null; } catch (e) { re = null; }
    // the keys the chosen rank logged (all ranks: every key)
    const keys = [...charts.keys()].filter((k) => opts.rank === "all" || (keyRanks.get(k) || new Set([0])).has(opts.rank));
    const watched = keys.filter((k) => k.startsWith("watch/")).length;
    showLabel(watchToggle, watched > 0);
    const hideWatch = !opts.watch && !filter; // a filter searches every key
    const shown = keys.filter((k) => !(hideWatch && k.startsWith("watch/")) && (!filter || (re ? re.test(k) : k.includes(filter))));
    const top = shown.filter((k) => pinned.has(k)), rest = sections(shown.filter((k) => !pinned.has(k)));
    const parts = [];
    // the layout's charts first: a filter shows those whose title or keys it matches
    const hit = (s) => (re ? re.test(s) : s.includes(filter));
    let customShown = 0;
    for (const cat of cats) {
      const cards = [];
      for (const spec of cat.charts) {
        const c = customs.get(spec.id), ks = spec.match(keys);
        c.setKeys(ks);
        if (filter && !hit(spec.title) && !ks.some(hit)) continue;
        cards.push(c.card);
        if (api.report && started && !c.loaded) start(c);
      }
      customShown += cards.length;
      if (cards.length) parts.push(section(cat.name, cat.title, [], false, cards));
    }
    if (top.length) parts.push(section("\u0000pinned", "pinned", sections(top).flatMap((g) => g.keys), false));
    if (rest.length === 1 && !top.length && !parts.length) parts.push(h("div", { class: "grid" }, rest[0].keys.map((k) => charts.get(k).card)));
    else for (const g of rest) parts.push(section(g.name, sectionTitle(g.name), g.keys, isOwn(g.name)));
    board.replaceChildren(...parts);
    if (api.report && started) for (const k of shown) if (!charts.get(k).loaded) start(charts.get(k));
    status.textContent = `${shown.length} of ${plural(keys.length, "chart")} · ${plural(runs.length, "run")}` +
      (rankLabel.hidden ? "" : opts.rank === "all" ? " · all ranks" : ` · rank ${opts.rank}`) +
      (hideWatch && watched ? ` · ${watched} watch/ ${watched === 1 ? "chart" : "charts"} hidden` : "") +
      (customShown ? ` · ${customShown} custom` : "");
    if (!shown.length && !customShown) board.append(message(keys.length ? "No key matches the filter." : "No scalars logged in these runs yet."));
  }

  // the rank shown: the one asked for when the runs have it, else their lowest; 0 without a selector
  function setRanks(list) {
    const ranks = list.length ? list : [0]; // every rank of the selected runs
    const multi = !api.report && ranks.some((r) => r !== 0);
    const rank = !multi ? 0 : wanted() === "all" || ranks.includes(wanted()) ? wanted() : ranks[0];
    if (rankSelect.dataset.ranks !== ranks.join(",")) { // (not while the list is open, if nothing changed)
      rankSelect.dataset.ranks = ranks.join(",");
      rankSelect.replaceChildren(...ranks.map((r) => h("option", { value: String(r) }, String(r))),
        h("option", { value: "all" }, "all ranks"));
    }
    rankSelect.value = String(rank);
    showLabel(rankLabel, multi);
    if (rank !== opts.rank) { opts.rank = rank; for (const c of charts.values()) { c.range = null; if (c.u || c.loaded) c.load(); } }
  }
  function addKeys(answer) {
    setLayout(answer.layout);
    for (const k of answer.keys) {
      keyRanks.set(k.key, new Set(k.ranks));
      addKey(k.key);
    }
    setRanks(answer.ranks);
  }
  addKeys(await api.json("scalars/keys", { run: runs.map((r) => r.id) }));
  layout();
  // a static report (api.report) draws every chart at once: it has no server to wait for, and prints whole
  if (api.report) { started = true; for (const c of every()) if (!c.loaded && c.card.isConnected) start(c); }

  // live events speak of rank 0's points; other ranks' new keys (and new ranks) come from a re-read
  // of the key list, at most every few seconds while points arrive
  let gone = false, rereading = null;
  const reread = () => {
    if (rereading || api.report) return;
    rereading = setTimeout(async () => {
      try {
        const answer = await api.json("scalars/keys", { run: runs.map((r) => r.id) });
        if (!gone) { addKeys(answer); layout(); }
      } catch (e) { /* the next event tries again */ }
      rereading = null;
    }, 5000);
  };
  const newKey = (key) => {
    if (!keyRanks.has(key)) keyRanks.set(key, new Set([0]));
    if (!charts.has(key)) { addKey(key); layout(); }
  };
  api.on("scalars", (evt) => {
    if (!runs.some((r) => r.id === evt.run)) return;
    const c = charts.get(evt.key);
    for (const k of customs.values()) if (k.loaded && k.keys.includes(evt.key)) k.onLive(evt);
    if (c) { if (c.loaded) c.onLive(evt); } else newKey(evt.key);
    reread();
  });
  api.on("keys", (evt) => {
    if (evt.kind !== "scalar" || !runs.some((r) => r.id === evt.run)) return;
    const c = charts.get(evt.key);
    for (const k of customs.values()) if (k.loaded && k.keys.includes(evt.key)) k.reloadSoon();
    if (c) { if (c.loaded) c.reloadSoon(); } else newKey(evt.key);
    reread();
  });
  return { destroy() {
    gone = true; clearTimeout(rereading);
    seen.disconnect(); for (const c of every()) c.destroy(); charts.clear(); customs.clear(); window.torchscope?.charts.clear();
  } };
}

// Show or hide a toolbar label: the hidden attribute alone loses to `.toolbar label { display: inline-flex }`.
function showLabel(el, on) { el.hidden = !on; el.style.display = on ? "" : "none"; }

// A rank as the selector and the location hash give it: a number, "all", or null when neither.
function parseRank(v) {
  if (v === "all") return "all";
  const n = typeof v === "number" ? v : /^\d{1,6}$/.test(String(v ?? "")) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : null;
}

function select(cls, options, value, onchange) {
  const s = h("select", { class: cls, "aria-label": cls, onchange: (e) => onchange(e.target.value) },
    options.map(([v, label]) => h("option", { value: v }, label)));
  s.value = value;
  return s;
}
