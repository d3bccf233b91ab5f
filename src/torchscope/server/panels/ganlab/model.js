// The model overview: noise -> generator -> generated samples -> discriminator (with the real
// samples) -> loss -> gradients, which flow back into both networks. The edges of what happens
// now are animated: everything while playing, the phase's own edges in slow motion, the D or G
// path after a single step. Two layouts: one row (wide) or a snake over three rows (phone).
//   const m = new ModelView(); m.update(frame, { playing, pulse }); m.layout(width)

import { fmtNum, h } from "../../static/dom.js";

const NS = "http://www.w3.org/2000/svg";
const SHORT = { minimax: "minimax", nonsaturating: "non-sat.", lsgan: "LSGAN", "wgan-gp": "WGAN-GP", hinge: "hinge" };
const W = 104, HT = 50;

const WIDE = { w: 660, h: 178, nodes: {
  z: [6, 16], g: [136, 16], fake: [266, 16], real: [266, 106], d: [404, 61], loss: [548, 16], grad: [548, 106] },
edges: {
  zg: "M110 41 H136", gf: "M240 41 H266", fd: "M370 41 C387 41 387 86 404 86", rd: "M370 131 C387 131 387 86 404 86",
  dl: "M508 86 C528 86 528 41 548 41", lg: "M600 66 V106", gd: "M548 131 C528 131 528 100 508 100",
  gg: "M600 156 V170 H188 V66" } };

const NARROW = { w: 372, h: 276, nodes: {
  z: [4, 22], g: [126, 22], fake: [248, 22], d: [126, 118], real: [248, 118], loss: [4, 118], grad: [4, 214] },
edges: {
  zg: "M108 47 H126", gf: "M230 47 H248", fd: "M300 72 V90 H178 V118", rd: "M248 143 H230",
  dl: "M126 143 H108", lg: "M56 168 V214", gd: "M108 239 H178 V168",
  gg: "M108 259 H362 V6 H200 V22" } };

// which edges carry data in each slow-motion phase, and which boxes are involved
const PHASES = {
  sample: { edges: ["zg", "gf"], nodes: ["z", "g", "fake", "real"] },
  classify: { edges: ["fd", "rd"], nodes: ["fake", "real", "d"] },
  loss: { edges: ["dl"], nodes: ["d", "loss"] },
  gradients: { edges: ["lg"], nodes: ["loss", "grad"] },
  update: { edges: ["gd", "gg"], nodes: ["grad", "d", "g"] },
};
const PATHS = { both: Object.keys(WIDE.edges), d: ["zg", "gf", "fd", "rd", "dl", "lg", "gd"],
  g: ["zg", "gf", "fd", "dl", "lg", "gg"] };

function svg(tag, attrs, ...kids) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const k of kids) el.append(k);
  return el;
}

export class ModelView {
  constructor() {
    this.el = h("div", { class: "gl-model" });
    this.narrow = null;
    this.texts = {};
    this.titles = {};
    this.layout(600);
  }

  layout(width) {
    const narrow = width < 520;
    if (narrow === this.narrow) return;
    this.narrow = narrow;
    const L = narrow ? NARROW : WIDE;
    const root = svg("svg", { viewBox: `0 0 ${L.w} ${L.h}`, class: "gl-model-svg", role: "img",
      "aria-label": "model overview: noise, generator, samples, discriminator, loss, gradients" });
    root.append(svg("defs", {}, svg("marker", { id: "gl-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, svg("path", { d: "M0 0 L10 5 L0 10 z", class: "gl-arrowhead" }))));
    this.edges = {};
    for (const [id, d] of Object.entries(L.edges)) {
      const back = id === "gd" || id === "gg";
      const p = svg("path", { d, class: `gl-edge${back ? " back" : ""}`, "marker-end": "url(#gl-arrow)", "data-edge": id });
      this.edges[id] = p;
      root.append(p);
    }
    const boxes = { z: ["noise z", "gl-z"], g: ["Generator", "gl-g"], fake: ["generated x̃", "gl-fake"],
      real: ["real x", "gl-real"], d: ["Discriminator", "gl-d"], loss: ["loss", "gl-loss"], grad: ["gradient norms", "gl-grad"] };
    this.nodes = {};
    for (const [id, [title, cls]] of Object.entries(boxes)) {
      const [x, y] = L.nodes[id];
      const sub = svg("text", { x: x + W / 2, y: y + 38, class: "gl-node-sub" });
      const head = svg("text", { x: x + W / 2, y: y + 20, class: "gl-node-title" }, title);
      const g = svg("g", { class: `gl-node ${cls}`, "data-node": id },
        svg("rect", { x, y, width: W, height: HT, rx: 8 }), head, sub);
      this.nodes[id] = g;
      this.texts[id] = sub;
      this.titles[id] = head;
      root.append(g);
    }
    this.el.replaceChildren(root);
    if (this.lastArgs) this.update(...this.lastArgs);
  }

  // f: the newest frame (with config); mode: { playing, pulse: "both"|"d"|"g"|null }
  update(f, mode) {
    this.lastArgs = [f, mode];
    const c = f.config || {}, lt = f.latest || {}, t = this.texts;
    const tname = c.target?.name || "";
    t.z.textContent = `${c.noise || ""}, ${c.z_dim ?? ""}-D`;
    t.g.textContent = `${c.hidden ?? ""} × ${c.width ?? ""} MLP`;
    t.fake.textContent = `D(x̃) ${fmt(lt.d_fake)}`;
    this.titles.real.textContent = tname ? `real x · ${tname}` : "real x";
    t.real.textContent = `D(x) ${fmt(lt.d_real)}`;
    t.d.textContent = `${c.hidden ?? ""} × ${c.width ?? ""} · ${c.optimizer || ""}`;
    this.titles.loss.textContent = `loss: ${SHORT[c.loss] || c.loss || ""}`;
    t.loss.textContent = `D ${fmt(lt.d_loss)} · G ${fmt(lt.g_loss)}`;
    t.grad.textContent = `D ${fmt(lt.d_grad)} · G ${fmt(lt.g_grad)}`;
    const ph = f.phase && f.phase.name ? PHASES[f.phase.name] : null;
    const edges = ph ? ph.edges : mode.playing ? PATHS.both : mode.pulse ? PATHS[mode.pulse] : [];
    const nodes = ph ? ph.nodes : [];
    for (const [id, p] of Object.entries(this.edges)) p.classList.toggle("flow", edges.includes(id));
    for (const [id, g] of Object.entries(this.nodes)) g.classList.toggle("on", nodes.includes(id));
    this.el.classList.toggle("phase", !!ph);
  }
}

function fmt(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "–";
  return Math.abs(v) >= 100 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(1) : fmtNum(Number(v.toFixed(2)));
}
