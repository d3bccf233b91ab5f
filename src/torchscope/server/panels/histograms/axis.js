// Axis ticks for the histogram drawings: "nice" values (1, 2 or 5 times a power of ten) and labels
// that share one format (the same decimals, or the same exponent style for very small or large
// values), placed so that none is cut by the canvas edge.
//   niceTicks(-1.29e-4, 1.31e-4, 5) -> { ticks: [-1e-4, -5e-5, 0, 5e-5, 1e-4], step: 5e-5 }
//   tickLabels([-1e-4, 0, 1e-4], 1e-4) -> ["-1e-4", "0", "1e-4"]

// At most about `count` ticks inside [lo, hi], at multiples of a 1/2/5 step.
export function niceTicks(lo, hi, count = 5) {
  if (!(Number.isFinite(lo) && Number.isFinite(hi)) || !(hi > lo)) {
    const v = Number.isFinite(lo) ? lo : 0;
    return { ticks: [v], step: Math.abs(v) || 1 };
  }
  const raw = (hi - lo) / Math.max(1, count), mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999) || 10 * mag;
  const ticks = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(clean(k * step, step));
  return { ticks, step };
}

// k * step computed in floating point (0.30000000000000004): rounded to the step's own precision.
function clean(v, step) {
  if (Math.abs(v) < step * 1e-9) return 0;
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(v.toFixed(Math.min(100, digits)));
}

// Labels for ticks `step` apart, all in one format.
export function tickLabels(ticks, step) {
  const big = Math.max(...ticks.map(Math.abs));
  if (big !== 0 && (big >= 1e5 || big < 1e-3)) { // exponent style, with as many digits as the step needs
    return ticks.map((v) => {
      if (v === 0) return "0";
      const d = Math.max(0, Math.floor(Math.log10(Math.abs(v))) - Math.floor(Math.log10(step)));
      return v.toExponential(Math.min(20, d)).replace(/\.?0+e/, "e").replace("e+", "e");
    });
  }
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return ticks.map((v) => v.toFixed(Math.min(20, decimals)));
}

// Where to draw a label centred at x so that it stays inside [0, width]: the text's left edge.
export function fitLabel(x, textWidth, width) {
  return Math.min(Math.max(0, x - textWidth / 2), Math.max(0, width - textWidth));
}
