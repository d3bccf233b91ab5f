// The volume viewer's data: the TSV1 binary format (one plane or a whole downsampled volume, every
// layer of the record), slicing a whole volume here, the three planes' axes and the colour tables.
// Voxels are in canonical RAS+ order: array axes (x, y, z), +x = Right, +y = Anterior, +z = Superior.
//   const vol = decode(await (await fetch(url)).arrayBuffer()); const s = sliceOf(vol, "axial", 40);

// fixed: the axis a plane holds constant; cols/rows: the slice's first and second array axes, both
// shown descending (radiological convention: the subject's right on the screen's left); edges: the
// letters at the left, right, top and bottom of the plane.
export const GEOMETRY = {
  axial: { fixed: 2, cols: 0, rows: 1, edges: ["R", "L", "A", "P"] },
  coronal: { fixed: 1, cols: 0, rows: 2, edges: ["R", "L", "S", "I"] },
  sagittal: { fixed: 0, cols: 1, rows: 2, edges: ["A", "P", "S", "I"] },
};
export const PLANES = Object.keys(GEOMETRY);
const TYPES = { uint8: Uint8Array, uint16: Uint16Array, int16: Int16Array, uint32: Uint32Array, int32: Int32Array,
  float32: Float32Array };

// A TSV1 buffer: "TSV1", uint32 LE header length, JSON header, 8-aligned little-endian arrays.
// -> {shape, stride, plane, index, t, layers: {image: {data, lo, hi}, labels: {data}, pred, heat: {data, signed}}}
export function decode(buf) {
  const bytes = new Uint8Array(buf);
  if (bytes.length < 8 || String.fromCharCode(...bytes.subarray(0, 4)) !== "TSV1") {
    throw new Error("not a torchscope volume (TSV1) buffer");
  }
  const len = new DataView(buf).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
  const n = header.shape.reduce((a, b) => a * b, 1);
  const layers = {};
  for (const L of header.layers) {
    const T = TYPES[L.dtype];
    if (!T) throw new Error(`unknown layer dtype ${L.dtype}`);
    if (L.offset + n * T.BYTES_PER_ELEMENT > buf.byteLength) throw new Error(`layer ${L.name} is truncated`);
    layers[L.name] = { ...L, data: new T(buf, L.offset, n) };
  }
  return { ...header, layers };
}

// The stride of a slice along its columns and rows, whether the header gives two strides or three.
export function sliceStride(s) {
  const g = GEOMETRY[s.plane], st = s.stride || [1, 1];
  return st.length === 3 ? [st[g.cols], st[g.rows]] : st;
}

// One plane of a decoded whole volume (shape [nx, ny, nz], stride [sx, sy, sz]) at full-resolution
// index `index` of the plane's fixed axis: the same layout as a slice from the server.
export function sliceOf(vol, plane, index) {
  const g = GEOMETRY[plane], shape = vol.shape, stride = vol.stride || [1, 1, 1];
  const k = Math.max(0, Math.min(shape[g.fixed] - 1, Math.floor(index / stride[g.fixed])));
  const st = [shape[1] * shape[2], shape[2], 1];
  const a = shape[g.cols], b = shape[g.rows], sa = st[g.cols], sb = st[g.rows], base = k * st[g.fixed];
  const layers = {};
  for (const [name, L] of Object.entries(vol.layers)) {
    const out = new L.data.constructor(a * b);
    for (let i = 0; i < a; i++) {
      const o = i * b, p = base + i * sa;
      for (let j = 0; j < b; j++) out[o + j] = L.data[p + j * sb];
    }
    layers[name] = { ...L, data: out };
  }
  return { shape: [a, b], stride: [stride[g.cols], stride[g.rows]], plane, index: k * stride[g.fixed], t: vol.t, layers };
}

// Window/level as a lookup table over the stored uint16 codes (value = lo + q * (hi - lo) / 65535).
export function windowLut(lo, hi, center, width, out = new Uint8Array(65536)) {
  const w = Math.max(width, 1e-12), a = (hi - lo) / 65535 / w, b = (lo - (center - width / 2)) / w;
  for (let q = 0; q < 65536; q++) {
    const v = (q * a + b) * 255;
    out[q] = v <= 0 ? 0 : v >= 255 ? 255 : v + 0.5;
  }
  return out;
}

// Colour ramps (RGB control points, evenly spaced) as 256-entry tables: inferno for unsigned maps,
// blue-white-red for signed ones (128 is zero), as the library's 2-D overlays.
const RAMPS = {
  inferno: ["000004", "1f0c48", "550f6d", "88226a", "ba3655", "e35933", "f98c0a", "f9c932", "fcffa4"],
  diverging: ["053061", "2166ac", "4393c3", "92c5de", "d1e5f0", "f7f7f7", "fddbc7", "f4a582", "d6604d", "b2182b", "67001f"],
};
const ramps = {};
export function ramp(name) {
  if (ramps[name]) return ramps[name];
  const pts = RAMPS[name].map((c) => [0, 2, 4].map((i) => parseInt(c.slice(i, i + 2), 16)));
  const out = new Uint8Array(768);
  for (let v = 0; v < 256; v++) {
    const x = (v / 255) * (pts.length - 1), i = Math.min(pts.length - 2, Math.floor(x)), f = x - i;
    for (let c = 0; c < 3; c++) out[3 * v + c] = Math.round(pts[i][c] * (1 - f) + pts[i + 1][c] * f);
  }
  return (ramps[name] = out);
}

// Class colours: the record's, else a fixed palette (tab10 without grey) by class id.
export const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#fabed4",
  "#469990", "#dcbeff", "#9a6324", "#fffac8", "#800000", "#aaffc3", "#808000", "#ffd8b1", "#000075"];
export const classColor = (id) => PALETTE[(id - 1 + PALETTE.length) % PALETTE.length];
export function rgbOf(hex) {
  const s = String(hex || "").replace("#", "");
  return s.length === 6 ? [0, 2, 4].map((i) => parseInt(s.slice(i, i + 2), 16)) : [255, 0, 255];
}

// voxel (i, j, k) -> world millimetres through the 4x4 affine
export function toWorld(affine, v) {
  return [0, 1, 2].map((r) => affine[r][0] * v[0] + affine[r][1] * v[1] + affine[r][2] * v[2] + affine[r][3]);
}
