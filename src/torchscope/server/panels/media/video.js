// The Media panel's video player with a frame scrubber: an MP4 in a <video> (fetched whole into a blob
// URL, so every browser can seek it without range requests), or a PNG frame sprite drawn on a canvas.
// Controls: play/pause, previous/next frame, the scrubber (one position per frame), speed.
//   const player = await videoPlayer(box, { url, meta }); player.seek(3); player.destroy();

import { h } from "../../static/dom.js";

const SPEEDS = [0.25, 0.5, 1, 2];

function displaySize(meta, room) {
  const k = meta.width < 320 ? Math.max(1, Math.floor(320 / meta.width)) : 1; // small frames shown larger, crisp
  const w = Math.min(meta.width * k, Math.max(160, room));
  return [w, Math.round(w * meta.height / meta.width)];
}

export async function videoPlayer(box, { url, meta }) {
  const T = meta.length, fps = meta.fps;
  const blob = await (await fetch(url)).blob();
  const src = URL.createObjectURL(blob);
  const [w, ht] = displaySize(meta, box.clientWidth || 480);
  let frame = 0, playing = false, speed = 1, raf = 0, started = 0, startFrame = 0;
  let media, drawFrame;
  if (meta.mime === "video/mp4") {
    media = h("video", { class: "md-video", muted: true, playsinline: true, preload: "auto", loop: true, width: w, height: ht });
    media.src = src;
    await new Promise((ok) => {
      if (media.readyState >= 1) ok();
      media.addEventListener("loadedmetadata", ok, { once: true });
      media.addEventListener("error", ok, { once: true });
    });
    drawFrame = (i) => { media.currentTime = Math.min((i + 0.5) / fps, Math.max(0, media.duration - 1e-3) || 0); };
  } else {
    const img = new Image();
    img.src = src;
    await img.decode().catch(() => {});
    media = h("canvas", { class: "md-video", width: meta.width, height: meta.height, style: { width: `${w}px`, height: `${ht}px` } });
    const g = media.getContext("2d");
    drawFrame = (i) => {
      const c = i % meta.columns, r = Math.floor(i / meta.columns);
      g.clearRect(0, 0, meta.width, meta.height);
      g.drawImage(img, c * meta.width, r * meta.height, meta.width, meta.height, 0, 0, meta.width, meta.height);
    };
  }
  const scrub = h("input", { type: "range", min: 0, max: T - 1, step: 1, value: 0, "aria-label": "frame", class: "md-scrub" });
  const label = h("span", { class: "md-frame" });
  const playBtn = h("button", { class: "md-play", title: "play / pause (space)" }, "▶");
  const speedSel = h("select", { "aria-label": "speed" }, SPEEDS.map((s) => h("option", { value: s, selected: s === 1 }, `${s}×`)));

  const show = (i, seekMedia = true) => {
    frame = ((i % T) + T) % T;
    scrub.value = frame;
    label.textContent = `frame ${frame + 1} / ${T} · ${(frame / fps).toFixed(2)} s`;
    media.dataset.frame = String(frame);
    if (seekMedia) drawFrame(frame);
  };
  const tick = (now) => {
    if (!playing) return;
    if (meta.mime === "video/mp4") show(Math.min(T - 1, Math.floor(media.currentTime * fps)), false);
    else show(startFrame + Math.floor((now - started) / 1000 * fps * speed));
    raf = requestAnimationFrame(tick);
  };
  const play = (on) => {
    playing = on;
    playBtn.textContent = on ? "❚❚" : "▶";
    media.dataset.playing = on ? "1" : "0";
    cancelAnimationFrame(raf);
    if (meta.mime === "video/mp4") {
      if (on) { media.playbackRate = speed; media.play().catch(() => play(false)); } else { media.pause(); show(frame); }
    }
    if (on) { started = performance.now(); startFrame = frame; raf = requestAnimationFrame(tick); }
  };
  playBtn.addEventListener("click", () => play(!playing));
  scrub.addEventListener("input", () => { const i = Number(scrub.value); play(false); show(i); });
  speedSel.addEventListener("change", () => {
    speed = Number(speedSel.value);
    if (meta.mime === "video/mp4") media.playbackRate = speed;
    if (playing) { started = performance.now(); startFrame = frame; }
  });
  const stepBtn = (d, text, title) => h("button", { title, onclick: () => { const i = frame + d; play(false); show(i); } }, text);
  const wrap = h("div", { class: "md-player", tabindex: 0, onkeydown: (e) => {
    const d = { ArrowLeft: -1, ArrowRight: 1 }[e.key];
    if (e.key === " ") { e.preventDefault(); play(!playing); } else if (d) { e.preventDefault(); const i = frame + d; play(false); show(i); }
  } }, media, h("div", { class: "md-controls" }, playBtn, stepBtn(-1, "◀", "previous frame (←)"), stepBtn(1, "▶|", "next frame (→)"), scrub, label, speedSel));
  box.replaceChildren(wrap);
  show(0);
  media.dataset.state = "ready";
  return {
    el: wrap, media, seek: (i) => { play(false); show(i); }, play,
    destroy() { playing = false; cancelAnimationFrame(raf); if (media.pause) media.pause(); URL.revokeObjectURL(src); },
  };
}
