"""Attribution methods vs Captum: time and peak memory, same models, batches and process setup.

SimpleCNN and ResNet-18 (written in tests/explain/models.py, random weights), batches 32 and 64 of
64x64 RGB, for saliency, SmoothGrad (Captum's NoiseTunnel defaults: 5 samples), Integrated
Gradients (50 steps, Gauss-Legendre) and Grad-CAM (Captum: LayerGradCam + interpolate). Both
libraries are measured in fresh child processes, interleaved: each round runs one child per
library, in alternating order (A B, B A, ...), so a change in the machine's load hits both. A
child warms up on two samples, then times the full batch; short cases are run again in the same
child (up to 5 runs or 2 s). The time is the median over all runs of all rounds. Peak memory is the
growth of the child's peak RSS (``ru_maxrss``) over the warmed-up baseline during its first run,
which counts torch's CPU allocations that tracemalloc cannot see; the median over rounds is shown.
The 1-minute load average is printed beside each line: on a shared machine, compare ratios, not
seconds. With ``--device cuda`` the models run on the GPU, times include a synchronize and peak
memory is ``torch.cuda.max_memory_allocated`` over what was allocated before.

Run: ``python benchmarks/bench_explain.py [--quick] [--rounds 3] [--src DIR] [--only resnet18:64:ig]
[--device cuda]``
(``--src`` measures another checkout's ``src``, e.g. an older commit unpacked with ``git archive``).
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
lib, model_name, method, batch, device = sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), sys.argv[7]
model, x = make(model_name, batch=batch, size=64)
model, x = model.to(device), x.to(device)
t = torch.arange(batch, device=device) % 10
cuda = device.startswith("cuda")
sync = torch.cuda.synchronize if cuda else (lambda: None)
layer = model.layer4 if model_name == "resnet18" else model.features
if lib == "captum":
    import captum.attr as ca
    def run(x, t):
        if method == "saliency": return ca.Saliency(model).attribute(x, target=t)
        if method == "smoothgrad":
            return ca.NoiseTunnel(ca.Saliency(model)).attribute(x, target=t, nt_type="smoothgrad")
        if method == "ig": return ca.IntegratedGradients(model).attribute(x, target=t)
        return ca.LayerAttribution.interpolate(ca.LayerGradCam(model, layer).attribute(x, target=t), (64, 64))
else:
    import torchscope.explain as E
    def run(x, t):
        if method == "gradcam": return E.GradCAM(model, layer=layer).attribute(x, t, upsample="nearest")
        return E.explainer(model, method).attribute(x, t)
run(x[:2].clone(), t[:2])  # warm up kernels and the allocator
sync()
base = torch.cuda.memory_allocated() if cuda else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
if cuda:
    torch.cuda.reset_peak_memory_stats()
times = []
while not times or (len(times) < 5 and sum(times) < 2.0):
    start = time.perf_counter()
    run(x.clone(), t)
    sync()
    times.append(time.perf_counter() - start)
    if len(times) == 1:
        top = torch.cuda.max_memory_allocated() if cuda else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        peak = (top - base) / 2**20
print(json.dumps({"times": times, "peak_mb": peak, "threads": torch.get_num_threads()}))
"""

METHODS = ("saliency", "smoothgrad", "ig", "gradcam")
LIBS = ("torchscope", "captum")


def measure(lib: str, model: str, method: str, batch: int, src: Path, device: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(src), lib, model, method, str(batch), device],
                         capture_output=True, text=True, timeout=1800)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def case(model: str, batch: int, method: str, rounds: int, src: Path, device: str) -> dict[str, tuple[float, float]]:
    """``{lib: (median seconds, median peak MB)}`` over ``rounds`` interleaved rounds."""
    times: dict[str, list[float]] = {lib: [] for lib in LIBS}
    peaks: dict[str, list[float]] = {lib: [] for lib in LIBS}
    for r in range(rounds):
        for lib in LIBS if r % 2 == 0 else reversed(LIBS):
            res = measure(lib, model, method, batch, src, device)
            times[lib] += res["times"]
            peaks[lib].append(res["peak_mb"])
    return {lib: (statistics.median(times[lib]), statistics.median(peaks[lib])) for lib in LIBS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="SimpleCNN, batch 32 only")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds per case (default 3)")
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="the torchscope source tree to measure")
    ap.add_argument("--only", action="append", default=[], help="MODEL:BATCH:METHOD, repeatable")
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda: peak memory is then torch.cuda's")
    args = ap.parse_args()
    models = ["cnn"] if args.quick else ["cnn", "resnet18"]
    batches = [32] if args.quick else [32, 64]
    cases = [(m, b, k) for m in models for b in batches for k in METHODS]
    if args.only:
        cases = [(m, int(b), k) for m, b, k in (o.split(":") for o in args.only)]
    print(f"# torchscope from {args.src} on {args.device}; {args.rounds} interleaved rounds; load average at start "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs", flush=True)
    print(f"{'model':9} {'batch':>5} {'method':10} {'ts s':>7} {'captum s':>9} {'time x':>7} "
          f"{'ts MB':>7} {'captum MB':>9} {'mem x':>6} {'load':>5}", flush=True)
    for model, batch, method in cases:
        load = os.getloadavg()[0]
        res = case(model, batch, method, args.rounds, args.src, args.device)
        (ts, tm), (cs, cm) = res["torchscope"], res["captum"]
        print(f"{model:9} {batch:5} {method:10} {ts:7.2f} {cs:9.2f} {ts / cs:7.2f} {tm:7.0f} {cm:9.0f} "
              f"{tm / max(cm, 1):6.2f} {load:5.2f}", flush=True)


if __name__ == "__main__":
    main()
