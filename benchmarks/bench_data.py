"""Benchmark of torchscope's data stage against what a user would otherwise write.

1. Load the MNIST test set (10,000 IDX images) and compute its overview (class balance, samples,
   mean/std images, pixel statistics), against numpy reading the same gzip files directly.
2. PCA and t-SNE of the 10,000 MNIST images through ``ts.data.project`` against calling
   scikit-learn directly with the same parameters (t-SNE: PCA to 50 dims, then Barnes-Hut t-SNE,
   van der Maaten & Hinton 2008). Goal: our overhead under 10%.
3. Start a 100,000-file image folder (names listed, one image decoded) against ``os.walk`` alone.

Run: ``.venv/bin/python benchmarks/bench_data.py [--mnist DIR] [--points N] [--skip-tsne]``.
Not a timed test: it prints the figures and the ratios.
"""

from __future__ import annotations

import argparse
import gzip
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def row(what: str, ours: float, theirs: float, baseline: str) -> None:
    print(f"{what:<44} torchscope {ours:8.3f} s   {baseline:<22} {theirs:8.3f} s   "
          f"overhead {100 * (ours / theirs - 1):+6.1f}%")


def numpy_mnist(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = gzip.decompress((folder / "t10k-images-idx3-ubyte.gz").read_bytes())
    x = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)
    y = np.frombuffer(gzip.decompress((folder / "t10k-labels-idx1-ubyte.gz").read_bytes()), np.uint8, offset=8)
    return x, y


def bench_load(folder: Path) -> Any:
    import torchscope.data as tsd

    t_np, _ = best(lambda: numpy_mnist(folder), 3)
    t_ts, ds = best(lambda: tsd.load(folder), 3)
    row("load MNIST test set (10,000 IDX images)", t_ts, t_np, "numpy gzip+frombuffer")
    views = {"class balance": lambda: tsd.class_balance(ds), "samples per class": lambda: tsd.samples(ds),
             "mean/std images": lambda: tsd.mean_images(ds), "pixel statistics": lambda: tsd.pixel_stats(ds)}
    total = 0.0
    for name, fn in views.items():
        t, rec = best(fn, 3)
        t_fig, _ = best(lambda rec=rec: rec.save(Path(tempfile.gettempdir()) / "ts_bench.png"), 1)
        total += t
        print(f"  {name:<42} compute {t:7.3f} s   figure to PNG {t_fig:6.3f} s")
    x, y = numpy_mnist(folder)
    t_ref, _ = best(lambda: [(x[y == c].mean(0), x[y == c].std(0)) for c in range(10)], 3)
    print(f"  overview compute total {total:.3f} s (numpy per-class mean/std alone: {t_ref:.3f} s)")
    return ds


def bench_projection(ds: Any, points: int, skip_tsne: bool) -> None:
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    import torchscope.data as tsd

    sub = ds.subset(ds.sample_indices(points, seed=0))

    def direct_x() -> np.ndarray:
        return sub.arrays(progress=False)[0].reshape(len(sub), -1).astype(np.float32) / 255.0

    def sk_pca() -> np.ndarray:
        return PCA(n_components=2, random_state=0).fit_transform(direct_x())

    t_sk, _ = best(sk_pca, 5)
    t_ts, _ = best(lambda: tsd.project(sub, method="pca", thumbnails=False, progress=False), 5)
    row(f"PCA of {len(sub):,} MNIST images", t_ts, t_sk, "scikit-learn PCA")
    t_th, rec = best(lambda: tsd.project(sub, method="pca", progress=False), 3)
    t_png, (png, _) = best(rec.sprite, 3)
    print(f"  with {len(sub):,} thumbnails kept: {t_th:.3f} s; their PNG sprite sheet ({len(png) / 1e6:.2f} MB), "
          f"encoded when the record is logged or saved: {t_png:.3f} s")
    if skip_tsne:
        return

    def sk_tsne() -> np.ndarray:
        pre = PCA(n_components=50, random_state=0).fit_transform(direct_x())
        return TSNE(n_components=2, perplexity=30.0, init="pca", learning_rate="auto",
                    random_state=0).fit_transform(pre)

    t_sk, ref = best(sk_tsne, 1)
    t_ts, rec = best(lambda: tsd.project(sub, method="tsne", progress=False), 1)
    row(f"t-SNE of {len(sub):,} MNIST images", t_ts, t_sk, "scikit-learn PCA+TSNE")
    print(f"  same coordinates as scikit-learn: {np.allclose(rec.coords, ref, rtol=1e-3, atol=1e-2)}")


def bench_folder(n: int = 100_000) -> None:
    from PIL import Image

    import torchscope.data as tsd

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "big"
        per = n // 10
        for c in range(10):
            (root / str(c)).mkdir(parents=True)
            first = root / str(c) / "00000.png"
            Image.fromarray(np.full((28, 28), 25 * c, np.uint8)).save(first)
            for i in range(1, per):
                os.link(first, root / str(c) / f"{i:05d}.png")
        t_walk, _ = best(lambda: sum(len(f) for _, _, f in os.walk(root)), 3)
        t_ts, ds = best(lambda: tsd.load(root), 3)
        row(f"start a {len(ds):,}-file image folder", t_ts, t_walk, "os.walk listing only")
        t_read, _ = best(lambda: ds.take(np.arange(0, n, n // 1000), progress=False), 1)
        print(f"  then reading 1,000 images on demand: {t_read:.3f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mnist", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"),
                    help="folder with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz")
    ap.add_argument("--points", type=int, default=10_000, help="points for PCA and t-SNE (default 10,000)")
    ap.add_argument("--skip-tsne", action="store_true", help="skip the slow t-SNE comparison")
    ap.add_argument("--skip-folder", action="store_true", help="skip the 100k-file folder")
    args = ap.parse_args()
    folder = Path(args.mnist)
    if not (folder / "t10k-images-idx3-ubyte.gz").is_file():
        raise SystemExit(f"MNIST test set not found in {folder}; pass --mnist DIR")
    print(f"torchscope data benchmark ({os.cpu_count()} CPUs)")
    ds = bench_load(folder)
    bench_projection(ds, args.points, args.skip_tsne)
    if not args.skip_folder:
        bench_folder()


if __name__ == "__main__":
    main()
