// Series arithmetic for the Scalars panel: EMA smoothing, joining runs on one x axis,
// and group statistics (mean ± std). Pure functions over plain arrays.
//   const smooth = ema([1, 2, 3], 0.6);

// TensorBoard-style debiased exponential moving average; non-finite values pass through.
export function ema(values, weight) {
  const out = new Array(values.length);
  const fin = values.filter((v) => v !== null && Number.isFinite(v));
  const constant = fin.every((v) => v === fin[0]); // as TensorBoard: a constant series stays exactly itself
  if (!(weight > 0) || constant) { for (let i = 0; i < values.length; i++) out[i] = values[i]; return out; }
  let last = 0, n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) { out[i] = v; continue; }
    last = last * weight + (1 - weight) * v;
    n += 1;
    out[i] = last / (1 - Math.pow(weight, n));
  }
  return out;
}

// One x array for all series (uPlot's format). When runs share few x values (their own
// steps or wall times) the union can explode; then x snaps to a grid of `resolution` cells.
export function unionX(xsList, resolution) {
  let total = 0, maxLen = 0;
  for (const xs of xsList) { total += xs.length; maxLen = Math.max(maxLen, xs.length); }
  const all = new Float64Array(total);
  let o = 0;
  for (const xs of xsList) { all.set(xs, o); o += xs.length; }
  all.sort();
  const uniq = [];
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) uniq.push(all[i]);
  if (uniq.length <= Math.max(4 * maxLen, 4000)) return { x: uniq, snap: null };
  const lo = uniq[0], hi = uniq[uniq.length - 1], w = (hi - lo) / resolution || 1;
  const snap = (v) => lo + Math.round((v - lo) / w) * w;
  const grid = [...new Set(uniq.map(snap))].sort((a, b) => a - b);
  return { x: grid, snap };
}

// Place each run's values at its x positions in the union (null elsewhere).
export function align(x, snap, xs, cols) {
  if (!snap && xs.length === x.length && xs.every((v, i) => v === x[i])) return cols; // same x: nothing to move
  const pos = new Map();
  for (let i = 0; i < x.length; i++) pos.set(x[i], i);
  const out = cols.map(() => new Array(x.length).fill(null));
  for (let i = 0; i < xs.length; i++) {
    const j = pos.get(snap ? snap(xs[i]) : xs[i]);
    if (j === undefined) continue;
    for (let c = 0; c < cols.length; c++) out[c][j] = cols[c][i];
  }
  return out;
}

// Mean and standard deviation across aligned series at each x (finite values only).
// Gaps are filled by carrying each run's last value forward, so runs logged at
// different steps still average where they overlap.
export function groupStats(aligned) {
  const n = aligned[0]?.length || 0;
  const mean = new Array(n).fill(null), lo = new Array(n).fill(null), hi = new Array(n).fill(null);
  const last = aligned.map(() => null), first = aligned.map((s) => s.findIndex((v) => v !== null));
  const end = aligned.map((s) => { for (let i = s.length - 1; i >= 0; i--) if (s[i] !== null) return i; return -1; });
  for (let i = 0; i < n; i++) {
    let sum = 0, sq = 0, k = 0;
    for (let r = 0; r < aligned.length; r++) {
      const v = aligned[r][i];
      if (v !== null) last[r] = v;
      if (i < first[r] || i > end[r] || first[r] < 0) continue;
      const u = last[r];
      if (u === null || !Number.isFinite(u)) continue;
      sum += u; sq += u * u; k += 1;
    }
    if (!k) continue;
    const m = sum / k, sd = Math.sqrt(Math.max(0, sq / k - m * m));
    mean[i] = m; lo[i] = m - sd; hi[i] = m + sd;
  }
  return { mean, lo, hi };
}

// Index of the point of a sorted array nearest to v (binary search).
export function nearest(xs, v) {
  let a = 0, b = xs.length - 1;
  if (b < 0) return -1;
  while (b - a > 1) { const m = (a + b) >> 1; if (xs[m] <= v) a = m; else b = m; }
  return Math.abs(xs[a] - v) <= Math.abs(xs[b] - v) ? a : b;
}
