// The Evaluation panel: a classifier's eval.* records (ts.evaluate views logged with run.log_record).
// Confusion matrix (counts / normalized; click a cell for its samples), PR and ROC curves with the
// area per class in the legend (click to toggle), reliability diagram with ECE, a sortable
// per-class table, the most-confused pairs and the gallery of the most confident mistakes.
//   export function render(el, api) -> { destroy() }

import { fmtNum, h, message, num, nums } from "../../static/dom.js";
import { classColor, curveChart, reliabilityChart } from "./charts.js";

function loadCss() {
  const href = new URL("./evaluation.css", import.meta.url).href;
  if (![...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === href)) {
    document.head.append(h("link", { rel: "stylesheet", href }));
  }
}

const fix = (v, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : fmtNum(v));
const SECTIONS = [
  ["confusion", "eval.confusion"], ["roc", "eval.curves", "roc"], ["pr", "eval.curves", "pr"],
  ["calibration", "eval.calibration"], ["per_class", "eval.per_class"], ["confused", "eval.most_confused"],
  ["mistakes", "eval.mistakes"],
];

export async function render(el, api) {
  loadCss();
  const runs = api.runs();
  if (!runs.length) { el.replaceChildren(message("Select runs on the left to see their evaluations.")); return {}; }
  const index = await api.json("evaluation/index", { run: runs.map((r) => r.id) });
  const withEval = runs.filter((r) => index.runs[r.id]?.length);
  if (!withEval.length) {
    el.replaceChildren(message("No evaluation records in the selected runs. Log them with " +
      "run.log_record(ev.confusion_matrix()), ev.pr_curves(), ev.roc_curves(), ev.calibration(), " +
      "ev.per_class(), ev.most_confused(), ev.mistakes() (see docs/explain.md)."));
    return {};
  }
  const page = new EvalPage(el, api, index, withEval);
  await page.show();
  return { destroy() { page.destroyCharts(); } };
}

class EvalPage {
  constructor(el, api, index, runs) {
    Object.assign(this, { el, api, index, runs });
    this.run = runs.find((r) => r.id === api.state.get("run")) || runs[0];
    this.mode = api.state.get("mode", "counts");
    this.hidden = { roc: new Set(), pr: new Set() };
    this.picked = {}; // section -> entry chosen in its source menu
    this.sort = api.state.get("sort", { col: "class", dir: 1 });
    this.cell = null;
    this.charts = []; // the uPlot curve charts on the page
  }

  destroyCharts() { this.charts.splice(0).forEach((c) => c.destroy()); }

  choices(kind, curve) {
    return this.index.runs[this.run.id].filter((e) => e.kind === kind && (!curve || e.curve === curve));
  }

  async show() {
    const runSel = this.runs.length > 1 ? h("select", { "aria-label": "run", onchange: (ev) => {
      this.run = this.runs.find((r) => r.id === ev.target.value);
      this.api.state.set("run", this.run.id);
      this.picked = {};
      this.cell = null;
      this.show();
    } }, this.runs.map((r) => h("option", { value: r.id, selected: r.id === this.run.id }, r.name))) : null;
    this.toolbar = h("div", { class: "toolbar" },
      h("span", { class: "ev-run" }, h("span", { class: "swatch", style: { background: this.run.color } }),
        runSel || this.run.name));
    this.grid = h("div", { class: "ev-grid" });
    this.el.replaceChildren(this.toolbar, this.grid);
    this.data = {};
    await Promise.all(SECTIONS.map(async ([name, kind, curve]) => {
      const opts = this.choices(kind, curve);
      const e = this.picked[name] || opts[opts.length - 1];
      if (!e) return;
      const r = await this.api.json("evaluation/record", { run: this.run.id, kind, key: e.key, step: e.step });
      this.data[name] = { entry: e, opts, rec: r.data };
    }));
    this.draw();
  }

