"""Attention views vs bertviz, and ``ts.explain`` beyond images vs Captum: time, memory, HTML size.

**Attention** (BERT-base from ``BertConfig()``, random weights, one sequence of 128 and 512 tokens):
torchscope's ``ts.attention`` (capture: the model switched to eager attention for one call and
restored) and its notebook views (``_repr_html_``: the model view, 12 x 12 thumbnails as a PNG, and
the head view of layer 0, which past 128 tokens falls back to the heat map) against bertviz's way:
the model on eager attention, ``output_attentions=True``, then ``head_view`` and ``model_view``
with ``html_action="return"`` (their HTML embeds every weight as JSON text, and loads require.js
from a CDN). Each library runs in fresh child processes, alternating (median of ``--rounds``;
each child captures three times and keeps the median); printed: capture and view seconds, the
HTML's size, peak RSS growth, and torchscope/bertviz ratios. Skipped, and said, when bertviz is
not installed (``pip install bertviz``).

**Explanations beyond images** (models from tests/explain/models.py and a small BERT classifier
from a config): tabular rows (a BatchNorm + residual MLP, 64 features, batch 256: Integrated
Gradients, occlusion of each feature), sequences (an LSTM over 100 x 16, batch 64: Integrated
Gradients; a 1-D conv net over 8 x 512: Grad-CAM), token ids (BERT 4 x 256, 128 tokens, batch 4:
Integrated Gradients and saliency at the embedding layer, Captum's ``LayerIntegratedGradients`` and
``LayerGradientXActivation``). Time: fresh children that run both libraries alternately after a
warm-up, median of each; peak memory: one fresh child per library, ``ru_maxrss`` growth over the
warmed-up baseline. Ratios are torchscope / other: below 1 is faster or smaller. Nothing is asserted.
On a busy machine (load above the number of cores) OpenMP's spin-waiting costs chunked work more
than one large batch (see bench_explain.py): ``--omp-passive`` sets ``OMP_WAIT_POLICY=PASSIVE`` in
every child, for both libraries.

**The page in Chromium** (``--only page``; Debian's /usr/bin/chromium through Playwright, headless,
nothing downloaded): the same BERT-base record (128 and 512 tokens) logged into a store, then the
dashboard's Attention panel over ``torchscope serve`` (a child process), a fresh server each round:
its first load (the record not yet read) and a second one in a new browser context (the server
warm, the browser's cache empty). Milliseconds from the navigation's start (``performance.now()``)
to the first animation frame after each view's DOM marker: the model view (``.att-mv[data-drawn]``),
the head view (``canvas.att-lines[data-lines]``, or past 128 tokens its ``.att-fallback`` note
handing over to the heat map), the heat map (``canvas.att-heat[data-drawn]``); on the second load,
clicking a thumbnail (layer 0, head 3) until that head's heat map (and at 128 tokens layer 0's head
view) is drawn. Bytes fetched: the sum of the bodies of Playwright's response events (the
``/api/events`` stream excepted). Where the time goes, from the page's Resource Timing: when the
panel's first request left (the dashboard's boot), and for the thumbnails and the first layer
request the server's time to the first byte, the transfer, and the drawing after it. Then the
static report of that store (``ts.build_report``): its size, build time, and time to the same
markers from ``file://`` offline. Against bertviz's ``head_view`` and ``model_view``
(``html_action="return"``, each in its own child): the HTML's size and the time to produce it; it is
not opened (its page loads require.js, d3 and jQuery from cdnjs, which cannot load here).

Run: ``python benchmarks/bench_attention.py [--quick] [--rounds 3] [--only attention|page|explain] [--case
sequence:ig] [--omp-passive]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

ATTENTION_CHILD = r"""
import json, resource, sys, time, warnings, torch
sys.path.insert(0, sys.argv[1])
import transformers as tf
tf.logging.set_verbosity_error()
warnings.simplefilter("ignore")
lib, length, limit_gb = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
if limit_gb > 0:  # bertviz's JSON of every weight grows fast: fail cleanly rather than take the machine
    resource.setrlimit(resource.RLIMIT_AS, (int(limit_gb * 2**30), resource.RLIM_INFINITY))
