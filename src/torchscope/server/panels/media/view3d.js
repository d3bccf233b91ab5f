// The Media panel's views of a point cloud or mesh: WebGL with three.js (vendored, loaded on first use,
// never in a static report), or the 2-D fallback: the server's orthographic projection PNG, turned by
// dragging or a slider (a static report keeps eight azimuths at 20 degrees of elevation).
//   const view = await points3d(box, { buffer, meta }); view.destroy();
//   const view = points2d(box, { src: (az, el) => url, report }); view.destroy();

import { h } from "../../static/dom.js";
import { Orbit } from "./orbit.js";

export const REPORT_AZIMUTHS = [0, 45, 90, 135, 180, 225, 270, 315];
export const REPORT_ELEVATION = 20;
export const VIEW_SIZE = 360;

// WebGL and enough of a device for it: a touch device with at most four cores, or any with under 2 GB
// of memory (Chrome tells), gets the 2-D view
export function canWebGL() {
  const touch = window.matchMedia?.("(pointer: coarse)").matches;
  const weak = (touch && (navigator.hardwareConcurrency || 8) <= 4) || (navigator.deviceMemory || 4) < 2;
  if (weak) return false;
  try {
    const c = document.createElement("canvas");
    return !!(c.getContext("webgl2") || c.getContext("webgl"));
  } catch (e) { return false; }
}

let three = null;
function loadThree() { // a computed specifier: the static report never bundles three.js
  three ||= import(new URL("../../static/vendor/three.module.min.js", import.meta.url).href);
  return three;
}

// split panels/media/points.bin's bytes: float32 xyz, then uint8 rgb, then uint32 faces
export function parsePoints(buffer, meta) {
  const n = meta.points, f = meta.triangles || 0;
  const xyz = new Float32Array(buffer, 0, 3 * n);
  let at = 12 * n;
  const rgb = meta.colors ? new Uint8Array(buffer, at, 3 * n) : null;
  at += meta.colors ? 3 * n : 0;
  const faces = f ? new Uint32Array(buffer.slice(at, at + 12 * f)) : null;
  return { xyz, rgb, faces };
}

export async function points3d(box, { buffer, meta }) {
  const THREE = await loadThree();
  const { xyz, rgb, faces } = parsePoints(buffer, meta);
  const [lo, hi] = meta.bounds;
  const centre = lo.map((v, i) => (v + hi[i]) / 2);
  let radius = 0;
  for (let i = 0; i < xyz.length; i += 3) {
    radius = Math.max(radius, Math.hypot(xyz[i] - centre[0], xyz[i + 1] - centre[1], xyz[i + 2] - centre[2]));
  }
  radius ||= 1;
  const geometry = new THREE.BufferGeometry();
  geometry.setAttribute("position", new THREE.BufferAttribute(xyz, 3));
  geometry.translate(-centre[0], -centre[1], -centre[2]);
  if (rgb) { // stored sRGB; three.js lights and blends in linear light
    const lin = new Float32Array(rgb.length);
    for (let i = 0; i < rgb.length; i++) { const c = rgb[i] / 255; lin[i] = c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; }
    geometry.setAttribute("color", new THREE.BufferAttribute(lin, 3));
  }
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0x16181e);
  let object;
  if (faces) {
    geometry.setIndex(new THREE.BufferAttribute(faces, 1));
    geometry.computeVertexNormals();
    object = new THREE.Mesh(geometry, new THREE.MeshLambertMaterial({ color: rgb ? 0xffffff : 0x8ca0be, vertexColors: !!rgb, side: THREE.DoubleSide }));
    scene.add(new THREE.AmbientLight(0xffffff, 0.8));
  } else {
    const size = radius * Math.min(0.03, 1.6 / Math.cbrt(meta.points)); // bigger dots for sparser clouds
    object = new THREE.Points(geometry, new THREE.PointsMaterial({ size, color: rgb ? 0xffffff : 0x8ca0be, vertexColors: !!rgb, sizeAttenuation: true }));
  }
  scene.add(object);
  const camera = new THREE.PerspectiveCamera(40, 1, radius / 100, radius * 100);
  const light = new THREE.DirectionalLight(0xffffff, 1.6);
  camera.add(light);
  light.position.set(0.3, 1, 1);
  scene.add(camera);
  const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
  const canvas = renderer.domElement;
  canvas.className = "md-gl";
  canvas.setAttribute("aria-label", "3-D view: drag to turn, wheel or pinch to zoom, right-drag to pan, double-click to reset");
  box.replaceChildren(canvas);
  let queued = false;
  const draw = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; renderer.render(scene, camera); canvas.dataset.frames = String(Number(canvas.dataset.frames || 0) + 1); });
  };
  const orbit = new Orbit(canvas, camera, { radius, onChange: draw });
  const resize = () => {
    const w = Math.max(120, box.clientWidth), ht = Math.round(Math.min(w * 0.75, 520));
    renderer.setSize(w, ht);
    camera.aspect = w / ht;
    camera.updateProjectionMatrix();
    draw();
  };
  const watcher = new ResizeObserver(resize);
  watcher.observe(box);
  resize();
  canvas.dataset.state = "ready";
  return {
    orbit, canvas,
    destroy() {
      watcher.disconnect();
      orbit.destroy();
      geometry.dispose();
      object.material.dispose();
      renderer.dispose();
      renderer.forceContextLoss?.();
    },
  };
}

// the projection PNG turned by dragging (or the azimuth slider); a report snaps to its kept azimuths
export function points2d(box, { src, report }) {
  let az = report ? 45 : 30, el = REPORT_ELEVATION;
  const img = h("img", { class: "md-proj", alt: "projection of the points", width: VIEW_SIZE, height: VIEW_SIZE, draggable: "false" });
  const out = h("output", {});
  const slider = h("input", { type: "range", min: 0, max: report ? REPORT_AZIMUTHS.length - 1 : 359, step: 1, "aria-label": "turn" });
  const show = () => {
    if (report) az = REPORT_AZIMUTHS[Math.round(Number(slider.value))];
    img.src = src(az, report ? REPORT_ELEVATION : Math.round(el));
    out.textContent = `${az}° · ${report ? REPORT_ELEVATION : Math.round(el)}°`;
  };
  slider.value = report ? REPORT_AZIMUTHS.indexOf(az) : az;
  slider.addEventListener("input", () => { if (!report) az = Number(slider.value); show(); });
  let drag = null, timer = 0;
  img.addEventListener("pointerdown", (e) => { drag = [e.clientX, e.clientY]; img.setPointerCapture?.(e.pointerId); });
  img.addEventListener("pointerup", () => { drag = null; });
  img.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const dx = e.clientX - drag[0], dy = e.clientY - drag[1];
    if (Math.abs(dx) + Math.abs(dy) < 6) return;
    drag = [e.clientX, e.clientY];
    if (report) slider.value = (Number(slider.value) + (dx < 0 ? 1 : REPORT_AZIMUTHS.length - 1)) % REPORT_AZIMUTHS.length;
    else {
      az = ((az - dx * 0.6) % 360 + 360) % 360;
      el = Math.max(-89, Math.min(89, el + dy * 0.6));
      slider.value = Math.round(az);
    }
    clearTimeout(timer);
    timer = setTimeout(show, report ? 0 : 60); // at most one image per 60 ms while dragging
  });
  img.style.touchAction = "none";
  box.replaceChildren(img, h("div", { class: "md-controls" }, h("label", {}, "turn", slider), out));
  show();
  return { img, destroy() { clearTimeout(timer); } };
}