  source(name) {
    const d = this.data[name];
    if (!d || d.opts.length < 2) return d ? h("span", { class: "src", title: `key ${d.entry.key}, step ${d.entry.step}` },
      `${d.entry.key} · step ${d.entry.step}`) : null;
    return h("select", { class: "src", "aria-label": `${name} record`, onchange: (ev) => {
      this.picked[name] = d.opts[Number(ev.target.value)];
      this.show();
    } }, d.opts.map((e, i) => h("option", { value: i, selected: e === d.entry }, `${e.key} · step ${e.step}`)));
  }

  card(name, title, body, cls = "") {
    return h("section", { class: `card ev-card ${cls}`, dataset: { section: name } },
      h("h3", {}, h("span", { class: "title" }, title), this.source(name)), body);
  }

  draw() {
    this.destroyCharts();
    const cards = [];
    if (this.data.confusion) cards.push(this.confusionCard());
    for (const c of ["roc", "pr"]) if (this.data[c]) cards.push(this.curveCard(c));
    if (this.data.calibration) cards.push(this.calibrationCard());
    if (this.data.per_class) cards.push(this.tableCard());
    if (this.data.confused) cards.push(this.confusedCard());
    if (this.data.mistakes) cards.push(this.mistakesCard());
    const missing = SECTIONS.filter(([n]) => !this.data[n]).map(([n]) => n);
    if (missing.length) cards.push(h("p", { class: "note ev-missing" }, `Not logged in this run: ${missing.join(", ")}.`));
    this.grid.replaceChildren(...cards);
  }

  // -- confusion matrix ----------------------------------------------------------------------
  confusionCard() {
    const rec = this.data.confusion.rec;
    const toggle = h("span", { class: "seg", role: "group", "aria-label": "confusion values" },
      ["counts", "normalized"].map((m) => h("button", { class: m === this.mode ? "on" : "", dataset: { mode: m },
        onclick: () => { this.mode = m; this.api.state.set("mode", m); this.redrawMatrix(); } }, m)));
    this.matrixWrap = h("div", { class: "cm-wrap" });
    this.cellBox = h("div", { class: "cm-cell", "aria-live": "polite" });
    this.redrawMatrix();
    const total = rec.counts.flat().reduce((a, b) => a + b, 0);
    const right = rec.counts.reduce((a, row, i) => a + row[i], 0);
    return this.card("confusion", "Confusion matrix", [h("div", { class: "cm-bar" }, toggle,
      h("span", { class: "note" }, `${total} samples · accuracy ${fix(total ? right / total : NaN)} · rows: true, ` +
        "columns: predicted; click a cell")), this.matrixWrap, this.cellBox], "wide");
  }

  redrawMatrix() {
    const rec = this.data.confusion.rec, k = rec.class_names.length;
    const counts = rec.counts, rows = counts.map((r) => r.reduce((a, b) => a + b, 0));
    const norm = this.mode === "normalized";
    const value = (i, j) => (norm ? (rows[i] ? counts[i][j] / rows[i] : 0) : counts[i][j]);
    const max = norm ? 1 : Math.max(1, ...counts.flat());
    const grid = h("div", { class: "cm", role: "grid", style: { gridTemplateColumns: `auto repeat(${k}, minmax(0, 1fr))` } },
      h("div", { class: "corner" }, "true \\ pred"),
      rec.class_names.map((c) => h("div", { class: "head col", title: `predicted ${c}` }, c)));
    for (let i = 0; i < k; i++) {
      grid.append(h("div", { class: "head row", title: `true ${rec.class_names[i]}` }, rec.class_names[i]));
      for (let j = 0; j < k; j++) {
        const v = value(i, j), t = v / max;
        const text = norm ? (v ? v.toFixed(2) : "0") : String(counts[i][j]);
        const sel = this.cell && this.cell[0] === i && this.cell[1] === j;
        grid.append(h("button", { class: `c${i === j ? " diag" : ""}${sel ? " sel" : ""}${v ? "" : " zero"}`,
          role: "gridcell", dataset: { i, j, count: counts[i][j] },
          title: `true ${rec.class_names[i]} → predicted ${rec.class_names[j]}: ${counts[i][j]}` +
            (rows[i] ? ` (${(100 * counts[i][j] / rows[i]).toFixed(1)}% of the row)` : ""),
          style: { background: blues(t), color: t > 0.55 ? "#fff" : "#1d1d1f" },
          onclick: () => this.selectCell(i, j) }, text));
      }
    }
    this.matrixWrap.replaceChildren(grid);
  }

