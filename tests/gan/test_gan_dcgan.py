"""DCGAN shapes for each image size; train_dcgan end to end with checkpoints through a real store."""

import numpy as np
import pytest
import torch

import torchscope as ts
from torchscope.gan.dcgan import layout


@pytest.mark.parametrize(("size", "channels"), [(8, 1), (28, 1), (32, 3), (64, 3)])
def test_generator_and_discriminator_fit_the_image_size(size, channels):
    G = ts.gan.Generator(size, channels, z_dim=16, width=8)
    D = ts.gan.Discriminator(size, channels, width=8)
    x = G(torch.randn(3, 16))
    assert x.shape == (3, channels, size, size) and x.abs().max() <= 1
    assert D(x).shape == (3,)


def test_sizes_that_do_not_double_from_a_small_base_are_refused():
    assert layout(28) == (7, 2) and layout(64) == (4, 4)
    with pytest.raises(ValueError, match="base"):
        layout(9)
    with pytest.raises(ValueError, match="base"):
        layout(6)


def test_train_dcgan_logs_and_saves_a_generator_that_loads_back(store_dir):
    ds = ts.data.load("digits").subset(range(256))
    run = ts.init(project="gan", dir=store_dir)
    gan = ts.gan.train_dcgan(ds, epochs=2, run=run, metrics=False, progress=False, every=2)
    run.finish()
    assert len(gan.history["g_loss"]) == 2 and gan.sample(5).shape == (5, 1, 8, 8)
    with ts.open(store_dir) as st:
        assert len(st.scalars(run.id, "gan/d_loss").value) == 8
        G = ts.gan.load_checkpoint(st, run.id, role="generator")
        tl = ts.gan.timeline(st, run.id)
    z = torch.randn(4, gan.z_dim)
    gan.generator.eval()
    assert torch.allclose(G(z), gan.generator(z)) and G.z_dim == gan.z_dim
    assert tl.steps == [0, 2, 4, 6, 8] and tl.frames.shape[0] == 5


def test_the_timeline_gif_goes_to_a_file_object_one_frame_per_checkpoint():
    import io

    from PIL import Image

    frames = np.random.default_rng(0).integers(0, 255, size=(4, 10, 10, 1), dtype=np.uint8)
    buf = io.BytesIO()
    assert ts.gan.Timeline(frames=frames, steps=[0, 5, 10, 15]).gif(buf) is buf
    gif = Image.open(io.BytesIO(buf.getvalue()))
    assert gif.format == "GIF" and gif.n_frames == 4
