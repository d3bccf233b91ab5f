"""Image folders: class sub-folders, train/test splits, resizing, corrupt files, streaming starts."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import torchscope.data as tsd
from torchscope.data import folder as folder_mod

from .files import png_bytes, png_folder, png_header_only, tar_of, zip_of


def test_png_folder_loads_exact_pixels_with_natural_class_order(tmp_path: Path) -> None:
    written = png_folder(tmp_path / "imgs", {"10": 2, "2": 3, "cat": 1})
    ds = tsd.load(tmp_path / "imgs")
    assert ds.class_names == ["2", "10", "cat"] and ds.task == "image" and ds.is_lazy
    assert np.bincount(ds.targets).tolist() == [3, 2, 1]
    x, _y = ds.arrays()
    np.testing.assert_array_equal(x[0, :, :, 0], written["2"][0])
    np.testing.assert_array_equal(x[3, :, :, 0], written["10"][0])
    img, label = ds[5]
    assert img.shape == (1, 12, 10) and label == 2
    np.testing.assert_allclose(img[0].numpy(), written["cat"][0] / 255.0, rtol=1e-6)


def test_rgb_folder_and_explicit_mode_and_size(tmp_path: Path) -> None:
    png_folder(tmp_path / "rgb", {"a": 2, "b": 2}, rgb=True, size=(9, 7))
    ds = tsd.load(tmp_path / "rgb")
    assert ds.sample_shape == (9, 7, 3) and ds[0][0].shape == (3, 9, 7)
    grey = tsd.load(tmp_path / "rgb", mode="L", size=(4, 4))
    assert grey.sample_shape == (4, 4, 1)


def test_images_of_other_sizes_are_resized_to_the_first(tmp_path: Path) -> None:
    png_folder(tmp_path / "r", {"a": 1}, size=(8, 8))
    png_folder(tmp_path / "r", {"b": 1}, size=(16, 20), seed=1)
    ds = tsd.load(tmp_path / "r")
    assert ds.arrays()[0].shape == (2, 8, 8, 1)


def test_train_test_folders_wrapper_folder_and_junk_are_handled(tmp_path: Path) -> None:
    png_folder(tmp_path / "set" / "wrap" / "train", {"a": 3, "b": 2})
    png_folder(tmp_path / "set" / "wrap" / "test", {"a": 1, "b": 1})
    (tmp_path / "set" / "wrap" / "train" / "a" / "notes.txt").write_text("not an image")
    (tmp_path / "set" / "wrap" / ".DS_Store").write_bytes(b"junk")
    (tmp_path / "set" / "wrap" / "train" / ".hidden").mkdir()
    (tmp_path / "set" / "wrap" / "train" / ".hidden" / "x.png").write_bytes(b"junk")
    train = tsd.load(tmp_path / "set")
    test = tsd.load(tmp_path / "set", subset="test")
    assert (len(train), len(test)) == (5, 2) and train.class_names == test.class_names == ["a", "b"]
    assert train.name == "set/train"
    with pytest.raises(tsd.DataError, match="no 'val' folder"):
        tsd.load(tmp_path / "set", subset="val")


def test_single_class_folder(tmp_path: Path) -> None:
    png_folder(tmp_path / "one", {"only": 2})
    assert tsd.load(tmp_path / "one").class_names == ["only"]


def test_images_outside_class_folders_are_refused(tmp_path: Path) -> None:
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "a.png").write_bytes(png_bytes(np.zeros((3, 3), np.uint8)))
    with pytest.raises(tsd.DataError, match=r"flat: found 1 image\(s\) outside any class folder"):
        tsd.load(tmp_path / "flat")


def test_folder_without_images(tmp_path: Path) -> None:
    (tmp_path / "empty" / "a").mkdir(parents=True)
    (tmp_path / "empty" / "a" / "readme.txt").write_text("hi")
    with pytest.raises(tsd.DataError, match="empty: no image files found"):
        tsd.load(tmp_path / "empty")


def test_unreadable_image_names_the_file_when_read(tmp_path: Path) -> None:
    png_folder(tmp_path / "c", {"a": 2, "b": 2})
    bad = tmp_path / "c" / "b" / "001.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    ds = tsd.load(tmp_path / "c")  # lazy: starts fine
    with pytest.raises(tsd.DataError, match=r"c/b/001.png: cannot read this image"):
        ds[3]
    first = tmp_path / "c" / "a" / "000.png"
    first.write_bytes(b"garbage")
    with pytest.raises(tsd.DataError, match=r"c/a/000.png: cannot read this image"):
        tsd.load(tmp_path / "c")


def test_a_100k_file_folder_starts_without_reading_the_images(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "big"
    png_folder(root, {"a": 1})
    for c in range(10):  # 10 classes of 10,000 files (hard links: filesystems cap links per file)
        (root / f"c{c}").mkdir()
        src = root / f"c{c}" / "00000.png"
        src.write_bytes((root / "a" / "000.png").read_bytes())
        for i in range(1, 10_000):
            os.link(src, root / f"c{c}" / f"{i:05d}.png")
    decoded = []
    real = folder_mod.decode_image
    monkeypatch.setattr(folder_mod, "decode_image", lambda *a, **k: decoded.append(a[1]) or real(*a, **k))
    t0 = time.perf_counter()
    ds = tsd.load(root)
    elapsed = time.perf_counter() - t0
    assert len(ds) == 100_001 and ds.num_classes == 11
    assert len(decoded) == 1, "loading must decode only the first image"
    assert elapsed < 10, f"listing 100k files took {elapsed:.1f} s"
    assert ds[50_000][0].shape == (1, 12, 10) and len(decoded) == 2


def test_folder_dataset_works_in_dataloader_workers(tmp_path: Path) -> None:
    png_folder(tmp_path / "w", {"a": 4, "b": 4})
    ds = tsd.load(tmp_path / "w")
    loader = torch.utils.data.DataLoader(ds, batch_size=4, num_workers=2)
    batches = list(loader)
    assert [tuple(b[0].shape) for b in batches] == [(4, 1, 12, 10)] * 2
    assert torch.cat([b[1] for b in batches]).tolist() == [0] * 4 + [1] * 4


def test_many_images_are_read_by_threads_with_the_same_result_and_errors(tmp_path: Path) -> None:
    png_folder(tmp_path / "t", {"a": 60, "b": 60})
    ds = tsd.load(tmp_path / "t")
    threaded = ds.take(np.arange(120))
    one_by_one = np.stack([ds.take([i])[0] for i in range(120)])
    np.testing.assert_array_equal(threaded, one_by_one)
    (tmp_path / "t" / "b" / "033.png").write_bytes(b"broken")
    with pytest.raises(tsd.DataError, match=r"t/b/033.png: cannot read this image"):
        ds.arrays()


def test_views_take_a_path_or_a_name(tmp_path: Path) -> None:
    png_folder(tmp_path / "v", {"a": 2, "b": 2})
    assert tsd.mean_images(tmp_path / "v").counts == [2, 2]
    assert tsd.class_balance("iris").counts == [[50, 50, 50]]


@pytest.mark.parametrize("where", ["folder", "zip", "tar.gz"])
def test_png_decompression_bomb_is_a_data_error_naming_the_file(tmp_path: Path, where: str) -> None:
    bomb = png_header_only(20_000, 20_000)  # 400 million pixels declared in 71 bytes
    assert len(bomb) < 100
    (tmp_path / "s" / "a").mkdir(parents=True)
    (tmp_path / "s" / "b").mkdir()
    (tmp_path / "s" / "a" / "0.png").write_bytes(bomb)
    (tmp_path / "s" / "b" / "0.png").write_bytes(png_bytes(np.zeros((2, 2), np.uint8)))
    target = {"folder": lambda: tmp_path / "s", "zip": lambda: zip_of(tmp_path / "s", tmp_path / "s.zip"),
              "tar.gz": lambda: tar_of(tmp_path / "s", tmp_path / "s.tar.gz")}[where]()
    with pytest.raises(tsd.DataError, match=r"0\.png: a decompression bomb\? \(Image size \(400000000 pixels\) "
                                            r"exceeds limit.*PIL\.Image\.MAX_IMAGE_PIXELS = 500_000_000"):
        tsd.load(target)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.timeout(30)
def test_a_fifo_named_like_an_image_is_refused_not_waited_on(tmp_path: Path) -> None:
    png_folder(tmp_path / "imgs", {"a": 1, "b": 1})
    (tmp_path / "imgs" / "b" / "000.png").unlink()
    os.mkfifo(tmp_path / "imgs" / "b" / "000.png")  # opening it for reading would block until a writer comes
    ds = tsd.load(tmp_path / "imgs")
    with pytest.raises(tsd.DataError, match=r"b/000\.png: not a regular file \(a FIFO"):
        ds[1]
    (tmp_path / "imgs" / "a" / "000.png").unlink()
    os.mkfifo(tmp_path / "imgs" / "a" / "000.png")  # now the first image, read at load
    with pytest.raises(tsd.DataError, match=r"a/000\.png: not a regular file"):
        tsd.load(tmp_path / "imgs")
