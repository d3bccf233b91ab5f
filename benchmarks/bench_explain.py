"""Attribution methods vs Captum: time and peak memory, same models, batches and process setup.

SimpleCNN and ResNet-18 (written in tests/explain/models.py, random weights), batches 32 and 64 of
64x64 RGB, for saliency, SmoothGrad (Captum's NoiseTunnel defaults: 5 samples), Integrated
Gradients (50 steps, Gauss-Legendre) and Grad-CAM (Captum: LayerGradCam + interpolate).

Time: fresh child processes ("rounds") each load both libraries, warm both up on two samples,
then time the full batch alternately, A B B A A B ..., until each has run for 3 s (at most 20
times); a child's result is each library's median. The table shows the median over rounds (9
rounds for cases under a second) and, as "time x", the median of the children's ratios, with their
range.
Running both in the same process matters on a shared machine: a process's own luck (memory
placement, page faults, neighbours) moves its times by tens of percent, and interleaving makes a
change of load hit both. Peak memory: one fresh child per library and round runs the batch once
after the warm-up; the growth of its peak RSS (``ru_maxrss``) over the warmed-up baseline counts
torch's CPU allocations that tracemalloc cannot see (median over rounds). The 1-minute load
average is printed beside each line: on a shared machine, compare ratios, not seconds. With
``--device cuda`` the models run on the GPU, times include a synchronize and peak memory is
``torch.cuda.max_memory_allocated`` over what was allocated before.

On a busy machine (load above the number of cores), OpenMP's default spin-waiting costs chunked
work more than one giant batch: when another process preempts one of torch's threads, the other
spins at the end of every parallel region, and 150-row chunks have ten times as many regions as
Captum's 1,600-row batch. ``--omp-passive`` sets ``OMP_WAIT_POLICY=PASSIVE`` for both libraries,
which measures the work rather than the neighbours.

Run: ``python benchmarks/bench_explain.py [--quick] [--rounds 3] [--src DIR] [--only resnet18:64:ig]
[--device cuda] [--omp-passive]`` (``--src`` measures another checkout's ``src``, e.g. an older
commit unpacked with ``git archive``).
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

CHILD = r"""
import json, resource, sys, time, torch
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2])
from tests.explain.models import make
mode, libs, model_name, method = sys.argv[3], sys.argv[4].split(","), sys.argv[5], sys.argv[6]
batch, device = int(sys.argv[7]), sys.argv[8]
model, x = make(model_name, batch=batch, size=64)
model, x = model.to(device), x.to(device)
t = torch.arange(batch, device=device) % 10
cuda = device.startswith("cuda")
sync = torch.cuda.synchronize if cuda else (lambda: None)
layer = model.layer4 if model_name == "resnet18" else model.features

def captum(x, t):
    import captum.attr as ca
    if method == "saliency": return ca.Saliency(model).attribute(x, target=t)
    if method == "smoothgrad": return ca.NoiseTunnel(ca.Saliency(model)).attribute(x, target=t, nt_type="smoothgrad")
    if method == "ig": return ca.IntegratedGradients(model).attribute(x, target=t)
    return ca.LayerAttribution.interpolate(ca.LayerGradCam(model, layer).attribute(x, target=t), (64, 64))

def torchscope(x, t):
    import torchscope.explain as E
    if method == "gradcam": return E.GradCAM(model, layer=layer).attribute(x, t, upsample="nearest")
    return E.explainer(model, method).attribute(x, t)

runs = {"captum": captum, "torchscope": torchscope}
for lib in libs:
    runs[lib](x[:2].clone(), t[:2])  # warm up kernels and the allocator
sync()
if mode == "memory":
    (lib,) = libs
    base = torch.cuda.memory_allocated() if cuda else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    runs[lib](x.clone(), t)
    sync()
    top = torch.cuda.max_memory_allocated() if cuda else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"peak_mb": (top - base) / 2**20}))
