"""torchscope.media.video: the MP4 and PNG-sprite encodings, TensorBoard's tiling, the notebook player."""

from __future__ import annotations

import numpy as np
import pytest

from torchscope.media import video as V
from torchscope.records import rebuild

RNG = np.random.default_rng(0)


def _smooth(t: int, h: int, w: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    return np.stack([np.stack([np.sin(xx * 6 + i * 0.3) * 0.5 + 0.5, yy, np.cos(yy * 5 - i * 0.2) * 0.5 + 0.5], -1)
                     for i in range(t)]).astype(np.float32)


def _roundtrip(rec: V.Video) -> V.Video:
    data, blobs = rec.to_dict()
    out = rebuild(rec.kind, data, blobs)
    assert isinstance(out, V.Video)
    return out


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_the_png_sprite_keeps_every_frame_exactly(channels):
    frames = RNG.integers(0, 256, (7, 5, 9, channels), dtype=np.uint8)  # odd sizes, a frame count that leaves a gap
    rec = _roundtrip(V.encode_video(frames, 2.5, format="png"))
    assert (rec.mime, rec.length, rec.width, rec.height, rec.fps) == ("image/png", 7, 9, 5, 2.5)
    np.testing.assert_array_equal(rec["frames"], frames)


@pytest.mark.skipif(not V.has_encoder(), reason="PyAV (torchscope[media]) not installed")
def test_mp4_frames_come_back_at_their_size_and_close():
    frames = (_smooth(30, 27, 41) * 255 + 0.5).astype(np.uint8)  # small and odd: enlarged, padded to even
    rec = _roundtrip(V.encode_video(frames, 12))
    assert rec.mime == "video/mp4" and rec.data[4:8] == b"ftyp" and rec.scale % 2 == 0
    out = rec.frames()
    assert out.shape == frames.shape and np.abs(out.astype(int) - frames).mean() < 2.5
    noise = RNG.integers(0, 256, (6, 20, 20, 3), dtype=np.uint8)  # every pixel its own colour: chroma kept per pixel
    assert np.abs(V.encode_video(noise, 4).frames().astype(int) - noise).mean() < 4
    grey = V.encode_video(frames[..., :1], 12)
    assert grey.channels == 1 and grey.frames().shape == (30, 27, 41, 1)


def test_yuv_conversion_inverts_on_blocks():
    block = RNG.integers(0, 256, (3, 5, 3), dtype=np.uint8).repeat(2, 0).repeat(2, 1)  # 6 x 10: odd chroma sizes
    assert np.abs(V.yuv420_to_rgb(V.rgb_to_yuv420(block)).astype(int) - block).max() <= 2


def test_batches_are_tiled_as_tensorboard_tiles_them():
    from torch.utils.tensorboard._utils import _prepare_video

    batch = RNG.random((3, 4, 3, 6, 5)).astype(np.float32)
    ours = V.tile_batch(batch).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(ours, _prepare_video(batch.copy()))


def test_float_frames_are_scaled_and_clipped():
    out = V.to_uint8_frames(np.array([-0.5, 0.0, 0.5, 1.0, 2.0], np.float32))
    assert out.tolist() == [0, 0, 128, 255, 255]


def test_the_notebook_player_has_a_frame_scrubber():
    rec = V.encode_video(RNG.integers(0, 256, (5, 8, 8, 3), dtype=np.uint8), 5, format="png")
    page = rec._repr_html_()
    assert "type='range'" in page and "max='4'" in page and "data:image/png;base64," in page
    assert rec.figure().axes
