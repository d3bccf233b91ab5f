// The GAN panel's lens cards: class prototypes and counterfactual paths, computed on demand on the
// server from the run's generator and classifier checkpoints (routes gan/prototype, gan/counterfactual,
// polled through gan/job, stopped with gan/cancel). A new request cancels the card's previous one.
//   prototypeCard(api, runId, lens) -> { el, destroy() }     counterfactualCard(api, runId, lens) -> { el, destroy() }

import { h, message, num } from "../../static/dom.js";
import { LineChart } from "../../static/linechart.js";

const PROTO_EFFORT = { quick: { steps: 60, starts: 8 }, normal: { steps: 200, starts: 16 }, thorough: { steps: 600, starts: 32 } };
const CF_EFFORT = { quick: { steps: 100 }, normal: { steps: 300 }, thorough: { steps: 1000 } };
const OFFLINE = "computed by the server (torchscope serve): not available here";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (p) => `${(100 * num(p)).toFixed(1)}%`;

function select(cls, options, value) {
  return h("select", { class: cls }, options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
}

// One job at a time per card: start (cancelling the previous one), poll with progress, give the result.
class Task {
  constructor(api, status) {
    this.api = api;
    this.status = status;
    this.current = null;
    this.alive = true;
    this.bar = h("progress", { max: 1, value: 0 });
    this.text = h("span", { class: "note" });
    this.stopBtn = h("button", { type: "button", class: "small gan-cancel", onclick: () => this.cancel() }, "cancel");
  }

  show(job) {
    const queued = job.status === "queued";
    this.bar.value = num(job.progress) || 0;
    this.text.textContent = queued ? " waiting for the server's lens worker…" : ` ${pct(job.progress)}` +
      (job.seconds ? ` · ${num(job.seconds).toFixed(1)} s` : "");
    this.status.replaceChildren(h("div", { class: "gan-progress" }, this.bar, this.text, this.stopBtn));
  }

  cancel() {
    const job = this.current;
    this.current = null;
    if (job) this.api.send("POST", "gan/cancel", { job: job.id }).catch(() => {});
    this.status.replaceChildren(message("cancelled"));
  }

  async run(path, params) {
    if (this.current) this.cancel();
    let job;
    try {
      job = await this.api.json(path, params);
    } catch (e) {
      this.status.replaceChildren(message(`could not start: ${e.message || e} (${OFFLINE}?)`, "note error"));
      return null;
    }
    const mine = (this.current = job);
    while (job.status === "queued" || job.status === "running") {
      this.show(job);
      await sleep(200);
      if (!this.alive || this.current !== mine) return null;
      try {
        job = await this.api.json("gan/job", { id: mine.id });
      } catch (e) {
        this.status.replaceChildren(message(`lost the job: ${e.message || e}`, "note error"));
        this.current = null;
        return null;
      }
    }
    if (this.current !== mine) return null;
    this.current = null;
    if (job.status !== "done") {
      this.status.replaceChildren(message(`${job.status}: ${job.error || ""}`, job.status === "error" ? "note error" : "note"));
      return null;
    }
    this.status.replaceChildren(message(`done in ${num(job.seconds || 0).toFixed(1)} s`));
    return job.result;
  }

  destroy() { this.alive = false; if (this.current) this.cancel(); }
}

function notReady(lens) {
  return message(lens?.message || "The lens needs the run's generator and classifier checkpoints.");
}

export function prototypeCard(api, runId, lens) {
  const el = h("div", { class: "gan-lens gan-proto" });
  if (!lens?.ready) { el.append(notReady(lens)); return { el, destroy() {} }; }
  const classes = lens.classes.map((c, i) => [String(i), c]);
  const cls = select("gan-proto-class", classes, String(api.state.get("protoClass", "0")));
  const effort = select("gan-proto-effort", Object.keys(PROTO_EFFORT).map((k) => [k, `${k} (${PROTO_EFFORT[k].steps} steps × ${PROTO_EFFORT[k].starts} starts)`]), api.state.get("protoEffort", "normal"));
  const status = h("div", { class: "gan-status" });
  const gallery = h("div", { class: "gan-proto-gallery" });
  const task = new Task(api, status);
  const go = h("button", { type: "button", class: "gan-proto-go" }, "Compute prototype");
  go.addEventListener("click", async () => {
    api.state.set("protoClass", cls.value);
    api.state.set("protoEffort", effort.value);
    const res = await task.run("gan/prototype", { run: runId, cls: cls.value, ...PROTO_EFFORT[effort.value] });
    if (!res) return;
    gallery.querySelector(`[data-class="${CSS.escape(String(res.index))}"]`)?.remove();
    const mean = res.mean ? h("figure", {}, h("img", { src: res.mean, alt: `real mean of ${res.class}`, class: "gan-proto-mean" }), h("figcaption", {}, "real mean"))
      : h("figure", { class: "missing" }, h("div", { class: "note" }, "no class means stored"), h("figcaption", {}, "real mean"));
    gallery.prepend(h("div", { class: "gan-proto-result", dataset: { class: res.index, score: res.score } },
      h("div", { class: "pair" },
        h("figure", {}, h("img", { src: res.image, alt: `prototype of ${res.class}`, class: "gan-proto-img" }), h("figcaption", {}, "prototype")),
        mean),
      h("div", { class: "gan-score" }, h("b", {}, `'${res.class}'`), ` p = ${num(res.score).toFixed(3)}`),
      h("div", { class: "note" }, `from ${num(res.start_score).toFixed(3)} at the start · ${res.steps} steps × ${res.starts}`)));
  });
  el.append(h("div", { class: "gan-lens-bar" }, h("label", {}, "class ", cls), h("label", {}, "effort ", effort), go), status, gallery,
    h("div", { class: "note" }, "The latent code optimized to maximize the classifier's score for the class, with the generator as a natural-image prior (Nguyen et al. 2016), beside the class's real mean image."));
  return { el, destroy: () => task.destroy() };
}

function probChart(res) {
  const s = res.class_names.indexOf(res.source), t = res.class_names.indexOf(res.target);
  const x = res.alphas.map(num), p = res.probs.map((row) => row.map(num));
  const other = p.map((row) => Math.max(...row.filter((_, i) => i !== s && i !== t), 0));
  const series = [{ label: `p('${res.source}')`, color: "#4c72b0", y: p.map((r) => r[s]) },
    { label: `p('${res.target}')`, color: "#dd8452", y: p.map((r) => r[t]) },
    { label: "max other", color: "#999", y: other }];
  const chart = new LineChart({ series, xName: "α", idle: "last", height: 200, y: { range: [0, 1], fixed: true },
    x: { label: "α: the path from the source (0) to the counterfactual (1)" } });
  chart.setData(series.map((q) => ({ x, y: q.y })));
  return h("div", { class: "gan-cf-chart", dataset: { series: series.map((q) => q.label).join("|") } },
    h("div", { class: "note" }, "classifier probabilities along the path"), chart.el);
}

export function counterfactualCard(api, runId, lens) {
  const el = h("div", { class: "gan-lens gan-cf" });
  if (!lens?.ready) { el.append(notReady(lens)); return { el, destroy() {} }; }
  const classes = lens.classes.map((c, i) => [String(i), c]);
  const n = classes.length;
  const src = select("gan-cf-source", classes, String(api.state.get("cfSource", n > 8 ? "3" : "0")));
  const dst = select("gan-cf-target", classes, String(api.state.get("cfTarget", n > 8 ? "8" : String(Math.min(1, n - 1)))));
  const effort = select("gan-cf-effort", Object.keys(CF_EFFORT).map((k) => [k, `${k} (≤ ${CF_EFFORT[k].steps} steps)`]), api.state.get("cfEffort", "normal"));
  const status = h("div", { class: "gan-status" });
  const out = h("div", { class: "gan-cf-out" });
  const task = new Task(api, status);
  const go = h("button", { type: "button", class: "gan-cf-go" }, "Compute path");
  go.addEventListener("click", async () => {
    if (src.value === dst.value) { status.replaceChildren(message("pick two different classes")); return; }
    api.state.set("cfSource", src.value); api.state.set("cfTarget", dst.value); api.state.set("cfEffort", effort.value);
    const res = await task.run("gan/counterfactual", { run: runId, source: src.value, target: dst.value, ...CF_EFFORT[effort.value] });
    if (!res) return;
    const t = res.class_names.indexOf(res.target);
    out.replaceChildren(
      h("div", { class: "gan-cf-strip", dataset: { source: res.source, target: res.target } }, res.images.map((src_, i) =>
        h("figure", {}, h("img", { src: src_, alt: `α = ${res.alphas[i]}` }),
          h("figcaption", {}, `${num(res.alphas[i]).toFixed(2)}`, h("br"), `p('${res.target}') ${num(res.probs[i][t]).toFixed(2)}`)))),
      h("div", { class: "gan-score" }, `'${res.source}' → '${res.target}': p('${res.target}') reached ${num(res.reached).toFixed(3)}, |Δz| = ${num(res.distance).toFixed(2)}`),
      probChart(res));
  });
  el.append(h("div", { class: "gan-lens-bar" }, h("label", {}, "from ", src), h("label", {}, "to ", dst), h("label", {}, "effort ", effort), go), status, out,
    h("div", { class: "note" }, "From the generated sample the classifier finds most like the source class, the smallest latent change that makes it say the target (p ≥ 0.9); the straight path in between, with the classifier's probabilities along it."));
  return { el, destroy: () => task.destroy() };
}
