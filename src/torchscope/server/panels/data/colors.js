// Class colours shared by the Data and Projector panels: the same tab10 / tab20 / hues as the
// matplotlib figures of torchscope.data (views/_common.py class_colors), so a class keeps its
// colour between a saved figure and the dashboard.
//   classColors(3) -> ["#1f77b4", "#ff7f0e", "#2ca02c"]

const TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf"];
const TAB20 = ["#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
  "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22",
  "#dbdb8d", "#17becf", "#9edae5"];

export const CORRECT = "#2ca02c";
export const WRONG = "#d62728";

export function classColors(k) {
  if (k <= 10) return TAB10.slice(0, k);
  if (k <= 20) return TAB20.slice(0, k);
  return Array.from({ length: k }, (_, i) => `hsl(${Math.round((360 * i) / k)}, 70%, 48%)`);
}

// "#rrggbb" or "hsl(...)" -> [r, g, b] (0..255), through a 1x1 canvas for anything but hex.
let probe = null;
export function rgb(color) {
  if (/^#[0-9a-f]{6}$/i.test(color)) return [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
  probe ||= document.createElement("canvas").getContext("2d", { willReadFrequently: true });
  probe.clearRect(0, 0, 1, 1);
  probe.fillStyle = color;
  probe.fillRect(0, 0, 1, 1);
  return [...probe.getImageData(0, 0, 1, 1).data.slice(0, 3)];
}

// A diverging blue-white-red colour for v in [-1, 1] (the correlation heatmap's "RdBu_r").
export function diverging(v) {
  if (!Number.isFinite(v)) return "#ddd";
  const t = Math.max(-1, Math.min(1, v));
  const [a, b] = t < 0 ? [[33, 102, 172], [247, 247, 247]] : [[178, 24, 43], [247, 247, 247]];
  const f = Math.abs(t);
  const c = a.map((x, i) => Math.round(b[i] + (x - b[i]) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}
