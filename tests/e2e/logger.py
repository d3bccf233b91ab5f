"""A real training-like process for the end-to-end tests (run as a child, argv[1] = store dir).

Logs three finished runs (one named like an XSS payload) with scalars, images, histograms and
text, then keeps a fourth run open and logs ``log STEP VALUE`` lines from stdin, flushing each.
"""

import math
import sys

import numpy as np

import torchscope as ts

XSS = "<img src=x onerror=alert(1)>"
dir = sys.argv[1]
rng = np.random.default_rng(0)
for i, (name, lr, tag) in enumerate([("alpha", 0.1, "cnn"), ("beta", 0.01, "cnn"), (XSS, 0.05, "mlp")]):
    with ts.init(project="e2e", name=name, dir=dir, tags=[tag], config={"lr": lr, "width": 32 * (i + 1)}) as run:
        for s in range(2000):
            loss = math.exp(-s * lr / 50) + 0.01 * math.sin(s)
            run.log({"train/loss": 1000.0 if (i == 0 and s == 777) else loss, "train/acc": 1 - loss / 2}, step=s)
        for s in (0, 10, 20):
            img = np.zeros((12, 12, 3), np.uint8)
            img[..., i] = 40 + 100 * s // 10
            run.log_image("samples", img, step=s, caption=f"step {s}")
            run.log_histogram("weights", rng.standard_normal(500) * (1 + s / 10) + i, step=s, bins=24)
        run.log_text("notes", f"# Run {i}\n\n**bold {i}** and `code`\n\n<script>window.__xss = 1</script>\n\n"
                              "[bad](javascript:alert(1)) [good](https://pytorch.org)", step=1)
        run.summary["best_loss"] = float("nan") if i == 2 else 0.1 * i
live = ts.init(project="e2e", name="live-run", dir=dir, flush_interval=0.05, config={"lr": 0.2, "width": 8})
for s in range(50):
    live.log({"live/loss": 1.0 / (s + 1)}, step=s)
live.flush()
print("READY", live.id, flush=True)
for line in sys.stdin:
    parts = line.split()
    if not parts or parts[0] == "quit":
        break
    live.log({"live/loss": float(parts[2])}, step=int(parts[1]))
    live.flush()
    print("OK", flush=True)
live.finish()
