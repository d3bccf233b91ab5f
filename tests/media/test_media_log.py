"""run.log_video / log_audio / log_points: typed records at their steps, clear errors that lose nothing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchscope as ts
from torchscope.media import Audio, Points, Video
from torchscope.track import media_log
from torchscope.track.writer import ERRORS_KEY

TETRA = np.array([[1, 1, 1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1]], np.float32)


def test_each_call_stores_its_typed_record(store_dir):
    with ts.init(project="m", dir=store_dir) as run:
        run.log_video("clip", torch.rand(6, 3, 10, 12), fps=5, caption="rollout")
        run.log_video("grid", np.random.rand(3, 4, 1, 8, 8).astype(np.float32), format="png")  # N videos: a grid
        run.log_audio("tone", (torch.rand(2, 800) * 2 - 1), sample_rate=8000)  # (C, L)
        run.log_points("cloud", TETRA, colors=np.eye(4, 3), step=10)
        run.log_points("mesh", TETRA, faces=[[0, 2, 3], [0, 3, 1], [0, 1, 2], [1, 3, 2]], advance=False)
    store = ts.open(store_dir)
    rid = store.runs()[0].id
    clip = store.latest(rid, "media.video", key="clip")
    assert isinstance(clip, Video) and (clip.length, clip.width, clip.height, clip.fps) == (6, 12, 10, 5.0)
    assert clip.caption == "rollout"
    grid = store.latest(rid, "media.video", key="grid")
    assert (grid.mime, grid.width, grid.height) == ("image/png", 32, 8)  # 3 videos padded to 4, one row
    tone = store.latest(rid, "media.audio", key="tone")
    assert isinstance(tone, Audio) and (tone.channels, tone.length, tone.sample_rate) == (2, 800, 8000)
    cloud = store.latest(rid, "media.mesh", key="cloud")
    assert isinstance(cloud, Points) and cloud.colors[0, 0].tolist() == [255, 0, 0] and not cloud.is_mesh
    assert store.latest(rid, "media.mesh", key="mesh").faces.shape == (1, 4, 3)
    assert [e.step for e in store.records(rid, kind="media.mesh")] == [10, 11]


BAD = [
    ("log_video", (torch.rand(6, 10, 12),), {}, ValueError, "frames must be (T, C, H, W)"),
    ("log_video", (torch.rand(6, 2, 10, 12),), {}, ValueError, "C = 1, 3 or 4"),
    ("log_video", (torch.zeros(2, 3, 4, 4, dtype=torch.int32),), {}, TypeError, "uint8 in [0, 255] or floats"),
    ("log_video", (np.full((2, 3, 4, 4), np.nan, np.float32),), {}, ValueError, "NaN"),
    ("log_video", (torch.rand(2, 3, 4, 4),), {"fps": 0}, ValueError, "fps must be a positive number"),
    ("log_video", (torch.rand(2, 3, 4, 4),), {"format": "gif"}, ValueError, "format must be 'mp4'"),
    ("log_audio", (torch.rand(3, 100),), {"sample_rate": 8000}, ValueError, "mono or stereo"),
    ("log_audio", (np.zeros(10, np.int32),), {"sample_rate": 8000}, TypeError, "floats in [-1, 1] or int16"),
    ("log_audio", (np.zeros(10, np.float32),), {"sample_rate": 0}, ValueError, "sample_rate must be a positive whole"),
    ("log_audio", (np.zeros(10, np.float32),), {"sample_rate": 22050.5}, ValueError, "positive whole number"),
    ("log_audio", (np.zeros(10, np.float32),), {"sample_rate": True}, ValueError, "positive whole number"),
    ("log_audio", (np.array([0.1, np.nan], np.float32),), {"sample_rate": 8000}, ValueError, "samples holds 1 NaN"),
    ("log_points", (np.array([[0, 0, np.nan]]),), {}, ValueError, "xyz holds 1 NaN"),
    ("log_points", (np.zeros((4, 2)),), {}, ValueError, "xyz must be x, y, z per point"),
    ("log_points", (TETRA,), {"faces": [[0, 1, 4]]}, ValueError, "faces index vertices 0..3"),
    ("log_points", (TETRA,), {"colors": np.zeros((3, 3))}, ValueError, "one colour per point"),
    ("log_points", (TETRA,), {"faces": np.zeros((1, 3), np.float32)}, TypeError, "integer vertex indices"),
]


@pytest.mark.parametrize(("method", "args", "kwargs", "exc", "says"), BAD, ids=[f"{b[0]}-{b[4][:18]}" for b in BAD])
def test_bad_input_raises_naming_the_argument_and_loses_nothing(store_dir, method, args, kwargs, exc, says):
    with ts.init(project="m", dir=store_dir) as run:
        run.log({"loss": 1.0})
        with pytest.raises(exc, match=None) as err:
            getattr(run, method)("media", *args, **kwargs)
        assert says in str(err.value)
        run.log({"loss": 0.5})
    store = ts.open(store_dir)
    rid = store.runs()[0].id
    assert store.scalars(rid, "loss").value.tolist() == [1.0, 0.5] and not store.records(rid, key="media")


def test_a_missing_encoder_is_said_when_mp4_is_asked(store_dir, monkeypatch):
    from torchscope.media import video

    monkeypatch.setattr(video, "has_encoder", lambda: False)
    with ts.init(project="m", dir=store_dir) as run:
        with pytest.raises(ImportError, match=r"pip install 'torchscope\[media\]'"):
            run.log_video("v", torch.rand(2, 3, 4, 4), format="mp4")
        with pytest.raises(ValueError, match="too many for the PNG frame sprite"):
            run.log_video("v", torch.zeros(400, 1, 900, 900, dtype=torch.uint8))
        run.log_video("v", torch.rand(2, 3, 4, 4))  # no encoder, small: the lossless sprite
    store = ts.open(store_dir)
    assert store.latest(store.runs()[0].id, "media.video").mime == "image/png"


def test_an_encoding_that_fails_on_the_writer_thread_costs_only_itself(store_dir, monkeypatch, capsys):
    from torchscope.media import audio

    def broken(*a, **k):
        raise RuntimeError("no codec today")

    monkeypatch.setattr(audio, "encode_audio", broken)
    with ts.init(project="m", dir=store_dir) as run:
        run.log_audio("a", np.zeros(100, np.float32), sample_rate=8000)
        run.log_points("p", TETRA)
        run.log({"loss": 1.0})
    store = ts.open(store_dir)
    rid = store.runs()[0].id
    assert store.latest(rid, "media.mesh") is not None and store.scalars(rid, "loss").value.tolist() == [1.0]
    assert not store.records(rid, kind="media.audio")
    assert any("no codec today" in t.text for t in store.texts(rid, ERRORS_KEY))


def test_loud_audio_is_clipped_with_a_warning():
    with pytest.warns(RuntimeWarning, match="clipped"):
        arr = media_log.audio_array(np.array([2.0, -3.0, 0.5], np.float32))
    assert arr[:, 0].tolist() == [1.0, -1.0, 0.5]
