// Orbit and zoom around a target for the Media panel's 3-D view: drag to turn (one finger), wheel or
// pinch to zoom, right-drag / shift-drag / two fingers to pan, double-click to reset. Spherical
// coordinates about the target; the camera is set from them and `onChange` asks for a frame.
//   const orbit = new Orbit(canvas, camera, { radius, onChange }); orbit.destroy();

export class Orbit {
  constructor(el, camera, { radius = 1, azimuth = 0.6, elevation = 0.35, onChange = () => {} } = {}) {
    Object.assign(this, { el, camera, onChange });
    this.home = { radius, azimuth, elevation };
    this.target = [0, 0, 0];
    this.reset(false);
    this.pointers = new Map();
    this.handlers = {
      pointerdown: (e) => this.down(e), pointermove: (e) => this.move(e), pointerup: (e) => this.up(e),
      pointercancel: (e) => this.up(e), wheel: (e) => this.wheel(e), dblclick: () => this.reset(),
      contextmenu: (e) => e.preventDefault(),
    };
    for (const [name, fn] of Object.entries(this.handlers)) el.addEventListener(name, fn, { passive: name !== "wheel" && name !== "contextmenu" });
    el.style.touchAction = "none";
  }

  reset(notify = true) {
    Object.assign(this, { distance: this.home.radius * 2.6, azimuth: this.home.azimuth, elevation: this.home.elevation });
    this.target = [0, 0, 0];
    this.apply();
    if (notify) this.onChange();
  }

  // the camera on its sphere, looking at the target (y is up)
  apply() {
    const { distance: d, azimuth: a, elevation: e, target: t } = this;
    this.camera.position.set(t[0] + d * Math.cos(e) * Math.sin(a), t[1] + d * Math.sin(e), t[2] + d * Math.cos(e) * Math.cos(a));
    this.camera.near = d / 100;
    this.camera.far = d * 100;
    this.camera.lookAt(t[0], t[1], t[2]);
    this.camera.updateProjectionMatrix();
  }

  zoom(factor) {
    this.distance = Math.min(this.home.radius * 50, Math.max(this.home.radius * 0.05, this.distance * factor));
    this.apply();
    this.onChange();
  }

  pan(dx, dy) {
    const s = this.distance / this.el.clientHeight;
    const right = [Math.cos(this.azimuth), 0, -Math.sin(this.azimuth)];
    const up = [-Math.sin(this.elevation) * Math.sin(this.azimuth), Math.cos(this.elevation), -Math.sin(this.elevation) * Math.cos(this.azimuth)];
    for (let i = 0; i < 3; i++) this.target[i] += (-dx * right[i] + dy * up[i]) * s;
  }

  down(e) {
    this.el.setPointerCapture?.(e.pointerId);
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY, pan: e.button === 2 || e.shiftKey });
  }

  move(e) {
    const p = this.pointers.get(e.pointerId);
    if (!p) return;
    const dx = e.clientX - p.x, dy = e.clientY - p.y;
    if (this.pointers.size === 2) { // pinch to zoom, both fingers moving together pan
      const [a, b] = [...this.pointers.values()];
      const before = Math.hypot(a.x - b.x, a.y - b.y);
      p.x = e.clientX; p.y = e.clientY;
      const after = Math.hypot(a.x - b.x, a.y - b.y);
      if (before > 0 && after > 0) this.distance = Math.min(this.home.radius * 50, Math.max(this.home.radius * 0.05, this.distance * before / after));
      this.pan(dx / 2, dy / 2);
    } else {
      p.x = e.clientX; p.y = e.clientY;
      if (p.pan) this.pan(dx, dy);
      else {
        this.azimuth -= dx * 0.008;
        this.elevation = Math.max(-1.55, Math.min(1.55, this.elevation + dy * 0.008));
      }
    }
    this.apply();
    this.onChange();
  }

  up(e) { this.pointers.delete(e.pointerId); }

  wheel(e) {
    e.preventDefault();
    this.zoom(Math.exp(e.deltaY * 0.0015));
  }

  destroy() {
    for (const [name, fn] of Object.entries(this.handlers)) this.el.removeEventListener(name, fn);
  }
}
