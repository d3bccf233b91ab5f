// Thumbnails of a projection, loaded a page (1,024 thumbnails, one PNG) at a time on first use.
//   const t = new Thumbs(api, address, info); t.draw(canvas, i);   // draws now or when its page arrives

export class Thumbs {
  constructor(url, info) {
    this.url = url; // (page) -> URL of that page's PNG
    this.info = info; // {width, height, channels, page, page_columns, pages}
    this.pages = new Map();
  }

  page(p) {
    let entry = this.pages.get(p);
    if (!entry) {
      const img = new Image();
      entry = { img, ready: new Promise((ok, bad) => { img.onload = () => ok(img); img.onerror = bad; }) };
      entry.ready.catch(() => this.pages.delete(p)); // let a later hover retry
      img.src = this.url(p);
      this.pages.set(p, entry);
    }
    return entry;
  }

  // draw thumbnail i scaled to fill the canvas (pixelated); resolves true once drawn
  async draw(canvas, i) {
    const { width: w, height: hh, page, page_columns: cols } = this.info;
    const entry = this.page(Math.floor(i / page));
    const slot = i % page;
    canvas.dataset.want = String(i); // a later call for another point wins
    const paint = (img) => {
      if (canvas.dataset.want !== String(i)) return;
      const g = canvas.getContext("2d");
      g.imageSmoothingEnabled = false;
      g.clearRect(0, 0, canvas.width, canvas.height);
      g.drawImage(img, (slot % cols) * w, Math.floor(slot / cols) * hh, w, hh, 0, 0, canvas.width, canvas.height);
      canvas.dataset.index = String(i);
    };
    if (entry.img.complete && entry.img.naturalWidth) { paint(entry.img); return true; }
    try { paint(await entry.ready); } catch (e) { return false; }
    return canvas.dataset.index === String(i);
  }
}
