"""Image and histogram conversion."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from torchscope.track.media import compute_histogram, encode_image, prepare_histogram, prepare_image


def _decode(png: bytes) -> np.ndarray:
    import io

    return np.asarray(Image.open(io.BytesIO(png)))


@pytest.mark.parametrize("image, shape", [
    (torch.rand(8, 6), (8, 6)),                   # HW
    (torch.rand(1, 8, 6), (8, 6)),                # CHW grey
    (torch.rand(3, 8, 6), (8, 6, 3)),             # CHW colour
    (np.random.rand(8, 6, 3), (8, 6, 3)),         # HWC ndarray
    (np.random.rand(3, 8, 6), (8, 6, 3)),         # CHW ndarray
    (np.zeros((8, 6, 4), np.uint8), (8, 6, 4)),   # RGBA
    (Image.new("RGB", (6, 8)), (8, 6, 3)),        # PIL
    (torch.ones(8, 6, dtype=torch.bool), (8, 6)),
    (torch.rand(3, 8, 6, dtype=torch.float16), (8, 6, 3)),
])
def test_single_images(image, shape):
    png, w, h = encode_image(prepare_image(image))
    arr = _decode(png)
    assert arr.shape == shape and (w, h) == (6, 8)


def test_batches_become_a_grid():
    batch = torch.zeros(10, 1, 4, 5)
    batch[3] = 1.0
    png, w, h = encode_image(prepare_image(batch))
    arr = _decode(png)
    # 10 images: 4 columns x 3 rows, 2 px padding
    assert (w, h) == (4 * 7 + 2, 3 * 6 + 2) and arr.shape == (h, w)
    y, x = 2, 2 + 3 * 7  # image 3 is row 0, column 3
    assert arr[y:y + 4, x:x + 5].min() == 255 and arr.sum() == 255 * 20


def test_float_images_scale_and_out_of_range_stretch():
    unit = _decode(encode_image(prepare_image(np.full((2, 2), 0.5)))[0])
    assert unit.tolist() == [[128, 128], [128, 128]]
    normalized = _decode(encode_image(prepare_image(np.array([[-1.0, 1.0]])))[0])
    assert normalized.tolist() == [[0, 255]]
    ints = _decode(encode_image(prepare_image(np.array([[0, 200]], np.int64)))[0])
    assert ints.tolist() == [[0, 200]]


def test_image_is_copied_at_call_time():
    x = torch.zeros(1, 4, 4)
    prepared = prepare_image(x)
    x.fill_(1.0)
    assert prepared.max() == 0


def test_histogram_counts_and_stats():
    x = torch.tensor([0.0, 1.0, 1.0, 2.0, 3.0, float("nan"), float("-inf")])
    lo, hi, counts, stats = compute_histogram(prepare_histogram(x, 3), 3)
    assert (lo, hi) == (0.0, 3.0) and counts.tolist() == [1, 2, 2]
    assert stats["count"] == 5 and stats["nan"] == 1 and stats["-inf"] == 1
    assert stats["mean"] == pytest.approx(7 / 5) and stats["std"] == pytest.approx(np.std([0, 1, 1, 2, 3]))


def test_histogram_of_a_constant_and_of_nothing():
    lo, hi, counts, stats = compute_histogram(prepare_histogram(np.full(10, 4.0), 5), 5)
    assert lo < 4.0 < hi and counts.sum() == 10 and stats["min"] == stats["max"] == 4.0
    lo, hi, counts, stats = compute_histogram(prepare_histogram(np.array([math.nan]), 5), 5)
    assert counts.sum() == 0 and stats["count"] == 0 and math.isnan(stats["mean"])


def test_histogram_input_is_copied():
    x = torch.zeros(5)
    prepared = prepare_histogram(x, 4)
    x.fill_(9.0)
    assert compute_histogram(prepared, 4)[3]["max"] == 0.0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_histogram_matches_cpu():
    x = torch.randn(100_000, device="cuda")
    x[5] = float("nan")
    gpu = compute_histogram(prepare_histogram(x, 32), 32)
    cpu = compute_histogram(prepare_histogram(x.cpu(), 32), 32)
    assert gpu[0] == pytest.approx(cpu[0]) and gpu[1] == pytest.approx(cpu[1])
    assert np.abs(gpu[2] - cpu[2]).sum() <= 4  # float32 bin edges may move a value by one bin
    assert gpu[3]["count"] == cpu[3]["count"] == 99_999 and gpu[3]["nan"] == 1
