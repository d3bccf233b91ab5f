"""GIF and PNG export of the lab over time."""

from PIL import Image

from torchscope.gan import Lab2D
from torchscope.gan.lab.export import record, save_gif, save_pngs


def test_gif_and_png_frames(tmp_path):
    lab = Lab2D(width=16, batch_size=64, points=64, grid=12, manifold=6)
    frames = record(lab, steps=20, every=5)
    assert [f.step for f in frames] == [0, 5, 10, 15, 20]
    gif = save_gif(frames, tmp_path / "lab.gif", fps=5, size=2.5)
    with Image.open(gif) as im:
        assert im.n_frames == 5 and im.info["duration"] == 200 and im.info.get("loop") == 0
        im.seek(4)
        assert len(im.convert("RGB").getcolors(100_000)) > 20  # a real picture, not blank
    pngs = save_pngs(frames[:2], tmp_path / "png", size=2.5)
    assert [p.name for p in pngs] == ["frame_00000.png", "frame_00001.png"]
    with Image.open(pngs[1]) as im:
        assert im.width > im.height  # canvas and curves side by side
