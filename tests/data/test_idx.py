"""IDX loader: files written byte by byte, every corruption named, and the real MNIST test set."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

import torchscope.data as tsd
from torchscope.data.idx import parse_idx, read_idx

from .files import MNIST, MNIST_COUNTS, idx_bytes, mnist_dir, write_idx


@pytest.mark.parametrize("gz", [True, False])
def test_folder_of_idx_files_loads_train_by_default_and_test_on_request(tmp_path: Path, gz: bool) -> None:
    root, arrays = mnist_dir(tmp_path / "mnist", gz=gz)
    train = tsd.load(root)
    test = tsd.load(root, subset="test")
    for ds, (x, y) in ((train, arrays["train"]), (test, arrays["test"])):
        assert ds.task == "image" and len(ds) == len(x)
        assert ds.class_names == ["0", "1", "2"]
        np.testing.assert_array_equal(ds.targets, y)
        np.testing.assert_array_equal(ds.arrays()[0][..., 0], x)
        img, label = ds[4]
        assert img.shape == (1, 6, 5) and label == int(y[4])
        np.testing.assert_allclose(img[0].numpy(), x[4] / 255.0, rtol=1e-6)
    assert train.name.endswith("/train") and test.name.endswith("/test")


def test_one_idx_file_path_finds_its_partner_and_classes_rename(tmp_path: Path) -> None:
    root, arrays = mnist_dir(tmp_path / "m")
    ds = tsd.load(root / "t10k-labels-idx1-ubyte.gz", classes=["a", "b", "c"])
    assert len(ds) == len(arrays["test"][0]) and ds.class_names == ["a", "b", "c"]


def test_kaggle_style_names_and_a_raw_subfolder(tmp_path: Path) -> None:
    x = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "d" / "raw" / "train-images.idx3-ubyte", x)
    write_idx(tmp_path / "d" / "raw" / "train-labels.idx1-ubyte", np.array([1, 0], np.uint8))
    ds = tsd.load(tmp_path / "d")
    np.testing.assert_array_equal(ds.arrays()[0][..., 0], x)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_every_idx_value_type_round_trips(dtype: type) -> None:
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    out = parse_idx(idx_bytes(arr), "x")
    assert out.dtype == np.dtype(dtype) and out.flags.writeable
    np.testing.assert_array_equal(out, arr)


def test_gzip_is_detected_by_content(tmp_path: Path) -> None:
    arr = np.arange(5, dtype=np.uint8)
    p = tmp_path / "labels"
    p.write_bytes(gzip.compress(idx_bytes(arr)))
    np.testing.assert_array_equal(read_idx(p), arr)


def test_bad_magic_names_the_file(tmp_path: Path) -> None:
    root, _ = mnist_dir(tmp_path / "m", gz=False)
    bad = root / "train-images-idx3-ubyte"
    bad.write_bytes(b"\x12\x34" + bad.read_bytes()[2:])
    with pytest.raises(tsd.DataError, match=r"train-images-idx3-ubyte.*bad IDX magic"):
        tsd.load(root)


def test_truncated_data_names_the_file(tmp_path: Path) -> None:
    root, _ = mnist_dir(tmp_path / "m", gz=False)
    bad = root / "train-images-idx3-ubyte"
    bad.write_bytes(bad.read_bytes()[:-7])
    with pytest.raises(tsd.DataError, match=r"train-images-idx3-ubyte.*truncated or corrupt"):
        tsd.load(root)


def test_corrupt_gzip_names_the_file(tmp_path: Path) -> None:
    root, _ = mnist_dir(tmp_path / "m")
    bad = root / "train-labels-idx1-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:12])
    with pytest.raises(tsd.DataError, match=r"train-labels-idx1-ubyte.gz.*gzip"):
        tsd.load(root)


def test_image_and_label_counts_differ_names_both_files(tmp_path: Path) -> None:
    root, _ = mnist_dir(tmp_path / "m")
    write_idx(root / "train-labels-idx1-ubyte.gz", np.zeros(29, np.uint8), gz=True)
    with pytest.raises(tsd.DataError, match=r"train-images-idx3-ubyte.gz holds 30 images but .*"
                                            r"train-labels-idx1-ubyte.gz holds 29 labels"):
        tsd.load(root)


def test_missing_partner_and_wrong_shapes(tmp_path: Path) -> None:
    root, _ = mnist_dir(tmp_path / "m")
    (root / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(tsd.DataError, match="no matching train labels file"):
        tsd.load(root)
    root2 = tmp_path / "flat"
    write_idx(root2 / "train-images-idx3-ubyte", np.zeros((4, 5), np.uint8))
    write_idx(root2 / "train-labels-idx1-ubyte", np.zeros(4, np.uint8))
    with pytest.raises(tsd.DataError, match="expected images of shape N x H x W"):
        tsd.load(root2)
    with pytest.raises(tsd.DataError, match="no 'test' IDX files"):
        tsd.load(root2, subset="test")


def test_too_few_class_names(tmp_path: Path) -> None:
    root, _ = mnist_dir(tmp_path / "m")
    with pytest.raises(tsd.DataError, match="only 2 class names"):
        tsd.load(root, classes=["a", "b"])


@pytest.mark.skipif(not MNIST.is_dir(), reason="the MNIST test set is not available here")
def test_real_mnist_test_set() -> None:
    ds = tsd.load(MNIST)
    assert len(ds) == 10_000 and ds.sample_shape == (28, 28, 1) and ds.name.endswith("test")
    assert np.bincount(ds.targets).tolist() == MNIST_COUNTS
    x, y = ds[0]
    assert y == 7 and x.shape == (1, 28, 28) and float(x.min()) >= 0.0 and float(x.max()) == 1.0
    same = tsd.load(MNIST / "t10k-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(same.targets, ds.targets)


# -- hostile IDX files: every one a DataError naming the file, none a raw numpy error or a huge allocation --


@pytest.mark.parametrize("gz", [False, True])
def test_dims_past_the_file_are_refused_before_any_reshape(tmp_path: Path, gz: bool) -> None:
    head = bytes([0, 0, 0x08, 3]) + struct.pack(">III", 2**31, 2**31, 4)  # 2**64 bytes declared in a 16-byte file
    name = "train-images-idx3-ubyte" + (".gz" if gz else "")
    (tmp_path / name).write_bytes(gzip.compress(head) if gz else head)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(3, np.uint8))
    want = (r"the IDX header declares 16,777,216\.0 TiB .*more than the cap .*corrupt or malicious" if gz else
            r"the header promises shape \(2147483648, 2147483648, 4\) \(18,446,744,073,709,551,632 bytes\) but the "
            r"file holds 16 bytes; the file is truncated or corrupt")
    with pytest.raises(tsd.DataError, match=rf"{name.replace('.', '[.]')}: {want}"):
        tsd.load(tmp_path)


@pytest.mark.parametrize("bad", [np.nan, np.inf, 0.5])
def test_float_labels_must_be_class_indices(tmp_path: Path, bad: float) -> None:
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 2, 2), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([0, bad, 1], np.float32))
    with pytest.raises(tsd.DataError, match=rf"train-labels-idx1-ubyte: labels must be class indices 0, 1, 2, \.\.\., "
                                            rf"but this float IDX file holds {bad} \(at position 1\)"):
        tsd.load(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([0, 2, 1], np.float64))  # whole numbers are fine
    assert tsd.load(tmp_path).targets.tolist() == [0, 2, 1]


def test_a_huge_label_is_refused_not_turned_into_billions_of_class_names(tmp_path: Path) -> None:
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 2, 2), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([0, 2**31 - 1], np.int32))
    with pytest.raises(tsd.DataError, match=r"train-labels-idx1-ubyte: labels go up to 2,147,483,647, so there would "
                                            r"be 2,147,483,648 classes; torchscope names at most 100,000"):
        tsd.load(tmp_path)


@pytest.mark.parametrize("images, why", [
    (np.zeros((3, 0, 2), np.uint8), r"images of shape \(0, 2\) have no pixels"),
    (np.zeros((3, 2, 2, 5), np.uint8), r"images with 5 channels; expected N x H x W x C with C = 1"),
    (np.full((3, 2, 2), np.nan, np.float32), r"the float pixels include NaN or infinity"),
])
def test_images_the_views_cannot_show_are_refused_at_load(tmp_path: Path, images: np.ndarray, why: str) -> None:
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(tsd.DataError, match=rf"train-images-idx3-ubyte: {why}"):
        tsd.load(tmp_path)


@pytest.mark.parametrize("data, why", [
    (b"", r"bad IDX magic number \(empty file\)"),
    (bytes([0, 0, 0x08, 3, 0, 0]), r"truncated IDX header \(6 bytes, needs 16\)"),
    (bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 9]), r"bad IDX magic number 00000701"),
    (gzip.compress(b"")[:-3], r"the gzip stream is corrupt"),
    (gzip.compress(idx_bytes(np.zeros(3, np.uint8))) + b"trailing junk", r"the gzip stream is corrupt"),
])
def test_truncated_and_wrong_magic_files_name_the_file(tmp_path: Path, data: bytes, why: str) -> None:
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(data)
    with pytest.raises(tsd.DataError, match=rf"t10k-labels-idx1-ubyte: {why}"):
        read_idx(tmp_path / "t10k-labels-idx1-ubyte")


def test_read_idx_of_a_folder_or_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(tsd.DataError, match=r"nothing-idx1-ubyte: cannot read \(No such file"):
        read_idx(tmp_path / "nothing-idx1-ubyte")
    with pytest.raises(tsd.DataError, match=r"cannot read \(Is a directory\)"):
        read_idx(tmp_path)
