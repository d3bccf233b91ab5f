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

Run: ``python benchmarks/bench_attention.py [--quick] [--rounds 3] [--only attention|explain] [--case
sequence:ig] [--omp-passive]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

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
    ap.add_argument("--rounds", type=int, default=3, help="children per library and case (default 3)")
    ap.add_argument("--only", choices=("attention", "explain"), help="one of the two comparisons")
    ap.add_argument("--case", action="append", default=[], help=f"explanation case(s), of {EXPLAIN_CASES}")
    ap.add_argument("--limit-gb", type=float, default=12.0, help="address-space limit of each attention child")
    ap.add_argument("--omp-passive", action="store_true", help="OMP_WAIT_POLICY=PASSIVE in the children")
    args = ap.parse_args()
    if args.omp_passive:
        ENV["OMP_WAIT_POLICY"] = "PASSIVE"
    print(f"# load average at start {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs; "
          f"{args.rounds} rounds{'; quick' if args.quick else ''}; "
          f"OMP_WAIT_POLICY={ENV.get('OMP_WAIT_POLICY', 'unset')}", flush=True)
    if args.only != "explain":
        attention_table([128] if args.quick else [128, 512], args.rounds, args.limit_gb)
    if args.only != "attention":
        explain_table(args.case or list(EXPLAIN_CASES), args.rounds, args.quick)


if __name__ == "__main__":
    main()
