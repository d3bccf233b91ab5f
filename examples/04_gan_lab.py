"""The GAN lab in a script: a real PyTorch GAN learns a ring of 8 Gaussians; export a GIF.

    python examples/04_gan_lab.py [--steps 600] [--out ring.gif]
    torchscope gan-lab                  # the same, live and interactive, in the dashboard
"""

import argparse

import torchscope as ts
from torchscope.gan.lab import export

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=600)
parser.add_argument("--out", default="ring.gif")
args = parser.parse_args()

lab = ts.gan.Lab2D(target="ring", loss="nonsaturating", seed=0)
frames = export.record(lab, steps=args.steps, every=max(1, args.steps // 30))
export.save_gif(frames, args.out)
latest = lab.frame().latest
print(f"after {args.steps} steps: " + ", ".join(f"{k} {v:.3g}" for k, v in latest.items() if isinstance(v, float)))
print(f"saved {len(frames)} frames to {args.out}")
