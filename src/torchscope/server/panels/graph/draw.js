// The Graph panel's canvas: draws a laid-out view (nodes, clusters, edges with tensor shapes) and
// handles pan (drag), zoom (wheel, pinch) and picking. Only what is on screen is drawn; nodes of
// one colour are filled in one path, and text is left out when it would be too small to read,
// so a view of thousands of nodes pans at full frame rate. `nodeStyle(node)` (an option, or set
// `view.nodeStyle` and call `view.draw()`) colours nodes by something else than their family:
// it returns { fill, stroke, text?, dash? } or null for the family colours (the Health panel uses it).
//   const view = graphCanvas(canvas, { onPick(hit), onOpen(hit) }); view.set(layout, depthOf); view.fit();

const DPR = () => window.devicePixelRatio || 1;
const SHADES = ["#f8fafc", "#f1f5f9", "#e9eef5"];
const ACCENT = "#ee4c2c", MATCH = "#f59e0b", PATH = "rgba(238, 76, 44, 0.45)";

function edgePath(p, pts) {
  p.moveTo(pts[0][0], pts[0][1]);
  for (let i = 1; i < pts.length; i++) {
    const [x0, y0] = pts[i - 1], [x1, y1] = pts[i], dy = (y1 - y0) / 2;
    p.bezierCurveTo(x0, y0 + dy, x1, y1 - dy, x1, y1);
  }
}

function bbox(pts) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of pts) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
  return [x0, y0, x1, y1];
}

function fit(ctx, text, width) {
  if (ctx.measureText(text).width <= width) return text;
  let n = Math.max(1, Math.floor(text.length * width / ctx.measureText(text).width) - 1);
  while (n > 1 && ctx.measureText(text.slice(0, n) + "…").width > width) n--;
  return text.slice(0, n) + "…";
}

// A frame's title in `width`: "− features.0 · Conv2d" when it fits, else the type alone ("− Conv2d"),
// else the type cut with "…" (the whole title is the canvas's tooltip on hover).
function clusterTitle(ctx, title, width) {
  const full = `− ${title}`, type = `− ${String(title).split(" · ").pop()}`;
  if (ctx.measureText(full).width <= width) return full;
  return fit(ctx, type, width);
}

