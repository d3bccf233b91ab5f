"""Image-GAN benchmark: DCGAN on the embedded digits (seconds per epoch, Frechet distance after N
epochs), metric time for 10,000 samples (our eigenvalue Frechet distance next to pytorch-fid's
``scipy.linalg.sqrtm`` formula, KID, precision/recall next to torchscope's previous brute-force
blocks), the latent explorer's response per slider move (goal: under 100 ms on CPU; in the
library and through the dashboard's route), and the dashboard's on-demand class prototype and
counterfactual (library time, and request-to-answer through the server's job routes).
Run on the target machine (2 CPU cores).

    .venv/bin/python benchmarks/bench_gan_images.py [--quick] [--epochs 40] [--dir tsruns-bench]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

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


def pr_previous(real: np.ndarray, fake: np.ndarray, k: int = 3, chunk: int = 1024) -> tuple[float, float]:
    """torchscope's precision/recall before the blocked float32 products: cdist + kthvalue per block, 4 passes."""
    r, f = torch.as_tensor(real, dtype=torch.float32), torch.as_tensor(fake, dtype=torch.float32)

    def radius(x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.cdist(x[i:i + chunk], x).kthvalue(k + 1, dim=1).values
                          for i in range(0, len(x), chunk)])

    def inside(q: torch.Tensor, ref: torch.Tensor, rad: torch.Tensor) -> torch.Tensor:
        return torch.cat([(torch.cdist(q[i:i + chunk], ref) <= rad[None]).any(1) for i in range(0, len(q), chunk)])

    return float(inside(f, r, radius(r)).float().mean()), float(inside(r, f, radius(f)).float().mean())


def bench_dcgan(epochs: int, d: str) -> tuple[torch.nn.Module, object, str]:
    ds = ts.data.load("digits")
    t = time.perf_counter()
    fx = ts.gan.feature_extractor(ds)
    print(f"feature extractor (digits): {time.perf_counter() - t:.1f} s (cached after the first time), {fx}")
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
    return gan.generator, fx, run.id


def bench_metrics(n: int) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(n, 64)), rng.normal(size=(n, 64)) * 1.1 + 0.1
    ours, ref = timed(lambda: ts.gan.frechet_distance(a, b)), timed(lambda: fd_scipy(a, b))
    print(f"Frechet distance, {n} x 64 features: torchscope {ours * 1e3:.1f} ms, scipy sqrtm (pytorch-fid) "
          f"{ref * 1e3:.1f} ms, ratio {ref / ours:.1f}x; values {ts.gan.frechet_distance(a, b):.5f} vs "
          f"{fd_scipy(a, b):.5f}")
    print(f"KID (50 subsets of 1000): {timed(lambda: ts.gan.kid(a, b), 1):.2f} s")
    ours, prev = timed(lambda: ts.gan.precision_recall(a, b), 3), timed(lambda: pr_previous(a, b), 1)
    now, before = ts.gan.precision_recall(a, b), pr_previous(a, b)
    print(f"precision/recall k=3, {n} vs {n} x 64: torchscope {ours:.2f} s (median of 3), previous torchscope "
          f"(cdist + kthvalue blocks) {prev:.2f} s, ratio {prev / ours:.1f}x; values {now} vs "
          f"({before[0]:.6f}, {before[1]:.6f})")
    ds = ts.data.load("digits")
    fx = ts.gan.feature_extractor(ds)
    x = torch.rand(n, 1, 8, 8)
    print(f"features of {n} 8x8 images: {timed(lambda: fx.features(x), 1):.2f} s")


def bench_lens(d: str, run_id: str, G: torch.nn.Module) -> None:
    """The dashboard's on-demand lens: library time, then request-to-answer through the server's job routes."""
    import httpx

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.server.util import ServerThread

    from torchscope.server import create_app

    store = ts.open(d)
    clf = store.record(run_id, "gan.checkpoint", key="gan/checkpoint/classifier").build()
    t = time.perf_counter()
    p = ts.gan.prototypes(G, clf, ["3"])
    print(f"class prototype '3' (200 steps x 16 starts), library: {time.perf_counter() - t:.2f} s, "
          f"p('3') {p.start_probs[0]:.3f} -> {p.probs[0]:.3f}")
    t = time.perf_counter()
    c = ts.gan.counterfactual(G, clf, "3", "8")
    print(f"counterfactual '3' -> '8' (up to 300 steps), library: {time.perf_counter() - t:.2f} s, "
          f"p('8') reached {c.probs[-1, 8]:.3f}, |dz| {c.distance:.2f}")
    with ServerThread(create_app(d, warm=False)) as url, httpx.Client(base_url=url, timeout=60) as client:
        def ask(path: str, params: dict) -> tuple[float, dict]:
            t = time.perf_counter()
            job = client.get(path, params={"run": run_id, **params}).json()
            while job["status"] in ("queued", "running"):
                time.sleep(0.02)
                job = client.get("/api/gan/job", params={"id": job["id"]}).json()
            return time.perf_counter() - t, job

        for name, path, params in (("prototype '3'", "/api/gan/prototype", {"cls": "3"}),
                                   ("prototype '5'", "/api/gan/prototype", {"cls": "5"}),
                                   ("counterfactual '3' -> '8'", "/api/gan/counterfactual",
                                    {"source": "3", "target": "8"})):
            first, job = ask(path, params)
            again, _ = ask(path, params)
            note = ", the first request also rebuilds the models" if name == "prototype '3'" else ""
            print(f"on demand in the dashboard, {name} (normal effort): {first:.2f} s from request to answer "
                  f"(job {job.get('seconds', 0):.2f} s{note}), asked again (cached) {again * 1e3:.1f} ms")
        client.get("/api/gan/directions", params={"run": run_id})
        t = time.perf_counter()
        for i in range(20):
            client.get("/api/gan/explore", params={"run": run_id, "s": f"{i / 10 - 1:.2f},1.00"})
        print(f"latent explorer through the server, one slider move: {(time.perf_counter() - t) / 20 * 1e3:.1f} ms "
              "per PNG (goal < 100 ms)")
    store.close()


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
    p.add_argument("--dir", help="keep the trained run in this store (default: a temporary one)")
    args = p.parse_args()
    os.environ.setdefault("TORCHSCOPE_CACHE", os.path.join(tempfile.gettempdir(), "torchscope-bench-cache"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        d = args.dir or tmp
        G, _, run_id = bench_dcgan(5 if args.quick else args.epochs, d)
        bench_metrics(2000 if args.quick else 10_000)
        bench_explorer(G)
        bench_lens(d, run_id, G)


if __name__ == "__main__":
    main()
