"""MONAI's ``monai.visualize.plot_2d_or_3d_image`` with ``torchscope.SummaryWriter``, MONAI installed.

MONAI logs a 3-D volume as an animated GIF ``Summary.Image`` (one per channel) that it builds itself
and hands to ``writer._get_file_writer().add_summary``; a 2-D image through ``writer.add_image``.
Each call is made on PyTorch's TensorBoard writer too: TensorBoard's side is read back with its
``EventAccumulator`` and decoded with PIL, ours with ``ts.open``; both are also checked against the
input, rescaled as MONAI rescales it (``rescale_array`` to 0..255 per channel, truncated to uint8).
The GIF is lossless, and so must our copy be: a label volume keeps exactly its two levels.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

import torchscope as ts

pytest.importorskip("tensorboard")
visualize = pytest.importorskip("monai.visualize")


def _volume(n: int = 2, c: int = 2, d: int = 5, h: int = 6, w: int = 7) -> torch.Tensor:
    """A batch whose every voxel differs from its neighbours, so a wrong axis or slice shows."""
    return torch.arange(n * c * d * h * w, dtype=torch.float32).reshape(n, c, d, h, w).sin() * 10 + 3


def _rescaled(x: np.ndarray, hi: float) -> np.ndarray:
    x = x.astype(np.float32)
    return (x - x.min()) / (x.max() - x.min()) * np.float32(hi)


def _gif_frames(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "GIF"
        frames = []
        for i in range(img.n_frames):
            img.seek(i)
            frames.append(np.asarray(img.convert("RGB")))
    return np.stack(frames)


def _both(tmp_path, calls):
    """Run ``calls(writer)`` on TensorBoard's writer and on ours; TensorBoard's accumulator and our run."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from torch.utils.tensorboard import SummaryWriter as TBWriter

    for name, writer_class in (("tb", TBWriter), ("ts", ts.SummaryWriter)):
        with writer_class(str(tmp_path / name / "exp")) as writer:
            calls(writer)
    acc = EventAccumulator(str(tmp_path / "tb" / "exp"), size_guidance={"images": 0})
    acc.Reload()
    store = ts.open(tmp_path / "ts")
    (info,) = store.runs()
    return acc, store, info


VOLUME_CASES = {
    # name: (data, plot_2d_or_3d_image keywords, the channels it plots, frames, frame shape)
    "NCDHW_one_channel": (_volume(), {}, [0], 5, (6, 7)),
    "NCDHW_two_channels": (_volume(), {"max_channels": 2}, [0, 1], 5, (6, 7)),
    "frames_along_W": (_volume(), {"frame_dim": -1, "max_channels": 2}, [0, 1], 7, (5, 6)),
    "frames_along_H_index_1": (_volume(), {"frame_dim": 3, "index": 1}, [0], 6, (5, 7)),
    "numpy": (_volume().numpy(), {}, [0], 5, (6, 7)),
    "list_of_CDHW": (list(_volume()), {"index": 1}, [0], 5, (6, 7)),
    "one_slice": (_volume(d=1), {}, [0], 1, (6, 7)),
}


@pytest.mark.parametrize("case", list(VOLUME_CASES))
def test_a_volume_is_kept_as_its_gif_frames(tmp_path, case):
    data, kw, channels, n_frames, frame_shape = VOLUME_CASES[case]
    acc, store, info = _both(tmp_path, lambda w: visualize.plot_2d_or_3d_image(data, 4, w, tag="vol", **kw))
    suffix = ["/image"] if len(channels) == 1 else [f"/image/{j}" for j in channels]
    tags = [f"vol_HWD{s}" for s in suffix]
    assert sorted(acc.Tags()["images"]) == tags
    sample = np.asarray(data[kw.get("index", 0)])
    frame_dim = kw.get("frame_dim", -3)  # counted in NCDHW: a positive one is 2 less in one channel's DHW
    frame_dim = frame_dim - 2 if frame_dim > 0 else frame_dim
    for j, tag in zip(channels, tags):
        (tb_event,) = acc.Images(tag)
        tb_frames = _gif_frames(tb_event.encoded_image_string)
        expected = np.moveaxis(_rescaled(sample[j], 255), frame_dim, 0).astype(np.uint8)
        assert tb_frames.shape == (n_frames, *frame_shape, 3)
        np.testing.assert_array_equal(tb_frames[..., 0], expected)  # MONAI's GIF is lossless grey
        if n_frames > 1:  # an animated GIF: a media.video record holding every frame
            (entry,) = store.records(info.id, key=tag)
            assert entry.kind == "media.video" and entry.step == 4
            np.testing.assert_array_equal(entry.record["frames"], tb_frames)
        else:  # one frame is a still GIF: an image with its pixels
            (image,) = store.images(info.id, tag)
            assert image.step == 4 and (image.width, image.height) == (7, 6)
            np.testing.assert_array_equal(np.asarray(image.to_pil().convert("RGB")), tb_frames[0])
    assert {k.key for k in store.keys(info.id)} == set(tags)
    store.close()


