"""Image-GAN benchmark: DCGAN on the embedded digits (seconds per epoch, Frechet distance after N
epochs), metric time for 10,000 samples (our eigenvalue Frechet distance next to pytorch-fid's
``scipy.linalg.sqrtm`` formula, KID, precision/recall), and the latent explorer's response per
slider move (goal: under 100 ms on CPU). Run on the target machine (2 CPU cores).

    .venv/bin/python benchmarks/bench_gan_images.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numpy as np
import torch

import torchscope as ts


def timed(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def fd_scipy(a: np.ndarray, b: np.ndarray) -> float:  # pytorch-fid's calculate_frechet_distance
    from scipy import linalg

    mu1, mu2, s1, s2 = a.mean(0), b.mean(0), np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1.dot(s2))
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))


def bench_dcgan(epochs: int) -> tuple[torch.nn.Module, object]:
    ds = ts.data.load("digits")
    t = time.perf_counter()
    fx = ts.gan.feature_extractor(ds)
    print(f"feature extractor (digits): {time.perf_counter() - t:.1f} s (cached after the first time), {fx}")
    with tempfile.TemporaryDirectory() as d:
        run = ts.init(project="bench-gan", dir=d)
        gan = ts.gan.train_dcgan(ds, epochs=epochs, run=run, progress=False)
        run.finish()
    m = gan.monitor.metrics[-1]
    print(f"DCGAN on digits: {gan.seconds / epochs:.2f} s/epoch ({gan.seconds:.1f} s for {epochs} epochs "
          f"incl. metrics every {gan.monitor.metrics_every} steps)")
    print(f"  after {epochs} epochs: FD {m.fd:.2f}  KID {m.kid:.4f}  precision {m.precision:.3f}  "
          f"recall {m.recall:.3f}  ({m.n_fake} fake vs {m.n_real} real)")
    fd = [(x.step, round(x.fd, 1)) for x in gan.monitor.metrics]
    print(f"  FD over training (step, FD): {fd}")
    return gan.generator, fx


def bench_metrics(n: int) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(n, 64)), rng.normal(size=(n, 64)) * 1.1 + 0.1
    ours, ref = timed(lambda: ts.gan.frechet_distance(a, b)), timed(lambda: fd_scipy(a, b))
    print(f"Frechet distance, {n} x 64 features: torchscope {ours * 1e3:.1f} ms, scipy sqrtm (pytorch-fid) "
          f"{ref * 1e3:.1f} ms, ratio {ref / ours:.1f}x; values {ts.gan.frechet_distance(a, b):.5f} vs "
          f"{fd_scipy(a, b):.5f}")
    print(f"KID (50 subsets of 1000): {timed(lambda: ts.gan.kid(a, b), 1):.2f} s")
    print(f"precision/recall k=3, {n} vs {n}: {timed(lambda: ts.gan.precision_recall(a, b), 1):.2f} s")
    ds = ts.data.load("digits")
    fx = ts.gan.feature_extractor(ds)
    x = torch.rand(n, 1, 8, 8)
    print(f"features of {n} 8x8 images: {timed(lambda: fx.features(x), 1):.2f} s")


def bench_explorer(G: torch.nn.Module) -> None:
    dirs = ts.gan.directions(G, k=6)
    ex = ts.gan.LatentExplorer(G, dirs)
    ex.png([0.5])
    for label, fn in (("image", lambda i: ex.image([i / 10 - 2.5, 1.0])), ("png x8", lambda i: ex.png([i / 10, 1.0]))):
        t = time.perf_counter()
        for i in range(50):
            fn(i)
        print(f"latent explorer, one slider move ({label}): {(time.perf_counter() - t) / 50 * 1e3:.2f} ms "
              f"(goal < 100 ms)")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--epochs", type=int, default=40)
    args = p.parse_args()
    os.environ.setdefault("TORCHSCOPE_CACHE", os.path.join(tempfile.gettempdir(), "torchscope-bench-cache"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs")
    G, _ = bench_dcgan(5 if args.quick else args.epochs)
    bench_metrics(2000 if args.quick else 10_000)
    bench_explorer(G)


if __name__ == "__main__":
    main()
