"""Direct summary writes through writer.file_writer / _get_file_writer() (MONAI's, Lightning's), ONNX graphs,
and bad input to the SummaryWriter: a clear error, nothing else lost."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest
import torch

import torchscope as ts

pytest.importorskip("tensorboard")


def _one_run(path):
    store = ts.open(path)
    (info,) = store.runs()
    return store, info


def _gif(frames: int) -> bytes:
    from PIL import Image

    images = [Image.fromarray(np.full((6, 8, 3), 40 * i, np.uint8)) for i in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return buf.getvalue()


def test_monai_style_animated_gif_summary_becomes_a_video(tmp_path):
    """MONAI's plot_2d_or_3d_image: an Image summary of GIF bytes, through writer._get_file_writer()."""
    from tensorboard.compat.proto.summary_pb2 import Summary

    with ts.SummaryWriter(tmp_path / "r") as writer:
        image = Summary.Image(height=6, width=8, colorspace=3, encoded_image_string=_gif(5))
        writer._get_file_writer().add_summary(Summary(value=[Summary.Value(tag="vol_HWD/image", image=image)]), 7)
        writer.file_writer.add_summary(Summary(value=[Summary.Value(tag="loss", simple_value=0.5)]), 8,
                                       walltime=123.0)
    store, info = _one_run(tmp_path / "r")
    (entry,) = store.records(info.id, key="vol_HWD/image")
    frames = entry.record["frames"]
    assert entry.kind == "media.video" and entry.step == 7 and frames.shape == (5, 6, 8, 3)
    assert entry.record["fps"] == pytest.approx(10.0) and frames[3].max() == 120
    got = store.scalars(info.id, "loss")
    assert (got.step.tolist(), got.value.tolist(), got.wall_time.tolist()) == ([8], [0.5], [123.0])


def test_lightning_style_hparams_summaries_fill_the_config(tmp_path):
    """Lightning's TensorBoardLogger.log_hyperparams: hparams() protos written with the file writer."""
    from torch.utils.tensorboard.summary import hparams

    with ts.SummaryWriter(tmp_path / "r") as writer:
        exp, ssi, sei = hparams({"lr": 0.01, "optimizer": "adam", "amsgrad": True}, {"hp_metric": -1})
        fw = writer._get_file_writer()
        for summary in (exp, ssi, sei):
            fw.add_summary(summary)
        writer.add_scalar("hp_metric", 0.75, 3)
    _store, info = _one_run(tmp_path / "r")
    assert info.config == {"lr": 0.01, "optimizer": "adam", "amsgrad": True}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's graph() traces with torch.jit
def test_every_kind_of_summary_proto_is_stored(tmp_path):
    from torch.utils.tensorboard import summary as tbs
    from torch.utils.tensorboard._pytorch_graph import graph

    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU())
    with ts.SummaryWriter(tmp_path / "r") as writer:
        fw = writer.file_writer
        fw.add_summary(tbs.scalar("s", 2.5), 1)
        fw.add_summary(tbs.scalar("s_new", 3.5, new_style=True), 1)
        fw.add_summary(tbs.histogram("h", np.arange(100.0), "auto"), 2)
        fw.add_summary(tbs.image("img", np.zeros((3, 4, 5)), dataformats="CHW"), 3)
        fw.add_summary(tbs.text("txt", "hello"), 4)
        fw.add_summary(tbs.audio("aud", np.zeros(100), sample_rate=8000), 5)
        fw.add_summary(tbs.pr_curve("pr", np.array([0, 1, 1]), np.array([0.2, 0.7, 0.9]), 5), 6)
        fw.add_summary(tbs.mesh("m", np.zeros((1, 3, 3)), None, None, None), 7)
        fw.add_summary(tbs.custom_scalars({"c": {"chart": ["Multiline", ["s", "s_new"]]}}))
        fw.add_graph(graph(model, torch.zeros(1, 3)))
        assert fw.get_logdir() == str(tmp_path / "r")
        fw.flush()
    store, info = _one_run(tmp_path / "r")
    assert store.scalars(info.id, "s").value.tolist() == [2.5] and store.scalars(info.id, "s_new").value[0] == 3.5
    (h,) = store.histograms(info.id, "h")
    assert h.stats["count"] == 100 and h.counts.sum() == 100
    assert store.images(info.id, "img")[0].width == 5 and store.texts(info.id, "txt")[0].text == "hello"
    assert store.latest(info.id, "media.audio", key="aud")["sample_rate"] == 8000
    assert store.latest(info.id, "eval.curves", key="pr").positives == [2]
    assert store.latest(info.id, "media.mesh", key="m")["vertices"].shape == (1, 3, 3)
    assert store.latest(info.id, "scalars.layout")["categories"][0]["charts"][0]["tags"] == ["s", "s_new"]
    g = store.latest(info.id, "model.graph")
    assert {"Linear", "ReLU"} <= {n["type"] for n in g.nodes} and g.layout()["nodes"]


