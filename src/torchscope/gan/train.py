"""``ts.gan.train_dcgan``: a DCGAN (Radford et al. 2016) on any torchscope image data set, with the
monitor attached, a progress bar, and the generator and classifier saved with the run.

The recipe is the paper's: Adam (lr 2e-4, beta1 0.5), batch 64, the non-saturating generator
loss, images scaled to [-1, 1]. On the embedded 8x8 digits it draws recognizable digits within
a minute of CPU time.

Example::

    gan = ts.gan.train_dcgan(ts.data.load("digits"), epochs=40, run=ts.init(project="gan"))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ._util import dataset_tensors, generate, threads
from .dcgan import Discriminator, Generator
from .monitor import Monitor

__all__ = ["DCGAN", "train_dcgan"]


class _NullRun:
    """Stands in for a run when none is given: the monitor still keeps frames, metrics and alarms."""

    id = None

    def log(self, *a: Any, **k: Any) -> None: ...

    def log_image(self, *a: Any, **k: Any) -> None: ...

    def log_record(self, *a: Any, **k: Any) -> None: ...


@dataclass
class DCGAN:
    """What :func:`train_dcgan` returns: the nets, the monitor and per-epoch losses."""

    generator: Generator
    discriminator: Discriminator
    monitor: Monitor
    z_dim: int
    class_names: list[str]
    value_range: tuple[float, float] = (-1.0, 1.0)
    history: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0

    def sample(self, n: int = 64, *, seed: int | None = None) -> torch.Tensor:
        """``n`` images in [0, 1] (N x C x H x W): ``gan.sample(16)``."""
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        z = torch.randn(n, self.z_dim, generator=g).to(next(self.generator.parameters()).device)
        return generate(self.generator, z, value_range=self.value_range)


def train_dcgan(dataset: Any, epochs: int = 30, run: Any = None, *, batch_size: int = 64, z_dim: int | None = None,
                width: int | None = None, lr: float = 2e-4, betas: tuple[float, float] = (0.5, 0.999),
                every: int | None = None, metrics_every: int | None = None, metric_samples: int = 1000,
                metrics: bool = True, save: bool = True, device: Any = None, num_threads: int | None = None,
                progress: bool = True, seed: int = 0) -> DCGAN:
    """Train a DCGAN sized to ``dataset``'s images (8, 28, 32, 64... pixels) and monitor it.

    ``metrics`` computes FD/KID/precision/recall with the data set's own classifier (trained and
    cached on first use); ``save`` stores the generator and that classifier with the run for the
    GAN lens. ``num_threads`` defaults to 1 for images up to 32 pixels on the CPU (faster there).
    Example: ``gan = ts.gan.train_dcgan(ts.data.load("digits"), epochs=40, run=run)``.
    """
    import time

    from torchscope._progress import tqdm

    from ..data.views._common import require

    ds = require(dataset, "image", "train_dcgan")
    h, w, c = ds.sample_shape
    if h != w:
        raise ValueError(f"train_dcgan needs square images; {ds.name!r} has {h}x{w}")
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    z_dim = z_dim or (64 if h <= 16 else 100)
    width = width or (128 if h <= 16 else 64)
    if num_threads is None and device.type == "cpu" and h <= 32:
        num_threads = 1
    torch.manual_seed(seed)
    G = Generator(h, c, z_dim, width).to(device)
    D = Discriminator(h, c, width // 2 if h <= 16 else width).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    x_all, _ = dataset_tensors(ds)
    x_all = (x_all * 2 - 1).to(device)
    n_batches = max(1, len(x_all) // batch_size)
    total = epochs * n_batches
    every = every or max(1, min(n_batches, total // 60 or 1))
    run = run if run is not None else _NullRun()
    mon = Monitor(run, G, D, z_dim=z_dim, fixed_noise=64, every=every, real=ds if metrics else None,
                  metrics_every=metrics_every or max(every, total // 8), metric_samples=metric_samples,
                  g_optimizer=opt_g, d_optimizer=opt_d, seed=seed)
    bce = nn.BCEWithLogitsLoss()
    gen = torch.Generator(device="cpu").manual_seed(seed)
    history: dict[str, list[float]] = {"d_loss": [], "g_loss": []}
    start = time.perf_counter()
    with threads(num_threads), mon, tqdm(range(epochs), desc=f"DCGAN on {ds.name}", unit="epoch",
                                         disable=not progress) as bar:
        for _ in bar:
            perm = torch.randperm(len(x_all), generator=gen).to(device)
            sums = torch.zeros(2, device=device)
            for b in range(n_batches):
                x = x_all[perm[b * batch_size:(b + 1) * batch_size]]
                z = torch.randn(len(x), z_dim, device=device)
                fake = G(z)
                d_real, d_fake = D(x), D(fake.detach())
                d_loss = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
                opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                opt_d.step()
                g_out = D(fake)
                g_loss = bce(g_out, torch.ones_like(g_out))
                opt_g.zero_grad(set_to_none=True)
                g_loss.backward()
                opt_g.step()
                mon.step(d_loss=d_loss, g_loss=g_loss, d_real=d_real, d_fake=d_fake)
                sums += torch.stack([d_loss.detach(), g_loss.detach()])
            d_avg, g_avg = (sums / n_batches).tolist()  # one sync per epoch
            history["d_loss"].append(d_avg)
            history["g_loss"].append(g_avg)
            bar.set_postfix(d_loss=f"{d_avg:.3f}", g_loss=f"{g_avg:.3f}")
        if not mon.frame_steps or mon.frame_steps[-1] != total - 1:
            mon.checkpoint(total)
        if metrics and (not mon.metrics or mon.metrics[-1].step != total):
            mon.measure(total)
    seconds = time.perf_counter() - start
    if save and not isinstance(run, _NullRun):
        from .checkpoint import save_checkpoint

        save_checkpoint(run, G, role="generator", step=total, z_dim=z_dim, class_names=list(ds.class_names),
                        dataset=ds.name)
        if mon.extractor is not None:
            save_checkpoint(run, mon.extractor, role="classifier", step=total, real=ds, dataset=ds.name)
    return DCGAN(G, D, mon, z_dim, list(ds.class_names), history=history, seconds=seconds)