torch.manual_seed(0)
model = tf.BertModel(tf.BertConfig()).eval()
ids = torch.randint(1000, 30000, (1, length))
tokens = [f"tok{i}" for i in range(length)]
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
if lib == "torchscope":
    import torchscope as ts
    from torchscope.data._images import figure_html
    ts.attention(model, ids[:, :8])  # warm up
    base = rss()
    captures = []
    for _ in range(3):
        t0 = time.perf_counter()
        rec = ts.attention(model, ids, tokens=tokens)
        captures.append(time.perf_counter() - t0)
    t1 = time.perf_counter()
    html = rec._repr_html_() + figure_html(rec.head_view(layer=0))
    t2 = time.perf_counter()
else:
    from bertviz import head_view, model_view
    model.set_attn_implementation("eager")
    with torch.no_grad():
        model(ids[:, :8], output_attentions=True)  # warm up
    base = rss()
    captures = []
    for _ in range(3):
        t0 = time.perf_counter()
        with torch.no_grad():
            attention = model(ids, output_attentions=True).attentions
        captures.append(time.perf_counter() - t0)
    t1 = time.perf_counter()
    html = head_view(attention, tokens, html_action="return").data + model_view(attention, tokens,
                                                                                 html_action="return").data
    t2 = time.perf_counter()
print(json.dumps({"capture": sorted(captures)[1], "view": t2 - t1, "html": len(html.encode()),
                  "peak_mb": rss() - base}))
"""

EXPLAIN_CHILD = r"""
import json, resource, sys, time, warnings, torch
sys.path.insert(0, sys.argv[1])
warnings.simplefilter("ignore")
mode, libs, case, quick = sys.argv[2], sys.argv[3].split(","), sys.argv[4], sys.argv[5] == "1"
from tests.explain.models import Conv1dNet, LSTMNet, ResidualMLP
import captum.attr as ca
import torchscope.explain as E
torch.manual_seed(0)
kind, method = case.split(":")
kw, extra = {}, {}
if kind == "tabular":
    model = ResidualMLP(features=64, width=256, classes=10).eval()
    x = torch.randn(64 if quick else 256, 64)
    if method == "occlusion":
        kw = {"sliding_window_shapes": (1,)}
elif kind == "sequence" and method == "gradcam":
    model = Conv1dNet(channels=8).eval()
    x = torch.randn(16 if quick else 64, 8, 512)
elif kind == "sequence":
    model = LSTMNet(features=16, hidden=64).eval()
    x = torch.randn(16 if quick else 64, 100, 16)
else:
    import transformers as tf
    tf.logging.set_verbosity_error()
    model = tf.BertForSequenceClassification(tf.BertConfig(hidden_size=256, num_hidden_layers=4,
        num_attention_heads=4, intermediate_size=1024, num_labels=3)).eval()
    x = torch.randint(1000, 30000, (2 if quick else 4, 64 if quick else 128))
    mask = torch.ones_like(x)
t = torch.arange(len(x)) % 3

def captum(x, t):
    if kind == "tokens":
        fn = lambda ids, m: model(ids, attention_mask=m).logits
        layer = model.bert.embeddings.word_embeddings
        if method == "ig":
            return ca.LayerIntegratedGradients(fn, layer).attribute(x, target=t,
                                                                    additional_forward_args=(mask[:len(x)],))
        return ca.LayerGradientXActivation(fn, layer, multiply_by_inputs=False).attribute(
            x, target=t, additional_forward_args=(mask[:len(x)],))
    if method == "ig":
        return ca.IntegratedGradients(model).attribute(x, target=t)
    if method == "occlusion":
        return ca.Occlusion(model).attribute(x, target=t, **kw)
    return ca.LayerAttribution.interpolate(ca.LayerGradCam(model, model.features).attribute(x, target=t),
                                           (x.shape[-1],), interpolate_mode="linear")

def torchscope(x, t):
    if kind == "tokens":
        cls = E.LayerIntegratedGradients if method == "ig" else E.LayerSaliency
        opts = {} if method == "ig" else {"abs": False}
        return cls(model).attribute(x, t, model_kwargs={"attention_mask": mask[:len(x)]}, **opts)
    if method == "gradcam":
        return E.GradCAM(model, layer=model.features).attribute(x, t, upsample="linear")
    return E.explainer(model, method).attribute(x, t, **kw)

runs = {"captum": captum, "torchscope": torchscope}
for lib in libs:
    runs[lib](x[:1].clone(), t[:1])  # warm up kernels and the allocator on one sample (less than the batch)