  selectCell(i, j) {
    this.cell = [i, j];
    this.redrawMatrix();
    const rec = this.data.confusion.rec, names = rec.class_names;
    const count = rec.counts[i][j], listed = rec.cell_samples[`${i},${j}`] || [];
    const mist = this.data.mistakes?.rec;
    const kept = mist?.images?.kept;
    const byIndex = new Map((mist?.indices || []).map((s, n) => [s, n]));
    // the samples of the cell: the record's first sample indices, plus every logged mistake of this cell
    const extra = i === j || !mist ? [] : mist.indices.filter((s, n) => mist.y_true[n] === i && mist.y_pred[n] === j);
    const samples = [...new Set([...listed, ...extra])];
    const tiles = samples.map((s) => {
      const n = byIndex.get(s);
      if (n !== undefined && kept) return this.tile(n, "cm-sample");
      return h("div", { class: "chip-sample cm-sample", dataset: { sample: s }, title: "no image kept for this sample" },
        `#${s}`, n !== undefined ? h("small", {}, ` ${fix(num(mist.confidence[n]), 2)}`) : null);
    });
    const notes = [];
    if (count > samples.length) notes.push(`Showing ${samples.length} of ${count} samples: the record keeps the first ` +
      `${listed.length} sample indices of each cell${extra.length ? " plus the logged mistakes" : ""}.`);
    const imaged = samples.filter((s) => kept && byIndex.has(s)).length;
    if (imaged < samples.length) {
      notes.push(i === j ? "Images are kept only for mistakes (eval.mistakes), so correct predictions are listed by sample index."
        : !mist ? "No eval.mistakes record in this run: samples are listed by index (log ev.mistakes() to keep their images)."
          : !kept ? "The eval.mistakes record kept no images (evaluate a model, or pass images=): samples are listed by index."
            : `${samples.length - imaged} of these samples have no image: eval.mistakes keeps the ${mist.indices.length} most confident mistakes only.`);
    }
    this.cellBox.replaceChildren(h("div", { class: "cm-cell-head" },
      h("b", {}, `true ${names[i]} → predicted ${names[j]}`), h("span", { class: "note" }, ` ${count} sample${count === 1 ? "" : "s"}`),
      h("button", { class: "small", onclick: () => { this.cell = null; this.cellBox.replaceChildren(); this.redrawMatrix(); } }, "close")),
    h("div", { class: "tiles" }, tiles), ...notes.map((t) => h("p", { class: "note" }, t)));
  }

  // -- curves -------------------------------------------------------------------------------
  curveCard(name) {
    const rec = this.data[name].rec, roc = name === "roc", k = rec.class_names.length;
    const label = roc ? "AUC" : "AP";
    const areas = nums(rec.area);
    const finite = areas.filter(Number.isFinite);
    const mean = finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
    const hidden = this.hidden[name], colors = rec.class_names.map((_, i) => classColor(i, k));
    const chart = curveChart({ names: rec.class_names, colors, diagonal: roc, xLabel: roc ? "false positive rate" : "recall",
      yLabel: roc ? "true positive rate" : "precision" });
    this.charts.push(chart);
    const legend = h("div", { class: "legend" });
    const body = h("div", { class: "curve-body" }, chart.el, legend);
    const draw = () => {
      chart.setData(rec.class_names.map((c, i) => ({ x: nums(rec.x[i]), y: nums(rec.y[i]), hidden: hidden.has(i) })));
      legend.replaceChildren(
        h("span", { class: "legend-all" }, h("button", { class: "small", onclick: () => { hidden.clear(); draw(); } }, "all"),
          h("button", { class: "small", onclick: () => { rec.class_names.forEach((_, i) => hidden.add(i)); draw(); } }, "none")),
        ...rec.class_names.map((c, i) => h("button", { class: `item${hidden.has(i) ? " off" : ""}`,
          dataset: { cls: c, area: rec.area[i] }, "aria-pressed": String(!hidden.has(i)),
          title: `${rec.positives[i]} positives; click to ${hidden.has(i) ? "show" : "hide"}`,
          onclick: () => { hidden.has(i) ? hidden.delete(i) : hidden.add(i); draw(); } },
        h("span", { class: "swatch", style: { background: colors[i] } }), `${c} (${label} ${fix(areas[i])})`)));
    };
    draw();
    return this.card(name, `${roc ? "ROC" : "Precision–recall"} curves · mean ${label} ${fix(mean)}`, body);
  }

