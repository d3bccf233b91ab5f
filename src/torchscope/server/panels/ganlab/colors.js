// Colours of the GAN lab, shared with the matplotlib renderer (gan/lab/render.py): green is real,
// purple is generated; D's heat map shades from purple ("fake") through white to green ("real").
//   heatLUT[v * 3 .. v * 3 + 2] = r, g, b of a heat value v in 0..255

export const REAL = "#1b7837";
export const FAKE = "#762a83";
export const INK = "#1f2330";
const STOPS = ["#9970ab", "#e7d4e8", "#f7f7f7", "#d9f0d3", "#5aae61"];

const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

export const heatLUT = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  const stops = STOPS.map(rgb);
  for (let v = 0; v < 256; v++) {
    const t = (v / 255) * (stops.length - 1), i = Math.min(Math.floor(t), stops.length - 2), f = t - i;
    for (let c = 0; c < 3; c++) lut[v * 3 + c] = stops[i][c] + (stops[i + 1][c] - stops[i][c]) * f;
  }
  return lut;
})();

export function heatColor(p) { // p in 0..1 (D's decision) -> css colour
  const v = Math.max(0, Math.min(255, Math.round(p * 255))) * 3;
  return `rgb(${heatLUT[v]},${heatLUT[v + 1]},${heatLUT[v + 2]})`;
}
