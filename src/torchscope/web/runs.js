// The run list: search, project/tag filters, colour per run, status, selection, and
// rename / tag / archive / delete (with confirmation). Names are only ever set as text.
//   const list = new RunList(el, client, { onChange: (selectedRuns) => ... });

import { colorFor, fmtDate, fmtNum, h } from "./dom.js";

const STORE_KEY = "torchscope.runs";

export class RunList {
  constructor(el, client, { onChange }) {
    this.el = el;
    this.client = client;
    this.onChange = onChange;
    this.runs = [];
    const saved = JSON.parse(localStorage.getItem(STORE_KEY) || "{}");
    this.filter = { text: "", project: saved.project || "", tag: "", archived: false };
    this.manual = saved.manual ? new Set(saved.selected || []) : null; // null: every visible run
    this.open = new Set();
    this.build();
  }

  build() {
    const projectSel = h("select", { class: "project", "aria-label": "project", onchange: (e) => this.set("project", e.target.value) });
    const tagSel = h("select", { class: "tag", "aria-label": "tag", onchange: (e) => this.set("tag", e.target.value) });
    this.projectSel = projectSel;
    this.tagSel = tagSel;
    this.listEl = h("ul", { class: "runs" });
    this.countEl = h("span", { class: "count" });
    this.el.replaceChildren(
      h("input", { class: "search", type: "search", placeholder: "search runs", "aria-label": "search runs",
        oninput: (e) => this.set("text", e.target.value) }),
      h("div", { class: "filters" }, projectSel, tagSel),
      h("div", { class: "filters" },
        h("label", {}, h("input", { type: "checkbox", class: "show-archived", onchange: (e) => this.set("archived", e.target.checked) }), " archived"),
        h("button", { class: "link", onclick: () => this.selectAll(true) }, "all"),
        h("button", { class: "link", onclick: () => this.selectAll(false) }, "none"),
        this.countEl),
      this.listEl);
  }

  set(field, value) { this.filter[field] = value; this.save(); this.render(); this.changed(); }

  save() {
    localStorage.setItem(STORE_KEY, JSON.stringify({ project: this.filter.project, manual: !!this.manual,
      selected: this.manual ? [...this.manual] : [] }));
  }

  async reload() {
    const { runs } = await this.client.json("runs");
    this.runs = runs.map((r) => ({ ...r, color: colorFor(r.id) }));
    this.render();
    this.changed();
  }

  visible() {
    const f = this.filter, text = f.text.toLowerCase();
    return this.runs.filter((r) => (f.archived || !r.archived) && (!f.project || r.project === f.project)
      && (!f.tag || r.tags.includes(f.tag))
      && (!text || `${r.name} ${r.id} ${r.project} ${r.tags.join(" ")}`.toLowerCase().includes(text)));
  }

  selected() {
    return this.visible().filter((r) => (this.manual ? this.manual.has(r.id) : true));
  }

  changed() {
    const sig = this.selected().map((r) => `${r.id}:${r.name}:${r.status}`).join("|");
    if (sig !== this.lastSig) { this.lastSig = sig; this.onChange(this.selected()); }
  }

  selectAll(on) {
    this.manual = on ? null : new Set();
    this.save(); this.render(); this.changed();
  }

  toggle(run, on) {
    if (!this.manual) this.manual = new Set(this.visible().map((r) => r.id));
    if (on) this.manual.add(run.id); else this.manual.delete(run.id);
    this.save(); this.changed(); this.renderCount();
  }

  options(sel, values, current, all) {
    sel.replaceChildren(h("option", { value: "" }, all), ...values.map((v) => h("option", { value: v }, v)));
    sel.value = values.includes(current) ? current : "";
  }

  renderCount() { this.countEl.textContent = `${this.selected().length}/${this.runs.length}`; }

  render() {
    const projects = [...new Set(this.runs.map((r) => r.project))].sort();
    const tags = [...new Set(this.runs.flatMap((r) => r.tags))].sort();
    this.options(this.projectSel, projects, this.filter.project, "all projects");
    this.options(this.tagSel, tags, this.filter.tag, "all tags");
    const sel = new Set(this.selected().map((r) => r.id));
    this.listEl.replaceChildren(...this.visible().map((r) => this.item(r, sel.has(r.id))));
    if (!this.runs.length) this.listEl.append(h("li", { class: "note" }, "No runs yet: log one with ts.init()."));
    this.renderCount();
  }

  item(run, selected) {
    const details = this.open.has(run.id) ? this.details(run) : null;
    return h("li", { class: `run ${run.archived ? "archived" : ""}`, dataset: { run: run.id } },
      h("div", { class: "row" },
        h("input", { type: "checkbox", checked: selected, "aria-label": "show run",
          onchange: (e) => this.toggle(run, e.target.checked) }),
        h("span", { class: "swatch", style: { background: run.color } }),
        h("button", { class: "name link", title: `${run.name} (${run.id})`,
          onclick: () => { this.open.has(run.id) ? this.open.delete(run.id) : this.open.add(run.id); this.render(); } },
          run.name),
        h("span", { class: `status ${run.status}`, title: run.error || run.status }, run.status)),
      details);
  }

  details(run) {
    const cfg = Object.entries(run.config || {});
    const act = (label, fn, cls = "") => h("button", { class: `small ${cls}`, onclick: fn }, label);
    return h("div", { class: "details" },
      h("div", { class: "meta" }, `${run.project} · ${fmtDate(run.created)} · ${run.id}`),
      run.tags.length ? h("div", { class: "tags" }, run.tags.map((t) => h("span", { class: "chip" }, t))) : null,
      cfg.length ? h("table", { class: "cfg" }, cfg.map(([k, v]) =>
        h("tr", {}, h("td", {}, k), h("td", {}, typeof v === "object" ? JSON.stringify(v) : fmtNum(v))))) : null,
      run.error ? h("pre", { class: "error" }, run.error) : null,
      h("div", { class: "actions" },
        act("rename", () => this.rename(run)), act("tags", () => this.retag(run)),
        act(run.archived ? "unarchive" : "archive", () => this.patch(run, { archived: !run.archived })),
        act("delete", () => this.remove(run), "danger")));
  }

  async patch(run, body) {
    try { await this.client.send("PATCH", `runs/${encodeURIComponent(run.id)}`, body); }
    catch (e) { alert(`Could not update the run: ${e.message}`); }
    await this.reload();
  }

  rename(run) {
    const name = prompt("New name for the run", run.name);
    if (name && name.trim() && name !== run.name) this.patch(run, { name: name.trim() });
  }

  retag(run) {
    const tags = prompt("Tags (comma separated)", run.tags.join(", "));
    if (tags !== null) this.patch(run, { tags: tags.split(",").map((t) => t.trim()).filter(Boolean) });
  }

  async remove(run) {
    if (!confirm(`Delete run "${run.name}" and everything logged in it? This cannot be undone.`)) return;
    try { await this.client.send("DELETE", `runs/${encodeURIComponent(run.id)}`); }
    catch (e) { alert(`Could not delete the run: ${e.message}`); }
    await this.reload();
  }
}
