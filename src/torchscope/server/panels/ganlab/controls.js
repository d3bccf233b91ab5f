// The settings form of the lab: target (or draw your own), loss, optimizer, learning rates,
// updates per step, noise and network size. A change is sent at once (on "change": Enter, blur,
// a new choice); the lab answers with an error sentence for a bad value, shown by the page.
//   const s = new Settings(options, { change: (changes) => ..., draw: () => ... }); s.sync(config)

import { h } from "../../static/dom.js";

const TARGET_LABELS = { line: "line", mixture: "Gaussian mixture (6)", ring: "ring of 8 Gaussians", moons: "two moons",
  spiral: "spiral", disc: "disc", checkerboard: "checkerboard", drawn: "your drawing" };
const HELP = {
  target: "the real distribution the generator must learn",
  loss: "how D's scores become the two losses (Goodfellow 2014; Mao 2017; Gulrajani 2017; Lim & Ye 2017)",
  optimizer: "a new optimizer starts with fresh state", lr_d: "D's learning rate (1e-4 to 1e-2 work)",
  lr_g: "G's learning rate", d_steps: "D updates per step", g_steps: "G updates per step",
  z_dim: "noise dimension (changing it rebuilds both networks)", noise: "noise distribution",
  hidden: "hidden layers of both MLPs (rebuilds the networks)", width: "units per hidden layer (rebuilds the networks)",
};

export class Settings {
  constructor(options, { change, draw }) {
    this.change = change;
    this.fields = {};
    const sel = (name, choices) => h("select", { name, "aria-label": name, title: HELP[name] },
      choices.map(([v, label]) => h("option", { value: v }, label)));
    const num = (name, mode = "numeric") => h("input", { name, type: "text", inputmode: mode, "aria-label": name,
      title: HELP[name], autocomplete: "off", spellcheck: "false" });
    const f = this.fields;
    f.target = sel("target", [...options.targets, "drawn"].map((t) => [t, TARGET_LABELS[t] || t]));
    f.loss = sel("loss", options.losses.map((l) => [l.name, l.label]));
    f.optimizer = sel("optimizer", options.optimizers.map((o) => [o, o === "sgd" ? "SGD" : "Adam"]));
    f.lr_d = num("lr_d", "decimal"); f.lr_g = num("lr_g", "decimal");
    f.d_steps = num("d_steps"); f.g_steps = num("g_steps");
    f.z_dim = num("z_dim"); f.noise = sel("noise", options.noises.map((n) => [n, n]));
    f.hidden = num("hidden"); f.width = num("width");
    f.target.querySelector('option[value="drawn"]').disabled = true; // chosen by drawing, not from the list
    for (const [name, input] of Object.entries(f)) {
      input.addEventListener("change", () => this.changed(name, input));
      if (input.tagName === "INPUT") input.addEventListener("keydown", (e) => { if (e.key === "Enter") input.blur(); });
    }
    this.drawButton = h("button", { type: "button", class: "gl-btn gl-draw-btn", title: "draw your own target with the mouse or a finger", onclick: draw }, "✎ Draw");
    const row = (label, ...inputs) => h("label", { class: "gl-field" }, h("span", {}, label), h("span", { class: "gl-inputs" }, ...inputs));
    this.el = h("div", { class: "gl-form" },
      row("target", f.target, this.drawButton),
      row("loss", f.loss),
      row("optimizer", f.optimizer),
      row("learning rate D / G", f.lr_d, f.lr_g),
      row("updates per step D / G", f.d_steps, f.g_steps),
      row("noise", f.z_dim, f.noise),
      row("hidden layers × width", f.hidden, f.width));
    this.config = {};
  }

  changed(name, input) {
    let value = input.value.trim();
    if (input.tagName === "INPUT" && value !== "" && Number.isFinite(Number(value))) value = Number(value);
    if (input.tagName === "INPUT" && value === "") { this.sync(this.config, true); return; }
    this.change({ [name]: value });
  }

  // show the lab's settings (fields being edited keep what the user typed)
  sync(config, force = false) {
    this.config = config || {};
    for (const [name, input] of Object.entries(this.fields)) {
      if (!force && document.activeElement === input) continue;
      let v = this.config[name];
      if (name === "target") v = v?.name;
      if (v === undefined || v === null) continue;
      input.value = String(v);
    }
  }
}
