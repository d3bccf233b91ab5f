// The Console panel: a run's captured stdout/stderr as a terminal that follows new output live, and its
// code snapshot (commit, command, diff, package versions).
//   export function render(el, api) -> { destroy() }

import { h, message } from "../../static/dom.js";

function loadCss() {
  const href = new URL("./console.css", import.meta.url).href;
  if (![...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === href)) {
    document.head.append(h("link", { rel: "stylesheet", href }));
  }
}

const SHOWN = ["both", "stdout", "stderr"];

export async function render(el, api) {
  loadCss();
  const runs = api.runs();
  if (!runs.length) { el.replaceChildren(message("Select a run on the left to see its console output and code.")); return {}; }
  const saved = api.state.get("run");
  const run = runs.find((r) => r.id === saved) || runs[0];
  const [tail, code] = await Promise.all([api.json("console/tail", { run: run.id }), api.json("console/code", { run: run.id })]);
  const runSel = runs.length > 1 ? h("select", { "aria-label": "run", onchange: (ev) => { api.state.set("run", ev.target.value); render(el, api); } },
    runs.map((r) => h("option", { value: r.id, selected: r.id === run.id }, r.name))) : run.name;
  const term = new Terminal(api.state);
  const head = h("div", { class: "toolbar" }, h("span", { class: "ev-run" }, h("span", { class: "swatch", style: { background: run.color } }), runSel),
    term.controls());
  const body = [head];
  if (code.code) body.push(codeCard(code.code));
  if (tail.chunks.length || tail.seen.stdout || tail.seen.stderr) body.push(term.card());
  else body.push(message("No console output in this run. Start it with ts.init(..., console=True) to keep what it prints " +
    "(and code=True for the git commit, diff and package versions)."));
  el.replaceChildren(...body);
  term.add(tail);
  let seen = tail.seen, timer = 0, busy = false;
  const more = async () => {
    if (busy) return;
    busy = true;
    try {
      const next = await api.json("console/tail", { run: run.id, ...seen });
      seen = next.seen;
      term.add(next);
    } finally { busy = false; }
  };
  api.on("keys", (evt) => {
    if (evt.run !== run.id || evt.kind !== "text" || !evt.key.startsWith("console/")) return;
    clearTimeout(timer);
    timer = setTimeout(more, 200);
  });
  return { destroy() { clearTimeout(timer); } };
}

class Terminal {
  constructor(state) {
    this.state = state;
    this.shown = state.get("shown", "both");
    this.filter = "";
    this.pre = h("pre", { class: "cs-term", tabindex: 0, "aria-label": "console output" });
    this.count = h("span", { class: "note cs-count" });
    this.lines = 0;
    this.pre.addEventListener("scroll", () => { this.follow = this.atBottom(); });
    this.follow = true;
  }

  atBottom() { return this.pre.scrollHeight - this.pre.scrollTop - this.pre.clientHeight < 24; }

  controls() {
    const seg = h("span", { class: "seg", role: "group", "aria-label": "streams" }, SHOWN.map((s) => h("button", {
      class: s === this.shown ? "on" : "", dataset: { shown: s }, onclick: (ev) => {
        this.shown = s;
        this.state.set("shown", s);
        for (const b of ev.target.parentElement.children) b.classList.toggle("on", b === ev.target);
        this.apply();
      } }, s)));
    const filter = h("input", { type: "search", placeholder: "filter lines", "aria-label": "filter lines", class: "cs-filter",
      oninput: (ev) => { this.filter = ev.target.value.toLowerCase(); this.apply(); } });
    return [seg, filter, this.count];
  }

  card() { return h("section", { class: "card cs-card" }, h("h3", {}, h("span", { class: "title" }, "Console")), this.pre); }

  add({ chunks, skipped }) {
    const stick = this.follow;
    if (skipped && !this.pre.childElementCount) this.pre.append(h("div", { class: "cs-skip" }, `… ${skipped.toLocaleString()} earlier chunks not shown`));
    const frag = document.createDocumentFragment();
    for (const c of chunks) {
      const lines = c.text.replace(/\n$/, "").split("\n");
      lines.forEach((line, i) => {
        frag.append(h("div", { class: `cs-line ${c.stream}`, dataset: { step: c.step } },
          h("span", { class: "cs-step", title: new Date(c.wall * 1000).toLocaleString() }, i === 0 ? String(c.step) : ""), line || " "));
      });
      this.lines += lines.length;
    }
    this.pre.append(frag);
    this.apply();
    if (stick) this.pre.scrollTop = this.pre.scrollHeight;
  }

  apply() {
    let shown = 0;
    for (const row of this.pre.querySelectorAll(".cs-line")) {
      const ok = (this.shown === "both" || row.classList.contains(this.shown)) &&
        (!this.filter || row.textContent.toLowerCase().includes(this.filter));
      row.hidden = !ok;
      shown += ok;
    }
    this.count.textContent = `${shown.toLocaleString()} of ${this.lines.toLocaleString()} lines`;
  }
}

function codeCard(c) {
  const commit = c.commit ? `${c.commit.slice(0, 12)}${c.branch ? ` (${c.branch})` : ""}` : "not a git checkout";
  const facts = [["commit", commit], ["remote", c.remote], ["command", (c.argv || []).join(" ")], ["directory", c.cwd],
    ["Python", `${c.python} (${c.executable})`], ["platform", c.platform]].filter(([, v]) => v);
  const table = h("table", { class: "cs-facts" }, facts.map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v))));
  const badge = c.commit ? h("span", { class: c.dirty ? "cs-dirty" : "cs-clean" }, c.dirty ? "uncommitted changes" : "clean") : null;
  const parts = [h("h3", {}, h("span", { class: "title" }, "Code"), badge), table];
  if (c.diff) {
    const pre = h("pre", { class: "cs-diff" }, c.diff.split("\n").map((line) => h("div", {
      class: line.startsWith("+++") || line.startsWith("---") ? "meta" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : line.startsWith("@@") ? "hunk" : "" }, line || " ")));
    parts.push(h("details", { class: "cs-fold" }, h("summary", {}, `diff against ${c.commit.slice(0, 12)}: ${c.diff.split("\n").length.toLocaleString()} lines` +
      (c.diff_truncated ? " (cut at 1 MiB)" : "")), pre));
  }
  if (c.untracked?.length) parts.push(h("details", { class: "cs-fold" }, h("summary", {}, `${c.untracked.length} untracked files`), h("pre", { class: "cs-diff" }, c.untracked.join("\n"))));
  const pkgs = Object.entries(c.packages || {});
  if (pkgs.length) {
    const rows = h("tbody", {});
    const show = (q) => rows.replaceChildren(...pkgs.filter(([n]) => !q || n.toLowerCase().includes(q)).map(([n, v]) => h("tr", {}, h("td", {}, n), h("td", {}, v))));
    const key = ["torch", "torchvision", "numpy", "torchscope"].map((n) => pkgs.find(([p]) => p.toLowerCase() === n)).filter(Boolean);
    parts.push(h("div", { class: "note cs-key" }, key.map(([n, v]) => `${n} ${v}`).join(" · ")));
    parts.push(h("details", { class: "cs-fold" }, h("summary", {}, `${pkgs.length} packages`),
      h("input", { type: "search", placeholder: "find a package", "aria-label": "find a package", oninput: (ev) => show(ev.target.value.toLowerCase()) }),
      h("table", { class: "cs-pkgs" }, rows)));
    show("");
  }
  for (const n of c.notes || []) parts.push(h("div", { class: "note" }, n));
  return h("section", { class: "card cs-card" }, ...parts);
}