def _onnx_file(path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
    nodes = [helper.make_node("Relu", ["x"], ["h"], name="/block/act/Relu"),
             helper.make_node("Sigmoid", ["h"], ["y"], name="/head/Sigmoid")]
    onnx.save(helper.make_model(helper.make_graph(nodes, "tiny", [x], [y])), path)
    return path


def test_add_onnx_graph_stores_a_graph_or_names_the_missing_package(tmp_path, monkeypatch):
    path = _onnx_file(tmp_path / "m.onnx")
    with ts.SummaryWriter(tmp_path / "r") as writer:
        writer.add_onnx_graph(str(path))
    store, info = _one_run(tmp_path / "r")
    g = store.latest(info.id, "model.graph")
    assert {n["type"] for n in g.nodes if n["kind"] == "op"} == {"Relu", "Sigmoid"}
    assert {n["name"] for n in g.nodes if n["kind"] == "module"} >= {"block", "block.act", "head"}
    monkeypatch.setitem(sys.modules, "onnx", None)
    with ts.SummaryWriter(tmp_path / "r2") as writer, pytest.raises(ImportError, match="pip install onnx"):
        writer.add_onnx_graph(str(path))


BAD_CALLS = [
    ("video of 4 dimensions", lambda w: w.add_video("v", torch.rand(2, 3, 8, 8)), "N, T, C, H, W"),
    ("video of 2 channels", lambda w: w.add_video("v", torch.rand(1, 2, 2, 8, 8)), "channels"),
    ("video fps 0", lambda w: w.add_video("v", torch.rand(1, 2, 3, 8, 8), fps=0), "fps"),
    ("audio rate 0", lambda w: w.add_audio("a", torch.zeros(10), sample_rate=0), "sample_rate"),
    ("audio rate fraction", lambda w: w.add_audio("a", torch.zeros(10), sample_rate=44100.5), "sample_rate"),
    ("audio rate text", lambda w: w.add_audio("a", torch.zeros(10), sample_rate="44100"), "sample_rate"),
    ("stereo audio", lambda w: w.add_audio("a", torch.zeros(2, 10)), "one channel"),
    ("mesh with NaN", lambda w: w.add_mesh("m", torch.tensor([[[0.0, float("nan"), 0.0]]])), "finite"),
    ("mesh faces out of range", lambda w: w.add_mesh("m", torch.zeros(1, 3, 3), faces=torch.tensor([[[0, 1, 5]]])),
     "faces index"),
    ("mesh of pairs", lambda w: w.add_mesh("m", torch.zeros(1, 3, 2)), "(B, N, 3)"),
    ("dataformats", lambda w: w.add_image("i", torch.zeros(3, 4, 4), dataformats="CHX"), "dataformats"),
    ("embedding labels", lambda w: w.add_embedding(torch.zeros(3, 2), metadata=["a"]), "#labels"),
    ("embedding of a vector", lambda w: w.add_embedding(torch.zeros(3)), "(N, D)"),
    ("margin chart of 2", lambda w: w.add_custom_scalars_marginchart(["a", "b"]), "3 tags"),
    ("pr raw lengths", lambda w: w.add_pr_curve_raw("p", [1, 2], [1], [1], [1], [1], [1]), "same length"),
    ("histogram raw lengths", lambda w: w.add_histogram_raw("h", 0, 1, 2, 1, 1, [1.0, 2.0], [2]), "bucket_limits"),
    ("histogram raw NaN", lambda w: w.add_histogram_raw("h", 0, 1, 2, 1, 1, [float("nan")], [2]), "finite"),
    ("empty histogram", lambda w: w.add_histogram("h", np.zeros(0)), "no element"),
    ("scalar of 3", lambda w: w.add_scalar("s", torch.zeros(3)), "one number"),
]


@pytest.mark.parametrize(("label", "call", "match"), BAD_CALLS, ids=[b[0] for b in BAD_CALLS])
def test_bad_input_is_a_clear_error_and_nothing_else_is_lost(tmp_path, label, call, match):
    with ts.SummaryWriter(tmp_path / "r") as w:
        w.add_scalar("before", 1.0, 0)
        with pytest.raises(ValueError, match=match.replace("(", r"\(").replace(")", r"\)")):
            call(w)
        w.add_scalar("after", 2.0, 1)
    store, info = _one_run(tmp_path / "r")
    assert {k.key for k in store.keys(info.id)} == {"before", "after"}
    assert info.status == "finished"


def test_hparams_type_errors_and_sweeps(tmp_path):
    with ts.SummaryWriter(tmp_path / "r") as w:
        with pytest.raises(TypeError, match="should be dictionary"):
            w.add_hparams([("lr", 1)], {})
        with pytest.raises(ValueError, match="value should be one of"):
            w.add_hparams({"lr": [1, 2]}, {})
        for i in range(3):  # TensorBoard's docstring: a sweep logged from one writer
            w.add_hparams({"lr": 0.1 * i, "bsize": i}, {"hparam/accuracy": 10 * i})
    store = ts.open(tmp_path / "r")
    runs = sorted(store.runs(), key=lambda r: r.created)
    assert [r.config for r in runs] == [{"lr": 0.1 * i, "bsize": i} for i in range(3)]
    assert [r.summary for r in runs] == [{"hparam/accuracy": 10.0 * i} for i in range(3)]
    assert runs[0].name == "r" and all(r.name.startswith("r/") for r in runs[1:])