export function graphCanvas(canvas, { onPick = () => {}, onOpen = () => {}, nodeStyle = null } = {}) {
  const ctx = canvas.getContext("2d");
  const v = { k: 1, tx: 0, ty: 0, W: 0, H: 0, layout: null, byId: new Map(), drawnIds: [], frames: [],
    selected: null, pathNodes: new Set(), pathEdges: new Set(), matches: new Set(), nodeStyle };
  let clusters = [], edges = [], nodes = [], queued = false;

  v.set = (layout, depthOf, canOpen = (n) => n.expandable) => {
    v.layout = layout;
    nodes = layout.nodes.map((n) => ({ ...n, openable: canOpen(n) }));
    v.byId = new Map(nodes.map((n) => [n.id, n]));
    edges = layout.edges.map((e) => ({ ...e, box: bbox(e.points) }));
    clusters = layout.clusters.map((c) => ({ ...c, depth: depthOf(c.id) })).sort((a, b) => a.depth - b.depth);
    v.draw();
  };

  v.resize = () => {
    const r = canvas.getBoundingClientRect();
    v.W = r.width; v.H = r.height;
    canvas.width = Math.round(r.width * DPR()); canvas.height = Math.round(r.height * DPR());
    v.draw();
  };

  v.fit = () => {
    if (!v.layout) return;
    const { width, height } = v.layout, pad = 24;
    v.k = Math.min(1.4, (v.W - 2 * pad) / Math.max(width, 1), (v.H - 2 * pad) / Math.max(height, 1));
    v.tx = (v.W - width * v.k) / 2; v.ty = Math.max(pad, (v.H - height * v.k) / 2);
    v.draw();
  };

  v.fitTop = () => {  // readable first view: the full width (at most 1:1), from the top when too tall
    if (!v.layout) return;
    const { width, height } = v.layout, pad = 24;
    const k = Math.min(1, (v.W - 2 * pad) / Math.max(width, 1));
    if (height * k + 2 * pad <= v.H || k < 0.2) return v.fit();
    v.k = k; v.tx = (v.W - width * k) / 2; v.ty = pad; v.draw();
  };

  v.center = (x, y, k = v.k) => { v.k = k; v.tx = v.W / 2 - x * k; v.ty = v.H / 2 - y * k; v.draw(); };
  v.focus = (id) => {
    const n = v.byId.get(id);
    if (n) v.center(n.x, n.y, Math.max(v.k, Math.min(1.2, v.W / 500)));
  };
  v.toScreen = (x, y) => [x * v.k + v.tx, y * v.k + v.ty];
  v.zoomAt = (sx, sy, f) => {
    const k = Math.min(8, Math.max(0.01, v.k * f));
    v.tx = sx - (sx - v.tx) * k / v.k; v.ty = sy - (sy - v.ty) * k / v.k; v.k = k; v.draw();
  };

  v.hit = (sx, sy) => {
    const x = (sx - v.tx) / v.k, y = (sy - v.ty) / v.k;
    for (const n of nodes) {
      const badge = n.openable && v.k >= 0.42 && Math.hypot(x - (n.x + n.w / 2 - 1), y - (n.y - n.h / 2 + 1)) <= 9 / v.k;
      if (badge || (Math.abs(x - n.x) <= n.w / 2 && Math.abs(y - n.y) <= n.h / 2)) return { node: n, badge };
    }
    for (let i = clusters.length - 1; i >= 0; i--) {
      const [x0, y0, x1] = clusters[i].box;
      if (x >= x0 && x <= x1 && y >= y0 && y <= y0 + 20) return { cluster: clusters[i] };
    }
    return null;
  };

  v.draw = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; paint(); });
  };

  function paint() {
    const t0 = performance.now(), dpr = DPR();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
    v.drawnIds = [];
    if (!v.layout) return;
    const { k } = v, pal = v.layout.palette;
    ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * v.tx, dpr * v.ty);
    const vx0 = -v.tx / k, vy0 = -v.ty / k, vx1 = (v.W - v.tx) / k, vy1 = (v.H - v.ty) / k;
    const on = (x0, y0, x1, y1) => x1 >= vx0 && x0 <= vx1 && y1 >= vy0 && y0 <= vy1;
    const text = k >= 0.42, px = 1 / k;
    // clusters (expanded modules), outermost first
    ctx.lineWidth = px;
    for (const c of clusters) {
      const [x0, y0, x1, y1] = c.box;
      if (!on(x0, y0, x1, y1)) continue;
      ctx.beginPath(); ctx.roundRect(x0, y0, x1 - x0, y1 - y0, 8);
      ctx.fillStyle = SHADES[c.depth % 3]; ctx.fill();
      ctx.strokeStyle = v.selected === c.id ? ACCENT : "#cbd5e1"; ctx.stroke();
      if (text) {
        ctx.font = "600 11px system-ui, sans-serif"; ctx.fillStyle = "#475569"; ctx.textBaseline = "middle";
        ctx.fillText(clusterTitle(ctx, c.title, x1 - x0 - 14), x0 + 7, y0 + 11);
      }
    }
    // edges: one stroke for the plain ones, then the highlighted path
    const plain = new Path2D(), hot = new Path2D(), labels = [];
    for (let i = 0; i < edges.length; i++) {
      const e = edges[i], [x0, y0, x1, y1] = e.box;
      if (!on(x0, y0, x1, y1)) continue;
      edgePath(v.pathEdges.has(i) ? hot : plain, e.points);
      if (text && e.label) labels.push(e);
    }
    ctx.strokeStyle = "#94a3b8"; ctx.lineWidth = Math.max(1.1, 0.6 * px); ctx.stroke(plain);
    ctx.strokeStyle = ACCENT; ctx.lineWidth = Math.max(2.2, 1.2 * px); ctx.stroke(hot);
    if (k >= 0.3) arrows(edges, on);
    if (labels.length) {
      ctx.font = "9px system-ui, sans-serif"; ctx.textBaseline = "alphabetic"; ctx.lineWidth = 3;
      ctx.strokeStyle = "rgba(255,255,255,.9)"; ctx.fillStyle = "#64748b";
      const seen = new Set();
      for (const e of labels) {
        const tag = e.src + "|" + e.label;
        if (seen.has(tag)) continue;
        seen.add(tag);
        const [xa, ya] = e.points[0], [xb, yb] = e.points[1];
        const lx = xa + (xb - xa) * 0.3 + 5, ly = ya + Math.min(12, (yb - ya) * 0.5 + 3);
        ctx.strokeText(e.label, lx, ly); ctx.fillText(e.label, lx, ly);
      }
    }
    // nodes, batched by colour (the family's, or nodeStyle's)
    const byColour = new Map(), shown = [], style = v.nodeStyle;
    for (const n of nodes) {
      if (!on(n.x - n.w / 2, n.y - n.h / 2, n.x + n.w / 2 + 6, n.y + n.h / 2 + 6)) continue;
      shown.push(n); v.drawnIds.push(n.id);
      const s = style ? style(n) : null;
      n.text = s?.text;
      const tag = s ? `${s.fill}|${s.stroke}|${s.dash}` : n.cat;
      if (!byColour.has(tag)) {
        const [fill, stroke] = s ? [s.fill, s.stroke] : pal[n.cat] || pal.module;
        byColour.set(tag, { fill, stroke, dash: s?.dash, list: [] });
      }
      byColour.get(tag).list.push(n);
    }
    const round = k * 6 > 1.5;
    for (const { fill, stroke, dash, list } of byColour.values()) {
      const p = new Path2D(), back = new Path2D();
      for (const n of list) {
        if (n.repeat) (round ? back.roundRect(n.x - n.w / 2 + 5, n.y - n.h / 2 + 5, n.w, n.h, 6) : back.rect(n.x - n.w / 2 + 5, n.y - n.h / 2 + 5, n.w, n.h));
        if (round) p.roundRect(n.x - n.w / 2, n.y - n.h / 2, n.w, n.h, 6); else p.rect(n.x - n.w / 2, n.y - n.h / 2, n.w, n.h);
      }
      ctx.lineWidth = Math.max(1, 0.5 * px); ctx.strokeStyle = stroke;
      if (dash) ctx.setLineDash(dash.map((d) => d * px));
      ctx.fillStyle = fill; ctx.fill(back); ctx.stroke(back); ctx.fill(p); ctx.stroke(p);
      if (dash) ctx.setLineDash([]);
    }
    for (const n of shown) {
      const ring = v.selected === n.id ? [ACCENT, 3] : v.matches.has(n.id) ? [MATCH, 3] : v.pathNodes.has(n.id) ? [PATH, 1.5] : null;
      if (ring) {
        ctx.beginPath(); ctx.roundRect(n.x - n.w / 2 - 2, n.y - n.h / 2 - 2, n.w + 4, n.h + 4, 7);
        ctx.strokeStyle = ring[0]; ctx.lineWidth = Math.max(ring[1], 2 * px); ctx.stroke();
      }
    }
    if (text) labelsOf(shown, pal);
    v.frames.push(performance.now() - t0);
    if (v.frames.length > 600) v.frames.splice(0, 300);
  }

  function arrows(list, on) {
    const p = new Path2D(), q = new Path2D();
    for (let i = 0; i < list.length; i++) {
      const pts = list[i].points, [x, y] = pts[pts.length - 1];
      if (!on(x - 4, y - 6, x + 4, y)) continue;
      const t = v.pathEdges.has(i) ? q : p;
      t.moveTo(x - 3.5, y - 6); t.lineTo(x + 3.5, y - 6); t.lineTo(x, y); t.closePath();
    }
    ctx.fillStyle = "#94a3b8"; ctx.fill(p); ctx.fillStyle = ACCENT; ctx.fill(q);
  }

  function labelsOf(shown, pal) {
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    for (const n of shown) {
      const w = n.w - 10;
      ctx.fillStyle = n.text || "#0f172a"; ctx.font = `${n.kind === "op" ? 400 : 600} 11px system-ui, sans-serif`;
      const title = n.title;
      if (n.sub) {
        ctx.fillText(fit(ctx, title, w), n.x, n.y - 6);
        ctx.font = "10px system-ui, sans-serif"; ctx.fillStyle = n.text || "#475569";
        ctx.fillText(fit(ctx, n.sub, w), n.x, n.y + 8);
      } else ctx.fillText(fit(ctx, title, w), n.x, n.y);
      if (n.openable) {
        const cx = n.x + n.w / 2 - 1, cy = n.y - n.h / 2 + 1;
        ctx.beginPath(); ctx.arc(cx, cy, 6, 0, 2 * Math.PI);
        ctx.fillStyle = "#fff"; ctx.fill(); ctx.strokeStyle = (pal[n.cat] || pal.module)[1]; ctx.lineWidth = 1; ctx.stroke();
        ctx.fillStyle = "#334155"; ctx.font = "700 10px system-ui, sans-serif"; ctx.fillText("+", cx, cy + 0.5);
      }
    }
    ctx.textAlign = "start";
  }

  // pointer input: drag to pan, two fingers to pinch, a short tap/click to pick
  const pts = new Map();
  let moved = 0, pinch = null;
  const local = (e) => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  canvas.addEventListener("pointerdown", (e) => {
    canvas.setPointerCapture(e.pointerId); pts.set(e.pointerId, local(e)); moved = 0; pinch = null;
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!pts.has(e.pointerId)) return;
    const [x, y] = local(e), [px0, py0] = pts.get(e.pointerId);
    pts.set(e.pointerId, [x, y]);
    if (pts.size === 2) {
      const [[ax, ay], [bx, by]] = [...pts.values()], d = Math.hypot(ax - bx, ay - by), mx = (ax + bx) / 2, my = (ay + by) / 2;
      if (pinch) { v.tx += mx - pinch.mx; v.ty += my - pinch.my; v.zoomAt(mx, my, d / pinch.d); }
      pinch = { d, mx, my }; moved += 10;
      return;
    }
    moved += Math.abs(x - px0) + Math.abs(y - py0);
    v.tx += x - px0; v.ty += y - py0; v.draw();
  });
  const up = (e) => {
    if (!pts.has(e.pointerId)) return;
    pts.delete(e.pointerId);
    if (pts.size === 0 && moved < 6 && e.type === "pointerup") onPick(v.hit(...local(e)), e);
    if (pts.size < 2) pinch = null;
  };
  canvas.addEventListener("pointerup", up);
  canvas.addEventListener("pointercancel", up);
  canvas.addEventListener("dblclick", (e) => onOpen(v.hit(...local(e))));
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    const [x, y] = local(e);
    v.zoomAt(x, y, Math.exp(-e.deltaY * (e.deltaMode ? 0.05 : 0.0015)));
  }, { passive: false });
  canvas._graph = v;  // read by the browser tests: what was drawn, where, and frame times
  return v;
}