if mode == "memory":
    (lib,) = libs
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    runs[lib](x.clone(), t)
    print(json.dumps({"peak_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024}))
else:
    times = {lib: [] for lib in libs}
    i = 0
    while i == 0 or (min(sum(v) for v in times.values()) < 3.0 and i < 10):
        for lib in libs if i % 2 == 0 else libs[::-1]:
            start = time.perf_counter()
            runs[lib](x.clone(), t)
            times[lib].append(time.perf_counter() - start)
        i += 1
    print(json.dumps({lib: sorted(v)[len(v) // 2] for lib, v in times.items()}))
"""

PAGE_STORE_CHILD = r"""
import json, sys, time, warnings, torch
sys.path.insert(0, sys.argv[1])
import transformers as tf
tf.logging.set_verbosity_error()
warnings.simplefilter("ignore")
import torchscope as ts
length, store, report = int(sys.argv[2]), sys.argv[3], sys.argv[4]
torch.manual_seed(0)
model = tf.BertModel(tf.BertConfig()).eval()
ids = torch.randint(1000, 30000, (1, length))
with ts.init(project="bench-page", name=f"bert-{length}", dir=store) as run:
    run.log_record(ts.attention(model, ids, tokens=[f"tok{i}" for i in range(length)]), key="attention/bert")
t0 = time.perf_counter()
path = ts.build_report(store, report, progress=None)
print(json.dumps({"report_s": time.perf_counter() - t0, "report_bytes": path.stat().st_size}))
"""

BERTVIZ_VIEW_CHILD = r"""
import json, re, resource, sys, time, warnings, torch
sys.path.insert(0, sys.argv[1])
import transformers as tf
tf.logging.set_verbosity_error()
warnings.simplefilter("ignore")
import bertviz
view, length, limit_gb = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
if limit_gb > 0:
    resource.setrlimit(resource.RLIMIT_AS, (int(limit_gb * 2**30), resource.RLIM_INFINITY))
torch.manual_seed(0)
model = tf.BertModel(tf.BertConfig()).eval()
model.set_attn_implementation("eager")
ids = torch.randint(1000, 30000, (1, length))
with torch.no_grad():
    attention = model(ids, output_attentions=True).attentions
t0 = time.perf_counter()
html = getattr(bertviz, view)(attention, [f"tok{i}" for i in range(length)], html_action="return").data
s = time.perf_counter() - t0
size = len(html) if html.isascii() else len(html.encode())
loads = re.findall(r"(?:src=[\"']|:\s*[\"'])(https?://[^\"']+)", html[:20000])  # <script src>, require.js paths
print(json.dumps({"s": s, "bytes": size, "urls": sorted(set(loads))}))
"""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
VIEWS = ("model", "head", "heat")
# performance.now() (ms from the navigation's start) when each view's marker first appears, and at the
# next animation frame (the canvas on screen): window.__drawn = {model, model_frame, head, ...}
MARKS = r"""(() => {
  const m = {}, sel = { model: ".att-mv[data-drawn]", head: "canvas.att-lines[data-lines], .att-fallback",
    heat: "canvas.att-heat[data-drawn]" };
  window.__drawn = m;
  const check = () => { for (const [k, s] of Object.entries(sel)) if (!(k in m) && document.querySelector(s)) {
    m[k] = performance.now(); requestAnimationFrame(() => { m[k + "_frame"] = performance.now(); }); } };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true,
    attributeFilter: ["data-drawn", "data-lines", "class"] });
  // the main thread's long tasks (over 50 ms), and the canvas strokes (the head view's lines)
  const busy = window.__busy = { tasks: [], strokes: 0 }, stroke = CanvasRenderingContext2D.prototype.stroke;
  CanvasRenderingContext2D.prototype.stroke = function (...a) { busy.strokes += 1; return stroke.apply(this, a); };
  new PerformanceObserver((l) => { for (const e of l.getEntries()) busy.tasks.push([e.startTime, e.duration]); })
    .observe({ type: "longtask", buffered: true });
})();"""
# click a thumbnail; ms until that head's heat map (and, for a short record, its layer's head view) is drawn
OPEN_HEAD = r"""async ([layer, head, short]) => {
  const t0 = performance.now();
  document.querySelector(`.att-thumb[data-layer="${layer}"][data-head="${head}"]`).click();
  await new Promise((done) => { const poll = () => {
    const heat = document.querySelector("canvas.att-heat"), note = document.querySelector(".att-heat-note");
    const hv = document.querySelector(".att-card:nth-child(2)");
    if (heat?.dataset.drawn && note?.textContent.startsWith(`head ${head} `)
        && (!short || hv?.dataset.layer === String(layer))) done(); else requestAnimationFrame(poll); }; poll(); });
  return performance.now() - t0;
}"""
# the attention API's requests: when each left, the server's time to its first byte, the transfer, its bytes
TIMING = r"""() => performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/attention/"))
  .map((e) => { const u = new URL(e.name), head = u.searchParams.get("head");
  return { route: u.pathname.split("/").pop() + (head ? `?head=${head}` : ""),
    start: e.startTime, req: e.requestStart, first: e.responseStart, end: e.responseEnd, bytes: e.encodedBodySize };
})"""


class Served:
    """``torchscope serve DIR --port 0`` in a child process, answering /api/health."""

    def __init__(self, store: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "torchscope", "serve", str(store), "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
        line, deadline = "", time.time() + 60
        while "http://" not in line and time.time() < deadline and self.proc.poll() is None:
            line = self.proc.stdout.readline()
        found = re.search(r"(http://\S+)", line)
        if not found:
            self.stop()
            raise RuntimeError(f"torchscope serve did not start: {line!r}")
        self.url = found.group(1)
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()  # drain its log
        for _ in range(600):
            try:
                with urllib.request.urlopen(self.url + "api/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("torchscope serve did not answer /api/health")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def page_load(browser: Any, url: str, *, offline: bool = False, open_head: bool = False, short: bool = True,
              timeout: float = 120.0) -> dict[str, Any]:
    """One navigation in a fresh browser context until every view is drawn: the ms of each from the
    navigation's start, the bytes of the responses, the attention API's timings (and ``open`` ms)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, offline=offline)
    try:
        ctx.add_init_script(MARKS)
        page = ctx.new_page()
        responses: list[Any] = []
        errors: list[str] = []
        page.on("response", lambda r: responses.append(r))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url, wait_until="commit")
        page.wait_for_function(f"() => {' && '.join(f'window.__drawn?.{v}_frame' for v in VIEWS)}",
                               timeout=timeout * 1000, polling=50)
        out: dict[str, Any] = {v: page.evaluate("window.__drawn")[f"{v}_frame"] for v in VIEWS}
        out["lines"] = page.evaluate("document.querySelector('canvas.att-lines')?.dataset.lines ?? null")
        out["requests"] = page.evaluate(TIMING)
        out["busy"] = page.evaluate("window.__busy")
        got = [r for r in responses if "event-stream" not in (r.headers.get("content-type") or "")]
        out["bytes"] = sum(len(r.body()) for r in got)  # the /api/events stream never ends: not counted
        out["api_bytes"] = sum(q["bytes"] for q in out["requests"])
        out["responses"] = len(got)
        if open_head:
            out["open"] = page.evaluate(OPEN_HEAD, [0, 3, short])
        if errors:
            raise RuntimeError(f"page errors: {errors[:3]}")
        return out
    finally:
        ctx.close()


def where(load: dict[str, Any]) -> dict[str, float]:
    """Where a load's time went: when the panel's first request left (the dashboard's boot); for the
    thumbnails and the first layer request: when it left, the server's time to the first byte, the
    transfer, its bytes, and the time from its last byte to its view drawn; the main thread's long tasks
    (over 50 ms) and canvas strokes (the head view's lines)."""
    reqs, tasks = load["requests"], load["busy"]["tasks"]
    out = {"boot": min((r["start"] for r in reqs), default=float("nan")), "strokes": load["busy"]["strokes"],
           "busy": sum(d for _, d in tasks), "longest": max((d for _, d in tasks), default=0.0)}
    for name, view in (("thumbs", "model"), ("layer", None)):
        r = next((r for r in reqs if r["route"].startswith(name)), None)
        if r is None:
            continue
        after = load[view] if view else min((load[v] for v in ("head", "heat") if load[v] >= r["end"] - 1),
                                            default=float("nan"))
        out.update({f"{name}_start": r["start"], f"{name}_server": r["first"] - r["req"],
                    f"{name}_transfer": r["end"] - r["first"], f"{name}_bytes": r["bytes"],
                    f"{name}_draw": after - r["end"]})
    return out


def spread(values: list[float], fmt: str = "{:.0f}") -> str:
    """``median (min-max)`` of the values (NaN left out)."""
    values = sorted(v for v in values if v == v)
    if not values:
        return "-"
    med = fmt.format(statistics.median(values))
    return med if len(values) == 1 else f"{med} ({fmt.format(values[0])}-{fmt.format(values[-1])})"


def bertviz_views(length: int, limit_gb: float) -> dict[str, dict[str, Any]]:
    """bertviz's head_view and model_view HTML (html_action="return") at ``length`` tokens, each in a child."""
    out: dict[str, dict[str, Any]] = {}
    for view in ("head_view", "model_view"):
        try:
            out[view] = child(BERTVIZ_VIEW_CHILD, view, str(length), str(limit_gb))
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            last = str(exc).strip().splitlines()[-1:] or ["?"]
            print(f"{length:6} bertviz {view} failed under a {limit_gb:g} GB address-space limit: {last[0][:100]}",
                  flush=True)
    return out


def routes_alone(store: Path, length: int) -> dict[str, float]:
    """The panel's two weight routes on a fresh server with no browser running, one request at a time (ms):
    the thumbnails first (the record read from the store, then reduced), again, then the layer it opens."""
    server = Served(store)
    try:
        with urllib.request.urlopen(server.url + "api/runs") as r:
            rid = json.loads(r.read())["runs"][0]["id"]
        thumbs = f"{server.url}api/attention/thumbs?run={rid}&key=attention/bert&step=0&sample=0&group=self"
        # as the panel asks: every head of the last layer within the head view's limit, else its mean
        layer = thumbs.replace("/thumbs?", "/layer?") + (f"&layer=11&size={length}" if length <= 128 else
                                                         "&layer=11&head=mean&size=1024")
        out = {}
        for name, url in (("first", thumbs), ("again", thumbs), ("layer", layer)):
            t0 = time.perf_counter()
            with urllib.request.urlopen(url) as r:
                r.read()
            out[name] = 1000 * (time.perf_counter() - t0)
        return out
    finally:
        server.stop()


def page_loads(browser: Any, store: Path, report: Path, rounds: int, length: int) -> dict[str, list[dict[str, Any]]]:
    """Each round: a fresh server, its first load and a second (then a head opened); the report offline;
    the weight routes alone."""
    loads: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": [], "report": [], "routes": []}
    for _ in range(rounds):
        server = Served(store)
        try:
            loads["cold"].append(page_load(browser, server.url + "#attention"))
            # past the head view's limit (torchscope.attention.views.HEAD_VIEW_LIMIT) the heat map stands in
            loads["warm"].append(page_load(browser, server.url + "#attention", open_head=True, short=length <= 128))
        finally:
            server.stop()
        loads["report"].append(page_load(browser, report.resolve().as_uri(), offline=True))
        loads["routes"].append(routes_alone(store, length))
    return loads


PAGES = {"cold": "dashboard, fresh server", "warm": "dashboard, warm server", "report": "report from file://"}


def page_rows(length: int, loads: dict[str, list[dict[str, Any]]], built: dict[str, float]) -> None:
    for kind, got in loads.items():
        if kind not in PAGES:
            continue
        if kind == "report":
            fetched = f"{built['report_bytes'] / 1e6:.2f} MB file"
        else:
            fetched = f"{statistics.median(g['bytes'] for g in got) / 1e6:.2f} MB ({got[0]['responses']})"
        views = " ".join(f"{spread([g[v] for g in got]):>18}" for v in VIEWS)
        print(f"{length:6} {PAGES[kind]:24} {views} {spread([g['open'] for g in got if 'open' in g]):>15} "
              f"{fetched:>18}", flush=True)
    warm = loads["warm"]
    lines = warm[0]["lines"]
    drew = f"; the head view drew {lines} lines (weights of 1% and more)" if lines is not None else ""
    print(f"{length:6} {'':24} of which the attention API {statistics.median(g['api_bytes'] for g in warm) / 1e6:.2f} "
          f"MB; report built in {built['report_s']:.1f} s{drew}")
    for kind in ("cold", "warm", "report"):
        w = [where(g) for g in loads[kind]]

        def part(key: str, w: list[dict[str, float]] = w) -> str:
            return spread([x[key] for x in w if key in x])

        kb = {k: w[0].get(f"{k}_bytes", 0) / 1e3 for k in ("thumbs", "layer")}
        routes = "" if kind == "report" else (
            f"boot {part('boot')} to the panel's first request; thumbs left at {part('thumbs_start')}, "
            f"server {part('thumbs_server')}, transfer {part('thumbs_transfer')}, {kb['thumbs']:.0f} kB, drawn "
            f"{part('thumbs_draw')} after; first layer: server {part('layer_server')}, transfer "
            f"{part('layer_transfer')}, {kb['layer']:.0f} kB, drawn {part('layer_draw')} after; ")
        print(f"{length:6} {'where: ' + kind:24} {routes}main thread: long tasks {part('busy')} in all, longest "
              f"{part('longest')}; {part('strokes')} canvas strokes (ms)", flush=True)
    alone = loads["routes"]
    print(f"{length:6} {'where: routes alone':24} no browser, one request at a time: thumbs "
          f"{spread([r['first'] for r in alone])} on a fresh server (the record read), "
          f"{spread([r['again'] for r in alone])} again; the layer it opens {spread([r['layer'] for r in alone])} (ms)",
          flush=True)


def bertviz_rows(length: int, loads: dict[str, list[dict[str, Any]]], built: dict[str, float], limit_gb: float) -> None:
    theirs = bertviz_views(length, limit_gb)
    for view, r in theirs.items():
        host = r["urls"][0].split("/")[2] if r["urls"] else "-"
        cdn = ", ".join(u.rsplit("/", 1)[-1] for u in r["urls"]) or "nothing"
        print(f"{length:6} {'bertviz ' + view:24} HTML {r['bytes'] / 1e6:,.1f} MB, produced in {r['s']:.1f} s; "
              f"not opened: it loads {cdn} from {host}", flush=True)
    if len(theirs) < 2:
        return
    both, alone = sum(r["bytes"] for r in theirs.values()), theirs["model_view"]["bytes"]
    ours, report = statistics.median(g["bytes"] for g in loads["warm"]), built["report_bytes"]
    print(f"{length:6} {'ours / bertviz HTML':24} dashboard fetched {ours / both:.4f}x head_view + model_view "
          f"({ours / alone:.4f}x model_view alone); report file {report / both:.4f}x ({report / alone:.4f}x)",
          flush=True)


def page_table(lengths: list[int], rounds: int, limit_gb: float) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("# playwright is not installed (pip install playwright): the page comparison is skipped")
        return
    if not os.path.exists(CHROMIUM):
        print(f"# {CHROMIUM} is not installed (apt-get install chromium): the page comparison is skipped")
        return
    try:
        import bertviz  # noqa: F401
        has_bertviz = True
    except ImportError:
        has_bertviz = False
        print("# bertviz is not installed (pip install bertviz): its HTML is not measured")
    print(f"# page: ms from the navigation to each view drawn, median (min-max) of {rounds} rounds; open: a "
          "thumbnail clicked until its head is drawn; fetched: response bodies (responses)")
    print(f"{'tokens':>6} {'page':24} {'model view':>18} {'head view':>18} {'heat map':>18} {'open':>15} "
          f"{'fetched':>18}")
    with tempfile.TemporaryDirectory(prefix="bench_attention_page_") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for length in lengths:
                store, report = Path(tmp) / f"tsruns{length}", Path(tmp) / f"report{length}.html"
                built = child(PAGE_STORE_CHILD, str(length), str(store), str(report))
                loads = page_loads(browser, store, report, rounds, length)
                page_rows(length, loads, built)
                if has_bertviz:
                    bertviz_rows(length, loads, built, limit_gb)
        finally:
            browser.close()


EXPLAIN_CASES = ("tabular:ig", "tabular:occlusion", "sequence:ig", "sequence:gradcam", "tokens:ig", "tokens:saliency")


def child(code: str, *args: str, timeout: float = 3600) -> dict:
    out = subprocess.run([sys.executable, "-c", code, str(ROOT), *args], capture_output=True, text=True,
                         timeout=timeout, env=ENV)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def attention_table(lengths: list[int], rounds: int, limit_gb: float) -> None:
    try:
        import bertviz  # noqa: F401
    except ImportError:
        print("# bertviz is not installed (pip install bertviz): the attention comparison is skipped")
        return
    print(f"{'tokens':>6} {'library':10} {'capture s':>9} {'view s':>8} {'total s':>8} {'HTML':>11} {'peak MB':>8}")
    for length in lengths:
        runs: dict[str, list[dict[str, float]]] = {"torchscope": [], "bertviz": []}
        failed = set()
        for r in range(rounds):  # the libraries alternate, so a change of load hits both
            for lib in ("torchscope", "bertviz") if r % 2 == 0 else ("bertviz", "torchscope"):
                if lib in failed or (lib == "bertviz" and length > 256 and runs[lib]):
                    continue  # bertviz past 256 tokens: one round (minutes and gigabytes each)
                try:
                    runs[lib].append(child(ATTENTION_CHILD, lib, str(length), str(limit_gb)))
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    last = str(exc).strip().splitlines()[-1:] or ["?"]
                    print(f"{length:6} {lib:10} failed under a {limit_gb:g} GB address-space limit: {last[0][:120]}")
                    failed.add(lib)
        res: dict[str, dict[str, float]] = {}
        for lib, got in runs.items():
            if not got:
                continue
            res[lib] = {k: statistics.median(one[k] for one in got) for k in got[0]}
            r = res[lib]
            print(f"{length:6} {lib:10} {r['capture']:9.3f} {r['view']:8.3f} {r['capture'] + r['view']:8.3f} "
                  f"{r['html'] / 1e6:9.2f}MB {r['peak_mb']:8.0f}", flush=True)
        if len(res) < 2:
            continue
        a, b = res["torchscope"], res["bertviz"]
        print(f"{length:6} {'ratio':10} {a['capture'] / b['capture']:9.2f} {a['view'] / b['view']:8.2f} "
              f"{(a['capture'] + a['view']) / (b['capture'] + b['view']):8.2f} {a['html'] / b['html']:11.4f} "
              f"{a['peak_mb'] / max(b['peak_mb'], 1):8.2f}", flush=True)


def explain_table(cases: list[str], rounds: int, quick: bool) -> None:
    q = "1" if quick else "0"
    print(f"{'case':18} {'ts s':>7} {'captum s':>9} {'time x':>7} {'range':>10} {'ts MB':>7} {'captum MB':>9} "
          f"{'mem x':>6} {'load':>5}")
    for name in cases:
        load = os.getloadavg()[0]
        times: dict[str, list[float]] = {"torchscope": [], "captum": []}
        ratios = []
        for r in range(rounds):
            order = ["torchscope", "captum"] if r % 2 == 0 else ["captum", "torchscope"]
            res = child(EXPLAIN_CHILD, "time", ",".join(order), name, q)
            for lib, s in res.items():
                times[lib].append(s)
            ratios.append(res["torchscope"] / res["captum"])
        peaks = {lib: statistics.median(child(EXPLAIN_CHILD, "memory", lib, name, q)["peak_mb"] for _ in range(rounds))
                 for lib in ("torchscope", "captum")}
        ts, cs = statistics.median(times["torchscope"]), statistics.median(times["captum"])
        ratios.sort()
        spread = f"{ratios[0]:.2f}-{ratios[-1]:.2f}"
        print(f"{name:18} {ts:7.3f} {cs:9.3f} {statistics.median(ratios):7.2f} {spread:>10} "
              f"{peaks['torchscope']:7.0f} {peaks['captum']:9.0f} {peaks['torchscope'] / max(peaks['captum'], 1):6.2f} "
              f"{load:5.2f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="128 tokens only, smaller explanation batches")
    ap.add_argument("--rounds", type=int, default=3, help="children per library and case, page loads of each kind (3)")
    ap.add_argument("--only", choices=("attention", "page", "explain"), help="one of the three comparisons")
    ap.add_argument("--case", action="append", default=[], help=f"explanation case(s), of {EXPLAIN_CASES}")
    ap.add_argument("--limit-gb", type=float, default=12.0, help="address-space limit of each attention child")
    ap.add_argument("--omp-passive", action="store_true", help="OMP_WAIT_POLICY=PASSIVE in the children")
    args = ap.parse_args()
    if args.omp_passive:
        ENV["OMP_WAIT_POLICY"] = "PASSIVE"
    print(f"# load average at start {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs; "
          f"{args.rounds} rounds{'; quick' if args.quick else ''}; "
          f"OMP_WAIT_POLICY={ENV.get('OMP_WAIT_POLICY', 'unset')}", flush=True)
    lengths = [128] if args.quick else [128, 512]
    if args.only in (None, "attention"):
        attention_table(lengths, args.rounds, args.limit_gb)
    if args.only in (None, "page"):
        page_table(lengths, args.rounds, args.limit_gb)
    if args.only in (None, "explain"):
        explain_table(args.case or list(EXPLAIN_CASES), args.rounds, args.quick)


if __name__ == "__main__":
    main()