  calibrationCard() {
    const r = this.data.calibration.rec;
    const key = (cls, text) => h("span", {}, h("i", { class: cls }), text);
    return this.card("calibration", `Reliability · ECE ${fix(num(r.ece))} · MCE ${fix(num(r.mce))}`, [
      reliabilityChart({ edges: nums(r.edges), accuracy: nums(r.accuracy), confidence: nums(r.confidence), counts: r.counts }),
      h("div", { class: "rel-legend" }, key("acc", "accuracy"), key("gap", "gap to mean confidence"),
        key("conf", "mean confidence"), key("diag", "perfect calibration"), key("count", "samples")),
      h("p", { class: "note rel-caption" }, `${r.counts.length} bins of top-label confidence (Guo et al. 2017). Each blue bar ` +
        "rises to its bin's accuracy; the hatched band spans from there to the bin's mean confidence (the red tick): above " +
        "the bar where the model is over-confident, over its top where it is under-confident. The dashed diagonal is " +
        "perfect calibration; the grey strip below gives each bin's number of samples. Hover a bar for its values.")]);
  }

  // -- per-class table ----------------------------------------------------------------------
  tableCard() {
    const wrap = h("div", { class: "scroll" });
    const draw = () => {
      const r = this.data.per_class.rec;
      const cols = [["class", "class"], ["precision", "precision"], ["recall", "recall"], ["f1", "F1"],
        ["support", "support"], ["predicted", "predicted"]];
      const rows = r.class_names.map((c, i) => ({ class: c, i, precision: num(r.precision[i]), recall: num(r.recall[i]),
        f1: num(r.f1[i]), support: r.support[i], predicted: r.predicted[i] }));
      const { col, dir } = this.sort;
      rows.sort((a, b) => (col === "class" ? a.i - b.i : (a[col] - b[col]) || a.i - b.i) * dir);
      const cell = (v, c) => (typeof v === "number" && !["support", "predicted"].includes(c) ? fix(v) : String(v));
      const total = r.support.reduce((a, b) => a + b, 0);
      wrap.replaceChildren(h("table", { class: "ev-table" },
        h("thead", {}, h("tr", {}, cols.map(([c, t]) => h("th", { class: c === "class" ? "text" : "", dataset: { col: c },
          "aria-sort": c === col ? (dir > 0 ? "ascending" : "descending") : "none",
          onclick: () => { this.sort = { col: c, dir: c === col ? -dir : (c === "class" ? 1 : -1) };
            this.api.state.set("sort", this.sort); draw(); } }, t, c === col ? (dir > 0 ? " ▲" : " ▼") : "")))),
        h("tbody", {}, rows.map((row) => h("tr", { dataset: { cls: row.class } }, cols.map(([c]) =>
          h("td", { class: c === "class" ? "text" : "" }, c === "f1" ? bar(row.f1) : null, cell(row[c], c)))))),
        h("tfoot", {}, ["macro", "weighted"].map((a) => h("tr", {}, h("td", { class: "text" }, `${a} avg`),
          ["precision", "recall", "f1"].map((m) => h("td", {}, fix(num(r.averages[a][m])))), h("td", {}, total), h("td", {}))),
        h("tr", {}, h("td", { class: "text" }, "accuracy"), h("td", { colspan: 3 }, fix(num(r.accuracy))), h("td", {}, total), h("td", {})))));
    };
    draw();
    return this.card("per_class", "Per-class metrics", wrap);
  }

