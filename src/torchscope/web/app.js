// The dashboard shell: the run list, navigation between panels, the live connection.
// Each panel is an ES module exporting render(el, api); see docs/dashboard.md for `api`.

import { createClient, Live } from "./api.js";
import { colorFor, debounce, h, message } from "./dom.js";
import { installNavMenu } from "./navmenu.js";
import { RunList } from "./runs.js";

const client = createClient("api/");
const state = { panels: [], current: null, mounted: null, selection: [] };
window.torchscope = { charts: new Map(), client, state }; // inspection hook (tests, debugging)

function panelState(name) {
  const key = `torchscope.panel.${name}`;
  const data = JSON.parse(localStorage.getItem(key) || "{}");
  return {
    get: (k, d) => (k in data ? data[k] : d),
    set: (k, v) => { data[k] = v; localStorage.setItem(key, JSON.stringify(data)); },
  };
}

function makeApi(panel, live, params) {
  const subs = [];
  const api = {
    panel: panel.name,
    params, // URLSearchParams of a deep link: #scalars?key=train/loss&step=300
    runs: () => state.selection,
    allRuns: () => runList.runs,
    json: client.json, binary: client.binary, url: client.url, send: client.send,
    color: colorFor,
    state: panelState(panel.name),
    on(event, fn) { const off = live.on(event, fn); subs.push(off); return off; },
    dispose() { subs.splice(0).forEach((off) => off()); },
  };
  return api;
}

// A location hash is a panel name, optionally with parameters for it: "#scalars?key=train/loss".
function parseHash(hash) {
  const [name, query] = hash.replace(/^#/, "").split(/\?(.*)/s);
  return { name, params: new URLSearchParams(query || "") };
}

async function mount(hash) {
  const { name, params } = parseHash(hash || "");
  const host = document.getElementById("panel");
  if (state.mounted) {
    try { state.mounted.result?.destroy?.(); } catch (e) { console.error(e); }
    state.mounted.api.dispose();
    state.mounted = null;
  }
  const panel = state.panels.find((p) => p.name === name) || state.panels[0];
  if (!panel) { host.replaceChildren(message("No panels are available.", "error")); return; }
  state.current = panel.name;
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.panel === panel.name);
  navMenu.update(panel.title);
  const el = h("div", { class: "panel-body", dataset: { panel: panel.name } });
  host.replaceChildren(el);
  if (panel.error) { el.append(message(`The ${panel.title} panel failed to load: ${panel.error}`, "error panel-error")); return; }
  const api = makeApi(panel, live, panel.name === name ? params : new URLSearchParams());
  if ([...api.params].length) { // a deep link is applied once: a later remount shows the panel as left
    history.replaceState(null, "", `#${panel.name}`);
    state.hash = `#${panel.name}`;
  }
  state.mounted = { name: panel.name, api, result: null };
  try {
    const mod = await import(new URL(panel.module, document.baseURI).href);
    if (state.mounted?.api !== api) return; // the user moved on meanwhile
    state.mounted.result = (await mod.render(el, api)) || null;
  } catch (e) {
    console.error(e);
    el.replaceChildren(message(`The ${panel.title} panel failed: ${e.message || e}`, "error panel-error"));
  }
}

const remount = debounce(() => { if (state.current) mount(state.hash || state.current); }, 120);

function nav() {
  const links = state.panels.map((p) => h("a", { href: `#${p.name}`, dataset: { panel: p.name },
    class: p.error ? "broken" : "" }, p.title));
  document.getElementById("nav").replaceChildren(...links);
  navMenu.fit(); // a strip that does not fit becomes a menu
}

function setLive(on) {
  const dot = document.getElementById("live");
  dot.className = on ? "live on" : "live off";
  dot.title = on ? "live: connected" : "live: reconnecting…";
  dot.textContent = on ? "live" : "offline";
}

function showStoreBanner(error) {
  let bar = document.getElementById("store-banner");
  if (!error) { bar?.remove(); return; }
  if (!bar) {
    bar = h("div", { id: "store-banner", class: "banner error", role: "alert" });
    document.querySelector(".main").before(bar);
  }
  bar.textContent = `The store cannot be read right now (${error}). What you see may be out of date; ` +
    "the dashboard reconnects by itself.";
}

const navMenu = installNavMenu(document.getElementById("nav"));
const live = new Live("api/events");
live.on("status", setLive);
const runList = new RunList(document.getElementById("runs"), client, {
  onChange: (runs) => { state.selection = runs; if (state.started) remount(); },
});

// The first paint waits on the panel list, the run list and the panel's module: ask for all
// three at once (the module is fetched while the run list loads; mount() reuses it).
async function start() {
  document.getElementById("toggle-runs").addEventListener("click", () => document.body.classList.toggle("runs-open"));
  const runsLoaded = runList.reload().then(() => null, (e) => e);
  try {
    state.panels = (await client.json("panels")).panels;
  } catch (e) {
    document.getElementById("panel").replaceChildren(message(`Cannot reach the server: ${e.message}`, "error"));
    return;
  }
  nav();
  const first = state.panels.find((p) => p.name === parseHash(location.hash).name) || state.panels[0];
  if (first?.module) import(new URL(first.module, document.baseURI).href).catch(() => null); // mount() reports errors
  setLive(live.connected);
  live.on("runs", () => runList.reload());
  live.on("reconnect", async () => { await runList.reload(); remount(); });
  live.on("store", async ({ ok, error }) => {  // the database went away (or came back): say so, then catch up
    showStoreBanner(ok ? null : error);
    if (ok) { await runList.reload(); remount(); }
  });
  window.addEventListener("hashchange", () => { state.hash = location.hash; mount(location.hash); });
  const failed = await runsLoaded;
  if (failed) console.error(failed);
  state.current = first?.name;
  state.hash = location.hash;
  state.started = true;
  mount(state.hash || state.current);
}

start();
