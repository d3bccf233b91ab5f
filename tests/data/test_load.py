"""``ts.data.load`` dispatch: embedded sets, arrays and tensors, torch Datasets; the Dataset and its split."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

import torchscope.data as tsd


@pytest.mark.parametrize("name, n, task, classes, shape", [
    ("digits", 1797, "image", 10, (8, 8, 1)),
    ("iris", 150, "tabular", 3, (4,)),
    ("wine", 178, "tabular", 3, (13,)),
    ("Breast-Cancer", 569, "tabular", 2, (30,)),
])
def test_embedded_sets(name: str, n: int, task: str, classes: int, shape: tuple) -> None:
    ds = tsd.load(name)
    assert (len(ds), ds.task, ds.num_classes, ds.sample_shape) == (n, task, classes, shape)
    x, y = ds[0]
    assert x.dtype == torch.float32 and isinstance(y, int)
    if task == "tabular":
        assert len(ds.feature_names) == shape[0]


def test_digits_match_the_demo_tensors() -> None:
    from sklearn.datasets import load_digits

    ds = tsd.load("digits")
    ref = load_digits()
    assert torch.equal(ds[5][0], torch.tensor(ref.images[5] / 16.0, dtype=torch.float32)[None])
    assert ds.class_names == [str(i) for i in range(10)] and float(ds.arrays()[0].max()) == 1.0


def test_tensor_pair_items_come_back_unchanged() -> None:
    x = torch.randn(20, 3, 5, 4)
    y = torch.arange(20) % 4
    ds = tsd.load(x, y)
    assert ds.task == "image" and ds.sample_shape == (5, 4, 3) and ds.num_classes == 4
    assert torch.equal(ds[7][0], x[7]) and ds[7][1] == 3


def test_uint8_nhwc_array_is_scaled_like_to_tensor() -> None:
    x = np.random.default_rng(0).integers(0, 256, (6, 5, 4, 3), dtype=np.uint8)
    ds = tsd.load(x, np.zeros(6, int))
    assert torch.allclose(ds[1][0], torch.tensor(x[1].transpose(2, 0, 1) / 255.0, dtype=torch.float32))


def test_greyscale_stack_table_and_names() -> None:
    assert tsd.load(np.zeros((4, 6, 6)), [0, 1, 0, 1]).sample_shape == (6, 6, 1)
    t = tsd.load(np.ones((5, 2)), np.array(["b", "a", "b", "a", "c"]), feature_names=["h", "w"], name="t")
    assert t.task == "tabular" and t.class_names == ["a", "b", "c"] and t.targets.tolist() == [1, 0, 1, 0, 2]
    assert t.feature_names == ["h", "w"] and t.name == "t"
    f = tsd.load(np.ones((3, 2)), np.array([2.0, 0.0, 1.0]))
    assert f.targets.tolist() == [2, 0, 1]
    assert tsd.load(np.ones((3, 2))).class_names == ["all"]
    neg = tsd.load(np.ones((3, 2)), [-1, 1, -1])
    assert neg.class_names == ["-1", "1"] and neg.targets.tolist() == [0, 1, 0]


@pytest.mark.parametrize("args, err, match", [
    ((np.ones((3, 2)), [0, 1]), tsd.DataError, "3 inputs but 2 labels"),
    ((np.ones((3, 2)), [0.5, 1, 2]), tsd.DataError, "fractional floats"),
    ((np.ones((2, 2)), [0, 2**40]), tsd.DataError, r"labels go up to 1,099,511,627,776, so there would be "
                                                   r"1,099,511,627,777 classes; torchscope names at most 100,000"),
    ((np.ones(3), [0, 1, 2]), tsd.DataError, "neither a table"),
    (("no-such-set",), tsd.DataError, "embedded: breast_cancer, digits, iris, mnist, wine"),
    ((42,), TypeError, "cannot read a int"),
    (("digits", [1, 2]), TypeError, "labels= only goes with"),
])
def test_bad_input_is_explained(args: tuple, err: type, match: str) -> None:
    with pytest.raises(err, match=match):
        tsd.load(*args)


def test_unknown_file_type(tmp_path: Path) -> None:
    (tmp_path / "data.bin").write_bytes(b"x")
    with pytest.raises(tsd.DataError, match="cannot tell what data this file holds"):
        tsd.load(tmp_path / "data.bin")


class Items(torch.utils.data.Dataset):
    """A plain torch Dataset without ``targets``."""

    def __init__(self, n: int = 12) -> None:
        self.x = torch.rand(n, 1, 4, 4)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.x[i], i % 3


def test_any_torch_dataset() -> None:
    ds = tsd.load(Items())
    assert ds.task == "image" and ds.class_names == ["0", "1", "2"] and ds.is_lazy
    assert ds.targets.tolist() == [i % 3 for i in range(12)]
    assert torch.equal(ds[4][0], ds.source.ds.x[4])
    tab = tsd.load(torch.utils.data.TensorDataset(torch.rand(5, 3), torch.tensor([0, 1, 1, 0, 1])))
    assert tab.task == "tabular" and tab.feature_names == ["x0", "x1", "x2"]


def test_torchvision_style_targets_and_classes_are_used_without_reading_items() -> None:
    class Vision(Items):
        def __init__(self) -> None:
            super().__init__(6)
            self.classes = ["zero", "one", "two"]
            self.targets = [2, 1, 0, 2, 1, 0]

        def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
            if getattr(self, "forbid", False):
                raise AssertionError("labels must come from .targets")
            return self.x[i], self.targets[i]

    v = Vision()
    ds = tsd.load(v)
    v.forbid = True
    assert ds.targets.tolist() == [2, 1, 0, 2, 1, 0] and ds.class_names == ["zero", "one", "two"]


def test_load_returns_a_torchscope_dataset_as_is_and_applies_transform() -> None:
    ds = tsd.load("iris")
    assert tsd.load(ds) is ds
    t = tsd.load("digits", transform=lambda x: x * 2)
    assert torch.equal(t[0][0], 2 * tsd.load("digits")[0][0])


def test_split_is_stratified_disjoint_and_repeatable() -> None:
    ds = tsd.load("digits")
    train, test = ds.split(0.8, seed=0, stratify=True)
    assert len(train) + len(test) == len(ds) and not set(train.indices) & set(test.indices)
    full = np.bincount(ds.targets)
    np.testing.assert_array_equal(np.bincount(train.targets), np.round(0.8 * full).astype(int))
    again, _ = ds.split(0.8, seed=0)
    other, _ = ds.split(0.8, seed=1)
    assert np.array_equal(again.indices, train.indices) and not np.array_equal(other.indices, train.indices)
    assert train.name == "digits[train]" and test.name == "digits[test]"
    a, b = train.split(0.5, stratify=False)
    assert set(a.indices) | set(b.indices) == set(train.indices)
    assert torch.equal(train[3][0], ds[int(train.indices[3])][0])
    with pytest.raises(ValueError, match="between 0 and 1"):
        ds.split(1.0)


def test_dataset_in_a_dataloader_pickles_and_indexes() -> None:
    train, _ = tsd.load("iris").split(0.8)
    xb, yb = next(iter(torch.utils.data.DataLoader(train, batch_size=16, shuffle=True)))
    assert xb.shape == (16, 4) and yb.dtype == torch.int64
    clone = pickle.loads(pickle.dumps(train))
    assert torch.equal(clone[-1][0], train[len(train) - 1][0])
    with pytest.raises(IndexError):
        train[len(train)]
    assert "iris[train]" in repr(train)
