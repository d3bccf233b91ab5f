"""Attribution methods vs Captum: time and peak memory, same models, batches and process setup.

SimpleCNN and ResNet-18 (written in tests/explain/models.py, random weights), batches 32 and 64 of
64x64 RGB, for saliency, SmoothGrad (Captum's NoiseTunnel defaults: 5 samples), Integrated
Gradients (50 steps, Gauss-Legendre) and Grad-CAM (Captum: LayerGradCam + interpolate). Each
measurement runs in a fresh child process: peak memory is the growth of the process's peak RSS
(``ru_maxrss``) over a warmed-up baseline, which counts torch's CPU allocations that tracemalloc
cannot see. Prints one line per case and the torchscope/Captum ratios.

Run: ``python benchmarks/bench_explain.py [--quick]``
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time, torch
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[1] + "/src")
from tests.explain.models import make
lib, model_name, method, batch = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
model, x = make(model_name, batch=batch, size=64)
t = torch.arange(batch) % 10
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
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
run(x.clone(), t)
seconds = time.perf_counter() - start
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak}))
"""


def measure(lib: str, model: str, method: str, batch: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), lib, model, method, str(batch)],
                         capture_output=True, text=True, timeout=1800)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    quick = "--quick" in sys.argv
    models = ["cnn"] if quick else ["cnn", "resnet18"]
    batches = [32] if quick else [32, 64]
    print(f"{'model':9} {'batch':>5} {'method':10} {'ts s':>7} {'captum s':>9} {'time x':>7} "
          f"{'ts MB':>7} {'captum MB':>9} {'mem x':>6}")
    for model in models:
        for batch in batches:
            for method in ("saliency", "smoothgrad", "ig", "gradcam"):
                ours, ref = measure("torchscope", model, method, batch), measure("captum", model, method, batch)
                print(f"{model:9} {batch:5} {method:10} {ours['seconds']:7.2f} {ref['seconds']:9.2f} "
                      f"{ours['seconds'] / ref['seconds']:7.2f} {ours['peak_mb']:7.0f} {ref['peak_mb']:9.0f} "
                      f"{ours['peak_mb'] / max(ref['peak_mb'], 1):6.2f}", flush=True)


if __name__ == "__main__":
    main()
