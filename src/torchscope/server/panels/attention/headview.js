// The head view: one layer's heads as lines from each query token (left) to the key tokens (right)
// it attends to, one colour per head, opacity the weight; lines under min_weight are not drawn (as
// torchscope.attention.views.head_view, after bertviz). Hover (or tap) a token to see only its lines:
// a query's to the keys, or a key's from the queries; click a head to hide or show it.
//   const hv = new HeadView({ queries, keys, heads, minWeight }); el.append(hv.el); hv.set(planes, [0, 1, 2])

import { h } from "../../static/dom.js";
import { fmtW, headColor } from "./data.js";

const ROW = 18;

export class HeadView {
  constructor({ queries, keys, heads, minWeight, onHeads }) {
    Object.assign(this, { queries, keys, heads, minWeight, onHeads });
    this.focused = null; // { side: "q" | "k", i }
    this.canvas = h("canvas", { class: "att-lines", "aria-label": "attention lines" });
    const tok = (side) => (t, i) => h("div", { class: "att-tok", dataset: { side, i }, title: t,
      onpointerenter: (ev) => { if (ev.pointerType === "mouse") this.focus(side, i); },
      onclick: () => this.focus(this.focused?.side === side && this.focused.i === i ? null : side, i) }, t === "" ? "␣" : t);
    this.left = h("div", { class: "att-tokens left" }, queries.map(tok("q")));
    this.right = h("div", { class: "att-tokens right" }, keys.map(tok("k")));
    this.chips = h("div", { class: "att-heads", role: "group", "aria-label": "heads" });
    const body = h("div", { class: "att-hv-body", onpointerleave: (ev) => { if (ev.pointerType === "mouse") this.focus(null); } },
      this.left, this.canvas, this.right);
    this.el = h("div", { class: "att-hv" }, this.chips, body);
    this.width = null; // the canvas width last drawn at: draw() sets the height, which must not redraw
    this.drawn = 0; // full draws so far (canvas data-drawn)
    this.resize = new ResizeObserver(() => {
      if (this.destroyed) return; // destroy() disconnects; this guards a callback already queued
      if ((this.canvas.clientWidth || 160) !== this.width) this.draw();
    });
    this.resize.observe(this.canvas);
  }

  set(planes, selected) {
    this.planes = planes;
    this.selected = new Set(selected);
    this.chips.replaceChildren(...Array.from({ length: this.heads }, (_, hd) => {
      const b = h("button", { type: "button", class: `att-chip${this.selected.has(hd) ? " on" : ""}`, dataset: { head: hd },
        title: `show or hide head ${hd}`, onclick: () => this.toggle(hd) }, `h${hd}`);
      b.style.setProperty("--c", headColor(hd, this.heads));
      return b;
    }),
    h("button", { type: "button", class: "att-chip all", onclick: () => this.only(null) }, "all"));
    this.draw();
  }

  toggle(hd) {
    if (this.selected.has(hd)) this.selected.delete(hd);
    else this.selected.add(hd);
    this.set(this.planes, [...this.selected]);
    this.onHeads?.([...this.selected]);
  }

  only(hd) {
    this.set(this.planes, hd === null ? Array.from({ length: this.heads }, (_, i) => i) : [hd]);
    this.onHeads?.([...this.selected]);
  }

  focus(side, i) {
    this.focused = side ? { side, i } : null;
    this.draw();
  }

  destroy() {
    this.destroyed = true;
    this.resize.disconnect();
    this.planes = null; // a draw asked for later (a pointer event, a frame) does nothing
    this.onHeads = null;
  }

  draw() {
    const p = this.planes;
    if (!p || this.destroyed) return;
    const nq = this.queries.length, nk = this.keys.length, n = Math.max(nq, nk), w = this.canvas.clientWidth || 160;
    this.width = w;
    this.drawn += 1;
    const dpr = window.devicePixelRatio || 1, H = n * ROW;
    this.canvas.style.height = `${H}px`;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(H * dpr);
    const ctx = this.canvas.getContext("2d");
    ctx.scale(dpr, dpr);
    ctx.lineCap = "round";
    const f = this.focused, shade = new Float32Array(f?.side === "q" ? nk : nq);
    let lines = 0;
    for (const hd of [...this.selected].sort((a, b) => a - b)) {
      const plane = p.index(`h${hd}`);
      if (plane < 0) continue;
      ctx.strokeStyle = headColor(hd, this.heads);
      ctx.lineWidth = f ? 2 : 1.2;
      for (let i = f?.side === "q" ? f.i : 0; i < (f?.side === "q" ? f.i + 1 : nq); i++) {
        for (let j = f?.side === "k" ? f.i : 0; j < (f?.side === "k" ? f.i + 1 : nk); j++) {
          const v = p.value(plane, i, j);
          if (v < this.minWeight) continue;
          ctx.globalAlpha = Math.min(1, v) * (f ? 1 : 0.9);
          ctx.beginPath();
          ctx.moveTo(0, (i + 0.5) * ROW);
          ctx.lineTo(w, (j + 0.5) * ROW);
          ctx.stroke();
          lines += 1;
          if (f) { const k = f.side === "q" ? j : i; shade[k] = Math.max(shade[k], v); }
        }
      }
    }
    Object.assign(this.canvas.dataset, { lines, focus: f ? `${f.side}${f.i}` : "", drawn: this.drawn });
    for (const [col, side] of [[this.left, "q"], [this.right, "k"]]) {
      [...col.children].forEach((el, i) => {
        const mine = f?.side === side && f.i === i, other = f && f.side !== side;
        el.classList.toggle("on", !!mine);
        el.style.background = other && shade[i] > 0 ? `rgba(238, 76, 44, ${Math.min(1, shade[i]).toFixed(3)})` : "";
        el.title = other ? `${el.textContent}: ${fmtW(shade[i])} (the most over the heads shown)` : el.textContent;
      });
    }
  }
}
