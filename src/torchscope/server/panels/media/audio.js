// The Media panel's audio player: the browser's <audio> controls over the clip's waveform (min/max per
// span, drawn per channel) and its spectrogram, with a playhead on both; a click seeks there.
//   const player = await audioPlayer(box, { wav, spectrogram, waveform, meta }); player.destroy();

import { h } from "../../static/dom.js";

const COLORS = ["#4c78a8", "#f58518"];

function drawWave(canvas, waveform) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 600, ht = canvas.clientHeight || 90;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(ht * dpr);
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, ht);
  const rows = waveform.channels.length, band = ht / rows;
  waveform.channels.forEach((ch, c) => {
    const n = ch.min.length, mid = band * (c + 0.5);
    g.fillStyle = COLORS[c % 2];
    for (let x = 0; x < w; x++) { // each pixel column: the extremes of the spans it covers
      const a = Math.floor(x / w * n), b = Math.max(a + 1, Math.floor((x + 1) / w * n));
      let lo = 1, hi = -1;
      for (let i = a; i < b && i < n; i++) { lo = Math.min(lo, ch.min[i]); hi = Math.max(hi, ch.max[i]); }
      if (hi < lo) continue;
      const y0 = mid - hi * band / 2, y1 = mid - lo * band / 2;
      g.fillRect(x, y0, 1, Math.max(1, y1 - y0));
    }
    g.fillStyle = "rgba(0,0,0,0.25)";
    g.fillRect(0, mid, w, 0.5);
  });
}

export async function audioPlayer(box, { wav, spectrogram, waveform, meta }) {
  const blob = await (await fetch(wav)).blob();
  const src = URL.createObjectURL(blob);
  const audio = h("audio", { controls: true, preload: "auto", class: "md-audio" });
  audio.src = src;
  const wave = h("canvas", { class: "md-wave", "aria-label": "waveform" });
  const spec = h("img", { class: "md-spec", src: spectrogram, alt: "spectrogram", draggable: "false" });
  const heads = [h("div", { class: "md-head" }), h("div", { class: "md-head" })];
  const duration = meta.length / meta.sample_rate;
  const khz = meta.sample_rate / 2000;
  const seek = (e) => {
    const r = e.currentTarget.getBoundingClientRect();
    audio.currentTime = Math.max(0, Math.min(duration, (e.clientX - r.left) / r.width * duration));
    place();
  };
  const waveBox = h("div", { class: "md-track", onclick: seek }, wave, heads[0]);
  const specBox = h("div", { class: "md-track", onclick: seek }, spec, heads[1],
    h("span", { class: "md-axis top" }, `${khz.toFixed(khz < 10 ? 1 : 0)} kHz`), h("span", { class: "md-axis" }, "0"));
  const info = h("div", { class: "note md-info" },
    `${duration.toFixed(2)} s · ${meta.sample_rate.toLocaleString()} Hz · ${meta.channels === 1 ? "mono" : "stereo"}` +
    ` · spectrogram ${Math.round(meta.db[0])} to ${Math.round(meta.db[1])} dB`);
  let raf = 0;
  const place = () => {
    const f = duration ? Math.min(1, audio.currentTime / duration) : 0;
    for (const hd of heads) hd.style.left = `${(100 * f).toFixed(3)}%`;
    box.dataset.time = audio.currentTime.toFixed(3);
  };
  const loop = () => { place(); if (!audio.paused) raf = requestAnimationFrame(loop); };
  audio.addEventListener("play", () => { cancelAnimationFrame(raf); raf = requestAnimationFrame(loop); });
  audio.addEventListener("seeked", place);
  audio.addEventListener("timeupdate", place);
  box.replaceChildren(h("div", { class: "md-player" }, audio, waveBox, specBox, info));
  drawWave(wave, waveform);
  const watcher = new ResizeObserver(() => drawWave(wave, waveform));
  watcher.observe(waveBox);
  place();
  box.dataset.state = "ready";
  return { audio, destroy() { cancelAnimationFrame(raf); watcher.disconnect(); audio.pause(); URL.revokeObjectURL(src); } };
}
