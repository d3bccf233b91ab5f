// What the Attention panel's views share: the planes frame (server/panels/attention/frame.py),
// colour maps, head and token colours, block maxima.
//   const f = await fetchPlanes(api, "attention/layer", { run, key, step, layer: 1 });
//   f.value(p, i, j) -> the weight of plane p at row i, column j

// matplotlib's viridis and inferno, 256 RGB entries each (the library's heat maps and rollout)
const HEX = {
  viridis: "44015444025645045745055946075a46085c460a5d460b5e470d60470e6147106347116447136548146748166848176948186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f854240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f881fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad8128ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc743fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc8635ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21ad8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725",
  inferno: "00000401000501010601010802010a02020c02020e03021004031204031405041706041907051b08051d09061f0a07220b07240c08260d08290e092b10092d110a30120a32140b34150b37160b39180c3c190c3e1b0c411c0c431e0c451f0c48210c4a230c4c240c4f260c51280b53290b552b0b572d0b592f0a5b310a5c320a5e340a5f3609613809623909633b09643d09653e0966400a67420a68440a68450a69470b6a490b6a4a0c6b4c0c6b4d0d6c4f0d6c510e6c520e6d540f6d550f6d57106e59106e5a116e5c126e5d126e5f136e61136e62146e64156e65156e67166e69166e6a176e6c186e6d186e6f196e71196e721a6e741a6e751b6e771c6d781c6d7a1d6d7c1d6d7d1e6d7f1e6c801f6c82206c84206b85216b87216b88226a8a226a8c23698d23698f24699025689225689326679526679727669827669a28659b29649d29649f2a63a02a63a22b62a32c61a52c60a62d60a82e5fa92e5eab2f5ead305dae305cb0315bb1325ab3325ab43359b63458b73557b93556ba3655bc3754bd3853bf3952c03a51c13a50c33b4fc43c4ec63d4dc73e4cc83f4bca404acb4149cc4248ce4347cf4446d04545d24644d34743d44842d54a41d74b3fd84c3ed94d3dda4e3cdb503bdd513ade5238df5337e05536e15635e25734e35933e45a31e55c30e65d2fe75e2ee8602de9612bea632aeb6429eb6628ec6726ed6925ee6a24ef6c23ef6e21f06f20f1711ff1731df2741cf3761bf37819f47918f57b17f57d15f67e14f68013f78212f78410f8850ff8870ef8890cf98b0bf98c0af98e09fa9008fa9207fa9407fb9606fb9706fb9906fb9b06fb9d07fc9f07fca108fca309fca50afca60cfca80dfcaa0ffcac11fcae12fcb014fcb216fcb418fbb61afbb81dfbba1ffbbc21fbbe23fac026fac228fac42afac62df9c72ff9c932f9cb35f8cd37f8cf3af7d13df7d340f6d543f6d746f5d949f5db4cf4dd4ff4df53f4e156f3e35af3e55df2e661f2e865f2ea69f1ec6df1ed71f1ef75f1f179f2f27df2f482f3f586f3f68af4f88ef5f992f6fa96f8fb9af9fc9dfafda1fcffa4",
};
const luts = {};
export function lut(name) {
  if (!luts[name]) {
    const hex = HEX[name], a = new Uint8Array(hex.length / 2);
    for (let i = 0; i < a.length; i++) a[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    luts[name] = a;
  }
  return luts[name];
}

// one colour per head: tab10, then tab20's light shades, then hues (as the library's class_colors)
const TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
export function headColor(h, heads) {
  if (heads <= 10) return TAB10[h % 10];
  return `hsl(${Math.round((360 * h) / heads)} 70% 45%)`;
}

// a token attribution's colour (torchscope.explain.tokens.token_colour): red for, blue against, orange magnitude
export function tokenColor(score, signed) {
  const a = Math.min(1, Math.abs(score)).toFixed(3);
  if (!signed) return `rgba(230, 120, 20, ${a})`;
  return score >= 0 ? `rgba(200, 30, 30, ${a})` : `rgba(30, 80, 200, ${a})`;
}

export class Planes {
  constructor(header, values) {
    Object.assign(this, header);
    this.values = values; // Uint8Array, planes x rows x cols
    this.scale = header.max.map((m) => m / 255);
  }
  plane(p) { return this.values.subarray(p * this.rows * this.cols, (p + 1) * this.rows * this.cols); }
  value(p, i, j) { return this.values[(p * this.rows + i) * this.cols + j] * this.scale[p]; }
  index(name) { return this.names.indexOf(name); }
}

export function decodePlanes(buf) {
  const len = new DataView(buf).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, len)));
  const offset = Math.ceil((4 + len) / 8) * 8;
  return new Planes(header, new Uint8Array(buf, offset, header.planes * header.rows * header.cols));
}

// A planes frame through api.url (a server, or the report's kept answers; a request the report lacks
// gets a placeholder image there, which is said as an error)
export async function fetchPlanes(api, path, params) {
  const r = await fetch(api.url(path, params), { credentials: "same-origin" });
  if (!r.ok) throw new Error(`${r.status} ${(await r.json().catch(() => ({}))).error || r.statusText}`);
  if (!(r.headers.get("content-type") || "").includes("octet-stream")) throw new Error("not in this report");
  return decodePlanes(await r.arrayBuffer());
}

// rows x cols uint8 values reduced by maxima over blocks to at most h x w (as views.block_max)
export function blockMax(src, rows, cols, h, w) {
  const fy = Math.max(1, Math.ceil(rows / h)), fx = Math.max(1, Math.ceil(cols / w));
  if (fy === 1 && fx === 1) return { data: src, rows, cols, fy, fx };
  const R = Math.ceil(rows / fy), C = Math.ceil(cols / fx), out = new Uint8Array(R * C);
  for (let i = 0; i < rows; i++) {
    const o = Math.floor(i / fy) * C, s = i * cols;
    for (let j = 0; j < cols; j++) {
      const v = src[s + j], k = o + Math.floor(j / fx);
      if (v > out[k]) out[k] = v;
    }
  }
  return { data: out, rows: R, cols: C, fy, fx };
}

// uint8 values (0..255 of the plane's maximum) painted with a colour map into a canvas of rows x cols
// pixels; gain stretches them (255 / the largest value shown: the colours span what is shown)
export function paint(canvas, data, rows, cols, map = "viridis", gain = 1) {
  canvas.width = cols;
  canvas.height = rows;
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(cols, rows), px = img.data, c = lut(map);
  for (let k = 0, n = rows * cols; k < n; k++) {
    const v = 3 * Math.min(255, Math.round(data[k] * gain)), o = 4 * k;
    px[o] = c[v]; px[o + 1] = c[v + 1]; px[o + 2] = c[v + 2]; px[o + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

export const fmtW = (w) => (w >= 0.01 ? w.toFixed(3) : w > 0 ? w.toExponential(1) : "0");