else:
    times = {lib: [] for lib in libs}
    i = 0
    while i == 0 or (min(sum(v) for v in times.values()) < 3.0 and i < 20):
        for lib in libs if i % 2 == 0 else libs[::-1]:
            start = time.perf_counter()
            runs[lib](x.clone(), t)
            sync()
            times[lib].append(time.perf_counter() - start)
        i += 1
    print(json.dumps({lib: sorted(v)[len(v) // 2] for lib, v in times.items()}))
"""

METHODS = ("saliency", "smoothgrad", "ig", "gradcam")
LIBS = ("torchscope", "captum")
CHEAP_ROUNDS = 9
ENV = dict(os.environ)


def child(mode: str, libs: list[str], model: str, method: str, batch: int, src: Path, device: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(src), mode, ",".join(libs), model, method,
                          str(batch), device], capture_output=True, text=True, timeout=3600, env=ENV)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def case(model: str, batch: int, method: str, rounds: int, src: Path,
         device: str) -> tuple[dict[str, tuple[float, float]], list[float]]:
    """``({lib: (median seconds, median peak MB)}, ratios)``, the torchscope/Captum time ratio of each
    timing child, sorted: ``rounds`` timing
    children (libraries alternating first; ``CHEAP_ROUNDS`` when a case takes under a second) and
    ``rounds`` memory children per library."""
    times: dict[str, list[float]] = {lib: [] for lib in LIBS}
    ratios: list[float] = []
    r = 0
    while r < rounds or (r < CHEAP_ROUNDS and max(statistics.median(v) for v in times.values()) < 1.0):
        res = child("time", list(LIBS) if r % 2 == 0 else list(reversed(LIBS)), model, method, batch, src, device)
        for lib, seconds in res.items():
            times[lib].append(seconds)
        ratios.append(res["torchscope"] / res["captum"])
        r += 1
    peaks: dict[str, list[float]] = {lib: [] for lib in LIBS}
    for r in range(rounds):
        for lib in LIBS if r % 2 == 0 else reversed(LIBS):
            peaks[lib].append(child("memory", [lib], model, method, batch, src, device)["peak_mb"])
    return {lib: (statistics.median(times[lib]), statistics.median(peaks[lib])) for lib in LIBS}, sorted(ratios)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="SimpleCNN, batch 32 only")
    ap.add_argument("--rounds", type=int, default=3, help="timing and memory children per case (default 3)")
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="the torchscope source tree to measure")
    ap.add_argument("--only", action="append", default=[], help="MODEL:BATCH:METHOD, repeatable")
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda: peak memory is then torch.cuda's")
    ap.add_argument("--omp-passive", action="store_true",
                    help="OMP_WAIT_POLICY=PASSIVE in the children (see the module docstring)")
    args = ap.parse_args()
    if args.omp_passive:
        ENV["OMP_WAIT_POLICY"] = "PASSIVE"
    models = ["cnn"] if args.quick else ["cnn", "resnet18"]
    batches = [32] if args.quick else [32, 64]
    cases = [(m, b, k) for m in models for b in batches for k in METHODS]
    if args.only:
        cases = [(m, int(b), k) for m, b, k in (o.split(":") for o in args.only)]
    print(f"# torchscope from {args.src} on {args.device}; {args.rounds} rounds; "
          f"OMP_WAIT_POLICY={ENV.get('OMP_WAIT_POLICY', 'unset')}; load average at start "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs", flush=True)
    print(f"{'model':9} {'batch':>5} {'method':10} {'ts s':>7} {'captum s':>9} {'time x':>7} {'range':>10} "
          f"{'ts MB':>7} {'captum MB':>9} {'mem x':>6} {'load':>5}", flush=True)
    for model, batch, method in cases:
        load = os.getloadavg()[0]
        res, ratios = case(model, batch, method, args.rounds, args.src, args.device)
        (ts, tm), (cs, cm) = res["torchscope"], res["captum"]
        spread = f"{ratios[0]:.2f}-{ratios[-1]:.2f}"
        print(f"{model:9} {batch:5} {method:10} {ts:7.3f} {cs:9.3f} {statistics.median(ratios):7.2f} {spread:>10} "
              f"{tm:7.0f} {cm:9.0f} {tm / max(cm, 1):6.2f} {load:5.2f}", flush=True)


if __name__ == "__main__":
    main()