IMAGE_CASES = {
    # name: (data, keywords, tag, what MONAI passes to add_image as HxW or HxWx3 before x255)
    "NCHW_one_channel": (_volume()[:, :, 0], {}, "img_HW_0", lambda d: _rescaled(d[0], 1)),
    "NCHW_second_channel": (_volume()[:, :, 0], {"max_channels": 2, "index": 1}, "img_HW_1",
                            lambda d: _rescaled(d[1], 1)),
    "NHW": (_volume()[:, 0, 0], {}, "img_HW", lambda d: _rescaled(d, 1)),
    "NCHW_rgb": (_volume(c=3)[:, :, 0].sigmoid(), {"max_channels": 3}, "img_CHW", lambda d: d.transpose(1, 2, 0)),
}


@pytest.mark.parametrize("case", list(IMAGE_CASES))
def test_a_2d_image_is_kept_as_tensorboard_shows_it(tmp_path, case):
    data, kw, tag, prepared = IMAGE_CASES[case]
    acc, store, info = _both(tmp_path, lambda w: visualize.plot_2d_or_3d_image(data, 2, w, tag="img", **kw))
    assert tag in acc.Tags()["images"] and {k.key for k in store.keys(info.id)} == set(acc.Tags()["images"])
    (tb_event,) = acc.Images(tag)
    from PIL import Image

    with Image.open(io.BytesIO(tb_event.encoded_image_string)) as img:
        tb_pixels = np.asarray(img.convert("RGB"))
    (ours,) = store.images(info.id, tag)
    assert ours.step == 2
    pixels = np.asarray(ours.to_pil().convert("RGB"))
    np.testing.assert_array_equal(pixels, tb_pixels)
    expected = np.clip(prepared(np.asarray(data[kw.get("index", 0)])) * 255, 0, 255).astype(np.uint8)
    grey = expected.ndim == 2
    np.testing.assert_array_equal(pixels[..., 0] if grey else pixels, expected)
    store.close()


def test_a_metatensor_volume_among_other_logs_loses_nothing(tmp_path):
    """What a MONAI validation loop does: a MetaTensor volume, its label, a scalar, at several steps."""
    from monai.data import MetaTensor

    image = MetaTensor(_volume(n=1, c=1), affine=torch.diag(torch.tensor([2.0, 1.0, 1.0, 1.0])))
    label = (image > 3).float()

    def calls(w):
        for step in (1, 2):
            visualize.plot_2d_or_3d_image(image * step, step, w, tag="image")
            visualize.plot_2d_or_3d_image(label, step, w, tag="label")
            w.add_scalar("val/dice", 0.5 * step, step)

    acc, store, info = _both(tmp_path, calls)
    assert store.scalars(info.id, "val/dice").value.tolist() == [0.5, 1.0]
    for tag in ("image_HWD/image", "label_HWD/image"):
        entries = store.records(info.id, key=tag)
        assert [e.step for e in entries] == [e.step for e in acc.Images(tag)] == [1, 2]
        for entry, tb_event in zip(entries, acc.Images(tag)):
            np.testing.assert_array_equal(entry.record["frames"], _gif_frames(tb_event.encoded_image_string))
    frames = store.records(info.id, key="label_HWD/image")[0].record["frames"]
    assert set(np.unique(frames).tolist()) == {0, 255}  # a binary label stays two levels
    store.close()


def test_a_gif_too_large_for_the_sprite_is_encoded_as_log_video_does(tmp_path, monkeypatch):
    """Past the PNG sprite's size the frames go the default way: MP4 where PyAV is installed."""
    pytest.importorskip("av")
    import torchscope.media.video as video

    monkeypatch.setattr(video, "SPRITE_MAX", 16)  # five 32 x 32 frames do not fit in a 16 px sprite
    with ts.SummaryWriter(tmp_path / "r") as writer:
        visualize.plot_2d_or_3d_image(_volume(h=32, w=32), 1, writer, tag="vol")
    store = ts.open(tmp_path / "r")
    (info,) = store.runs()
    (entry,) = store.records(info.id, key="vol_HWD/image")
    assert entry.record.mime == "video/mp4" and entry.record["frames"].shape == (5, 32, 32, 3)
    store.close()