  confusedCard() {
    const pairs = this.data.confused.rec.pairs;
    const max = Math.max(1, ...pairs.map((p) => p.count));
    const body = pairs.length ? h("ol", { class: "pairs" }, pairs.map((p) => h("li", {},
      h("button", { class: "pair", title: "show this cell of the confusion matrix", dataset: { i: p.true_index, j: p.pred_index },
        onclick: () => { if (this.data.confusion) { this.selectCell(p.true_index, p.pred_index); this.cellBox.scrollIntoView({ block: "nearest" }); } } },
      h("span", { class: "pair-name" }, `${p.true} → ${p.pred}`),
      h("span", { class: "pair-bar" }, h("span", { style: { width: `${(100 * p.count) / max}%` } })),
      h("span", { class: "pair-n" }, `${p.count} (${(100 * num(p.rate)).toFixed(1)}%)`)))))
      : message("No mistakes: nothing is confused.");
    return this.card("confused", "Most confused (true → predicted)", body);
  }

  // -- mistakes -----------------------------------------------------------------------------
  tile(n, cls = "") {
    const m = this.data.mistakes.rec, names = m.class_names, L = m.images.layout;
    const url = this.api.url("evaluation/mistakes.png", { run: this.run.id, key: this.data.mistakes.entry.key,
      step: this.data.mistakes.entry.step });
    const r = Math.floor(n / L.columns), c = n % L.columns;
    const img = h("div", { class: "sprite", role: "img", "aria-label": `sample ${m.indices[n]}`, style: {
      backgroundImage: `url("${url}")`, backgroundSize: `${L.columns * 100}% ${L.rows * 100}%`,
      backgroundPosition: `${L.columns > 1 ? (100 * c) / (L.columns - 1) : 0}% ${L.rows > 1 ? (100 * r) / (L.rows - 1) : 0}%`,
      aspectRatio: `${L.thumb_width} / ${L.thumb_height}` } });
    return h("figure", { class: `mistake ${cls}`, dataset: { sample: m.indices[n] },
      title: `sample #${m.indices[n]}: true ${names[m.y_true[n]]}, predicted ${names[m.y_pred[n]]} ` +
        `(confidence ${fix(num(m.confidence[n]))}, p(true) ${fix(num(m.true_prob[n]))})` }, img,
    h("figcaption", {}, h("b", {}, `${names[m.y_true[n]]}→${names[m.y_pred[n]]}`), ` ${fix(num(m.confidence[n]), 2)}`),
    h("figcaption", { class: "sub" }, `#${m.indices[n]} · p(true) ${fix(num(m.true_prob[n]), 2)}`));
  }

  mistakesCard() {
    const m = this.data.mistakes.rec;
    let body;
    if (!m.indices.length) body = message("No mistakes in this evaluation.");
    else if (!m.images.kept) {
      body = [h("p", { class: "note" }, "Images were not kept for these mistakes (predictions evaluated without images=); " +
        "sample indices and confidences:"), h("div", { class: "tiles" }, m.indices.map((s, n) => h("div", { class: "chip-sample" },
        `#${s} ${m.class_names[m.y_true[n]]}→${m.class_names[m.y_pred[n]]} ${fix(num(m.confidence[n]), 2)}`)))];
    } else body = h("div", { class: "tiles gallery" }, m.indices.map((_, n) => this.tile(n)));
    return this.card("mistakes", `Most confident mistakes (${m.indices.length}) · true→predicted, confidence`, body, "wide");
  }
}

function bar(v) {
  return h("span", { class: "f1bar", style: { width: `${Math.round(28 * (Number.isFinite(v) ? v : 0))}px` } });
}

// Matplotlib's "Blues" at t in [0, 1], by linear steps between a few of its stops.
const BLUES = [[247, 251, 255], [222, 235, 247], [198, 219, 239], [158, 202, 225], [107, 174, 214], [66, 146, 198],
  [33, 113, 181], [8, 81, 156], [8, 48, 107]];
function blues(t) {
  const x = Math.max(0, Math.min(1, t)) * (BLUES.length - 1), i = Math.min(BLUES.length - 2, Math.floor(x)), f = x - i;
  const c = BLUES[i].map((v, n) => Math.round(v + (BLUES[i + 1][n] - v) * f));
  return `rgb(${c[0]} ${c[1]} ${c[2]})`;
}
