"""Your own DCGAN loop, watched by ts.gan.Monitor: losses, D outputs, gradient norms, a fixed-noise
timeline, Frechet distance / KID / precision-recall and alarms, all in one run (lines marked ###).

    python examples/06_gan_images.py [--epochs 40] [--dir tsruns]     # or TORCHSCOPE_DIR=...
    torchscope serve tsruns            # the GAN tab: curves, the timeline scrubber, metrics, latent explorer

TORCHSCOPE_EXAMPLES_QUICK=1 trains for a few epochs only (the tests use it). The data set is
scikit-learn's 8x8 digits (no download); the DCGAN follows Radford et al. 2016 at that size.
"""

import argparse
import os
import time
from pathlib import Path

import torch
from torch import nn

import torchscope as ts

QUICK = os.environ.get("TORCHSCOPE_EXAMPLES_QUICK") == "1"
parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=3 if QUICK else 40)
parser.add_argument("--dir", default=os.environ.get("TORCHSCOPE_DIR", "tsruns"))
parser.add_argument("--gif", default=None, help="where to write the timeline GIF (default: DIR/gan_timeline.gif)")
args = parser.parse_args()
Z = 32


class Generator(nn.Module):
    """z -> 128 x 2 x 2 -> 64 x 4 x 4 -> 1 x 8 x 8 in [-1, 1]."""

    def __init__(self, z_dim: int = Z) -> None:
        super().__init__()
        self.project = nn.Sequential(nn.Linear(z_dim, 128 * 2 * 2), nn.BatchNorm1d(128 * 2 * 2), nn.ReLU())
        self.up = nn.Sequential(nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                                nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.up(self.project(z).view(-1, 128, 2, 2))


class Discriminator(nn.Module):
    """1 x 8 x 8 -> one logit."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
                                 nn.Flatten(), nn.Linear(128 * 2 * 2, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


torch.manual_seed(0)
torch.set_num_threads(1)  # models this small train faster on one thread
data = ts.data.load("digits")
loader = torch.utils.data.DataLoader(data, batch_size=64, shuffle=True, drop_last=True)
G, D = Generator(), Discriminator()
opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()
steps = args.epochs * len(loader)

start = time.perf_counter()
run = ts.init(project="examples", name="my-dcgan", dir=args.dir, config={"epochs": args.epochs, "z_dim": Z})  ###
mon = ts.gan.Monitor(run, G, D, z_dim=Z, every=max(1, steps // 40), real=data, metrics_every=max(1, steps // 4),  ###
                     metric_samples=300 if QUICK else 1000, g_optimizer=opt_g, d_optimizer=opt_d)
for _ in range(args.epochs):
    for x, _labels in loader:
        x = x * 2 - 1                                 # [0, 1] pixels -> the generator's tanh range
        fake = G(torch.randn(len(x), Z))
        d_real, d_fake = D(x), D(fake.detach())
        d_loss = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_out = D(fake)
        g_loss = bce(g_out, torch.ones_like(g_out))   # non-saturating generator loss
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        mon.step(d_loss=d_loss, g_loss=g_loss, d_real=d_real, d_fake=d_fake)  ###
m = mon.measure()                                     # the final FD / KID / precision / recall
mon.close()
G.eval()
run.log_record(ts.gan.directions(G, z_dim=Z, k=4), key="gan/directions")   # the dashboard's latent sliders
run.log_record(ts.gan.interpolate(G, z_dim=Z, classifier=mon.extractor), key="gan/lens/interpolation")
run.finish()
gif = mon.gif(args.gif or Path(run.dir) / "gan_timeline.gif")
print(f"{steps} steps in {time.perf_counter() - start:.1f} s: FD {m.fd:.3g}, KID {m.kid:.3g}, "
      f"precision {m.precision:.2f}, recall {m.recall:.2f}")
print(f"run {run.id} in {run.dir}; timeline of {len(mon.frames)} frames saved to {gif}")
