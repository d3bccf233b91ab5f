"""The embedded MNIST test set: shipped inside the package (with its attribution and licence), read
by the package's own IDX loader, as a Dataset (``ts.data.load("mnist")``) and as tensors
(``ts.data.mnist()``); nothing downloaded and nothing read from outside the package."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

import torchscope as ts
from torchscope.data.builtin import MNIST_DIR

COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]  # the published label counts of the test set
MD5 = {"t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
       "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}


def test_the_files_are_the_published_ones_with_their_licence() -> None:
    import torchscope

    assert Path(torchscope.__file__).parent / "data" / "mnist" == MNIST_DIR  # inside the package, nowhere else
    for name, md5 in MD5.items():
        assert hashlib.md5((MNIST_DIR / name).read_bytes()).hexdigest() == md5, name
    assert sum(p.stat().st_size for p in MNIST_DIR.glob("*.gz")) < 1.7e6  # about 1.6 MB in the wheel
    readme = (MNIST_DIR / "README.md").read_text()
    assert "LeCun" in readme and "Cortes" in readme and "Burges" in readme and "CC BY-SA 3.0" in readme
    licence = (MNIST_DIR / "LICENSE.txt").read_text()
    assert "Attribution-ShareAlike 3.0 Unported" in licence and "Creative Commons Notice" in licence


def test_the_files_are_package_data() -> None:
    import pytest

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    root = Path(__file__).resolve().parents[2]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["torchscope"]
    from fnmatch import fnmatch

    for name in (*MD5, "LICENSE.txt", "README.md"):
        assert any(fnmatch(f"data/mnist/{name}", pat) for pat in data), name


def test_load_gives_the_dataset() -> None:
    ds = ts.data.load("mnist")
    assert ds.name == "mnist" and ds.task == "image" and len(ds) == 10_000
    assert ds.sample_shape == (28, 28, 1) and ds.class_names == [str(i) for i in range(10)]
    assert np.bincount(ds.targets).tolist() == COUNTS
    x, y = ds[0]
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32 and 0.0 <= x.min() < x.max() <= 1.0 and y == 7
    train, test = ds.split(0.8, seed=0, stratify=True)
    assert len(train) == 8_000 and len(test) == 2_000
    assert "CC BY-SA 3.0" in ds.source.location


def test_mnist_gives_tensors() -> None:
    x, y = ts.data.mnist()
    assert x.shape == (10_000, 1, 28, 28) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert float(x.min()) == 0.0 and float(x.max()) == 1.0
    assert torch.bincount(y).tolist() == COUNTS and y[:5].tolist() == [7, 2, 1, 0, 4]
    ds = ts.data.load("mnist")
    assert torch.equal(x[123], ds[123][0]) and int(y[123]) == ds[123][1]  # the same digits both ways
    assert "ts.data.mnist()" in ts.data.mnist.__doc__
