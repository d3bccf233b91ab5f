// Save and load a lab state (a .pt file from torch.save), and export the lab over time as an
// animated GIF or a zip of PNG frames (rendered on the server by the engine's export functions).
//   const f = new FileBar(page); el.append(f.el)

import { h } from "../../static/dom.js";

export class FileBar {
  constructor(page) {
    this.page = page;
    this.fileInput = h("input", { type: "file", accept: ".pt,application/octet-stream", hidden: true, class: "gl-file",
      onchange: (e) => this.load(e.target.files[0]) });
    this.curves = h("input", { type: "checkbox", class: "gl-export-curves" });
    this.note = h("span", { class: "gl-files-note", "aria-live": "polite" });
    const b = (label, cls, onclick, title) => h("button", { type: "button", class: `gl-btn ${cls}`, onclick, title }, label);
    this.buttons = [
      b("⬇ Save state", "gl-save", () => this.save(), "download this lab (settings, weights, curves) as a .pt file"),
      b("⬆ Load state", "gl-load", () => this.fileInput.click(), "continue from a saved .pt file"),
      b("GIF", "gl-export-gif", () => this.export("gif"), "the lab over time as an animated GIF"),
      b("PNG frames", "gl-export-png", () => this.export("png"), "the lab over time as numbered PNG frames (zip)"),
    ];
    this.el = h("div", { class: "gl-files" },
      h("div", { class: "gl-file-row" }, this.buttons[0], this.buttons[1], this.fileInput),
      h("div", { class: "gl-file-row" }, h("span", { class: "gl-files-label" }, "Export"), this.buttons[2], this.buttons[3],
        h("label", { class: "gl-toggle" }, this.curves, "with curves")),
      this.note);
    this.lastDownload = null;
  }

  get session() { return this.page.stream?.session; }

  busy(text) { // text: working (buttons off); no text: done (buttons on, the note stays)
    if (text) this.note.textContent = text;
    for (const btn of this.buttons) btn.disabled = !!text;
  }

  async download(path, params, what) {
    const r = await fetch(this.page.api.url(path, { session: this.session, ...params }), { credentials: "same-origin" });
    if (!r.ok) {
      const msg = await r.json().then((d) => d.error).catch(() => r.statusText);
      throw new Error(`${what} failed: ${msg}`);
    }
    const blob = await r.blob();
    const name = (r.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/)?.[1] || "ganlab";
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    this.lastDownload = { name, size: blob.size, type: blob.type, frames: Number(r.headers.get("X-Frames") || 0) };
    return this.lastDownload;
  }

  async save() {
    this.busy("saving…");
    try {
      const d = await this.download("ganlab/save", {}, "Saving");
      this.note.textContent = `saved ${d.name} (${Math.round(d.size / 1024)} KB)`;
    } catch (e) { this.note.textContent = ""; this.page.showError(e.message); } finally { this.busy(); }
  }

  async load(file) {
    if (!file) return;
    this.busy(`loading ${file.name}…`);
    try {
      const r = await fetch(this.page.api.url("ganlab/load", { session: this.session }), { method: "POST",
        credentials: "same-origin", headers: { "Content-Type": "application/octet-stream" }, body: file });
      const data = await r.json().catch(() => ({ ok: false, error: r.statusText }));
      if (!data.ok) { this.note.textContent = ""; this.page.showError(`Loading ${file.name} failed: ${data.error}`); }
      else { this.page.clearError(); this.note.textContent = `loaded ${file.name}: step ${data.step}, paused`; }
    } finally { this.fileInput.value = ""; this.busy(); }
  }

  async export(format) {
    const curves = this.curves.checked;
    this.busy(`rendering ${format === "gif" ? "a GIF" : "PNG frames"}${curves ? " with curves" : ""}… (a few seconds)`);
    try {
      const d = await this.download("ganlab/export", { format, curves: curves ? 1 : 0, frames: curves ? 20 : 40 }, "Export");
      this.note.textContent = `${d.name}: ${d.frames} frames, ${Math.round(d.size / 1024)} KB`;
    } catch (e) { this.note.textContent = ""; this.page.showError(e.message); } finally { this.busy(); }
  }
}
