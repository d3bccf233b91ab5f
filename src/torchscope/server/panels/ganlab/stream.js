// This page's lab session: open it, watch its frames (server-sent events), send commands, and
// say goodbye when the page goes away. A session that stopped (idle too long, server restarted)
// is replaced by a new one with the same settings, and the page says so.
//   const s = new Stream(api, { frame, note, error }); await s.open(config); await s.command("play")

export class Stream {
  constructor(api, handlers) {
    this.api = api;
    this.on = handlers;
    this.session = null;
    this.es = null;
    this.closed = false;
    this.config = {};
  }

  async post(path, body) {
    const r = await fetch(this.api.url(path), { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const data = await r.json().catch(() => ({ ok: false, error: r.statusText }));
    return { status: r.status, data };
  }

  async open(config) {
    this.config = config || {};
    let { data } = await this.post("ganlab/open", { config: this.config });
    if (!data.ok && Object.keys(this.config).length) { // saved settings no longer valid: start from the defaults
      this.on.error(`Your saved settings could not be used (${data.error}); the lab started with the defaults.`);
      ({ data } = await this.post("ganlab/open", { config: {} }));
    }
    if (!data.ok) { this.on.error(data.error || "the lab could not start"); return false; }
    this.session = data.session;
    this.connect();
    return true;
  }

  connect() {
    this.es?.close();
    if (this.closed || !this.session) return;
    const es = new EventSource(this.api.url("ganlab/stream", { session: this.session }));
    this.es = es;
    es.addEventListener("frame", (m) => { if (this.es === es) this.on.frame(JSON.parse(m.data)); });
    es.addEventListener("gone", () => { if (this.es === es) this.reopen(); });
    es.onerror = () => { // the browser retries by itself unless the stream is closed for good
      if (es.readyState === EventSource.CLOSED && this.es === es) setTimeout(() => { if (this.es === es) this.connect(); }, 2000);
    };
  }

  resync() { this.connect(); } // a fresh stream sends everything again

  async reopen() {
    this.es?.close();
    this.es = null;
    if (this.closed) return;
    this.session = null;
    const ok = await this.open(this.currentConfig?.() || this.config);
    if (ok) this.on.note("The lab session had stopped (idle too long, or the server restarted): a new lab started with your settings.");
  }

  async command(type, extra) {
    if (!this.session) return { ok: false, error: "the lab is not connected yet" };
    const { status, data } = await this.post("ganlab/command", { session: this.session, type, ...extra });
    if (status === 404) { await this.reopen(); return null; }
    return data;
  }

  goodbye() { // a keepalive fetch outlives the page as sendBeacon does, and can say it is JSON (the server asks)
    if (!this.session) return;
    fetch(this.api.url("ganlab/close"), { method: "POST", keepalive: true, credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ session: this.session }) }).catch(() => {});
  }

  close() {
    this.closed = true;
    this.es?.close();
    this.es = null;
    this.goodbye();
    this.session = null;
  }
}
