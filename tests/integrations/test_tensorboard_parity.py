"""The calls of PyTorch's test/test_tensorboard.py, made on both writers; what each stored, compared.

``CALLS`` is PyTorch's list (``TestTensorBoardWriter.test_writer``, the histogram, embedding,
figure, graph and summary tests), with its inputs; TensorBoard's side is read back with its own
``EventAccumulator``, ours with ``ts.open``. Exceptions, each said where it is compared: the video
has 3 channels (TensorBoard's GIF encoder fails on 1 with current imageio), ``add_scalars`` keys
are ``main/tag`` in one run, histograms keep their count/min/max/sum (not TensorBoard's
exponential buckets), boxes are drawn by our renderer.
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest
import torch

import torchscope as ts

pytest.importorskip("tensorboard")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

N_ITER = 0
RATE = 44100
PR_RAW = ([75, 64, 21, 5, 0], [150, 105, 18, 0, 0], [0, 45, 132, 150, 150], [0, 11, 54, 70, 75],
          [0.3333333, 0.3786982, 0.5384616, 1.0, 0.0], [1.0, 0.8533334, 0.28, 0.0666667, 0.0])
MESH_V = np.array([[[1, 1, 1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1]]], dtype=float)
MESH_C = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 0, 255]]], dtype=int)
MESH_F = np.array([[[0, 2, 3], [0, 3, 1], [0, 1, 2], [1, 3, 2]]], dtype=int)
LAYOUT = {"Taiwan": {"twse": ["Multiline", ["twse/0050", "twse/2330"]]},
          "USA": {"dow": ["Margin", ["dow/aaa", "dow/bbb", "dow/ccc"]],
                  "nasdaq": ["Margin", ["nasdaq/aaa", "nasdaq/bbb", "nasdaq/ccc"]]}}
FEATURES = torch.tensor([[1.0, 2.0, 3.0], [5.0, 4.0, 1.0], [3.0, 7.0, 7.0]])
WALL = 1_700_000_000.5


def _rng():
    return np.random.default_rng(0)


def _figure():
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 2))
    ax = plt.gca()
    ax.add_patch(plt.Circle((0.2, 0.5), 0.2, color="r"))
    ax.add_patch(plt.Circle((0.8, 0.5), 0.2, color="g"))
    plt.axis("scaled")
    return fig


def _hist_raw(w):
    floats = _rng().random(50)
    counts, limits = np.histogram(floats, [0.0, 0.25, 0.5, 0.75, 1.0])
    w.add_histogram_raw("float histogram raw", min=floats.min().item(), max=floats.max().item(), num=50,
                        sum=floats.sum().item(), sum_squares=floats.dot(floats).item(),
                        bucket_limits=limits[1:].tolist(), bucket_counts=counts.tolist())
    ints = torch.tensor(range(100)).float()
    counts_t = torch.histc(ints, bins=100, min=0, max=99)
    w.add_histogram_raw("int histogram raw", min=ints.min().item(), max=ints.max().item(), num=50,
                        sum=ints.sum().item(), sum_squares=ints.dot(ints).item(),
                        bucket_limits=torch.tensor(range(100)).tolist(), bucket_counts=counts_t.tolist())


# (label, call): PyTorch's test_tensorboard.py, in its order
CALLS = [
    ("hparams", lambda w: w.add_hparams({"lr": 0.1, "bsize": 1}, {"hparam/accuracy": 10, "hparam/loss": 10})),
    ("scalar", lambda w: w.add_scalar("data/scalar_systemtime", 0.1, N_ITER)),
    ("scalar walltime", lambda w: w.add_scalar("data/scalar_customtime", 0.2, N_ITER, walltime=N_ITER)),
    ("scalar new style", lambda w: w.add_scalar("data/new_style", 0.2, N_ITER, new_style=True)),
    ("scalar tensor", lambda w: w.add_scalar("scalar", torch.autograd.Variable(torch.tensor([0.25])), 0)),
    ("scalars", lambda w: w.add_scalars("data/scalar_group", {"xsinx": N_ITER * np.sin(N_ITER),
                                                             "xcosx": N_ITER * np.cos(N_ITER),
                                                             "arctanx": np.arctan(N_ITER)}, N_ITER)),
    ("images", lambda w: w.add_images("Image", np.zeros((32, 3, 64, 64)), N_ITER)),
    ("image boxes", lambda w: w.add_image_with_boxes("imagebox", np.zeros((3, 64, 64)),
                                                     np.array([[10, 10, 40, 40], [40, 40, 60, 60]]), N_ITER)),
    ("audio", lambda w: w.add_audio("myAudio", np.sin(np.arange(RATE * 2) / 30.0) * 0.5, N_ITER)),
    ("video", lambda w: w.add_video("myVideo", _rng().random((16, 48, 3, 28, 28)).astype(np.float32), N_ITER)),
    ("text", lambda w: w.add_text("Text", "text logged at step:" + str(N_ITER), N_ITER)),
    ("markdown", lambda w: w.add_text("markdown Text", """a|b\n-|-\nc|d""", N_ITER)),
    ("histogram", lambda w: w.add_histogram("hist", _rng().random((100, 100)), N_ITER)),
    ("pr curve", lambda w: w.add_pr_curve("xoxo", _rng().integers(2, size=100), _rng().random(100), N_ITER)),
    ("pr curve raw", lambda w: w.add_pr_curve_raw("prcurve with raw data", *PR_RAW, N_ITER)),
    ("mesh", lambda w: w.add_mesh("my_mesh", vertices=MESH_V, colors=MESH_C, faces=MESH_F)),
    ("histograms", lambda w: (w.add_histogram("float histogram", torch.rand((50,), generator=torch.manual_seed(0))),
                              w.add_histogram("int histogram", torch.randint(0, 100, (50,))),
                              w.add_histogram("bfloat16 histogram", torch.rand(50, dtype=torch.bfloat16)))),
    ("histogram raw", _hist_raw),
    ("histogram auto", lambda w: w.add_histogram("auto", np.arange(1024.0), bins="auto", max_bins=5)),
    ("histogram fd", lambda w: w.add_histogram("fd", np.arange(1024.0), bins="fd", max_bins=5)),
    ("custom scalars", lambda w: w.add_custom_scalars(LAYOUT)),
    ("embedding", lambda w: w.add_embedding(FEATURES, metadata=torch.tensor([33.0, 44.0, 55.0]),
                                            label_img=torch.zeros(3, 3, 5, 5), global_step=2)),
    ("embedding header", lambda w: w.add_embedding(
        FEATURES, metadata=list(zip([33.0, 44.0, 55.0], ["test"] * 2 + ["train"] * 2)),
        label_img=torch.zeros((3, 3, 5, 5), dtype=torch.float64), metadata_header=["digit", "dataset"],
        global_step=3)),
    ("figure", lambda w: w.add_figure("add_figure/figure", _figure(), 0)),
    ("figure list", lambda w: w.add_figure("add_figure/figure_list", [_figure(), _figure()], 1)),
    ("graph", lambda w: w.add_graph(torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU()), (torch.zeros(1, 3),))),
    ("tensor", lambda w: w.add_tensor("tensor", torch.tensor([1.0, 2.0, 3.0]))),
    # walltime= everywhere, and TensorBoard's pixel scaling of floats outside [0, 1]
    ("image walltime", lambda w: w.add_image("wall/image", np.linspace(-0.5, 2.0, 3 * 4 * 5).reshape(3, 4, 5), 7,
                                             walltime=WALL)),
    ("image hw", lambda w: w.add_image("gray", np.arange(64, dtype=np.uint8).reshape(8, 8), 0, dataformats="HW")),
    ("histogram walltime", lambda w: w.add_histogram("wall/hist", np.arange(10.0), 7, walltime=WALL)),
    ("text walltime", lambda w: w.add_text("wall/text", "t", 7, walltime=WALL)),
]


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TensorBoard's add_graph uses torch.jit


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    from torch.utils.tensorboard import SummaryWriter as TBWriter

    root = tmp_path_factory.mktemp("parity")
    for name, writer_class in (("tb", TBWriter), ("ts", ts.SummaryWriter)):
        torch.manual_seed(0)
        with writer_class(str(root / name / "exp")) as w:
            for _label, call in CALLS:
                call(w)
    store = ts.open(root / "ts")
    (info,) = store.runs()
    yield root / "tb" / "exp", store, info
    store.close()


def _acc(path: Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(path), size_guidance={k: 0 for k in ("scalars", "images", "audio", "histograms",
                                                                       "tensors", "compressedHistograms")})
    acc.Reload()
    return acc


def test_every_call_is_accepted_and_makes_one_run(stored):
    _, store, info = stored
    assert info.name == "exp" and info.status == "finished" and len(store.runs()) == 1
    assert len(CALLS) >= 30


def test_scalars_and_walltime(stored):
    tb_dir, store, info = stored
    acc = _acc(tb_dir)
    from tensorboard.util import tensor_util

    for tag in ("data/scalar_systemtime", "data/scalar_customtime", "data/new_style", "scalar"):
        if tag in acc.Tags()["scalars"]:
            (ev,) = acc.Scalars(tag)
            step, value = ev.step, ev.value
        else:  # new_style=True: a tensor
            (ev,) = acc.Tensors(tag)
            step, value = ev.step, tensor_util.make_ndarray(ev.tensor_proto).item()
        got = store.scalars(info.id, tag)
        assert got.step.tolist() == [step] and np.float32(got.value[0]) == np.float32(value)
    assert store.scalars(info.id, "data/scalar_customtime").wall_time.tolist() == [0.0] == \
        [acc.Scalars("data/scalar_customtime")[0].wall_time]
    for sub in ("xsinx", "xcosx", "arctanx"):  # TensorBoard: a sub-run per tag; here main/tag keys of the run
        (ev,) = _acc(tb_dir / f"data_scalar_group_{sub}").Scalars("data/scalar_group")
        assert np.float32(store.scalars(info.id, f"data/scalar_group/{sub}").value[0]) == np.float32(ev.value)


def test_hparams_into_the_config_linked_to_the_metrics(stored):
    tb_dir, store, info = stored
    (session,) = [p for p in tb_dir.iterdir() if p.is_dir() and p.name[0].isdigit() and "." in p.name]
    acc = _acc(session)
    from tensorboard.plugins.hparams import plugin_data_pb2

    content = acc.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    start = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    assert {k: v.number_value for k, v in start.hparams.items()} == info.config
    for tag in ("hparam/accuracy", "hparam/loss"):
        assert acc.Scalars(tag)[0].value == info.summary[tag] == store.scalars(info.id, tag).value[0]


def _tb_image(acc, tag):
    from PIL import Image

    ev = acc.Images(tag)[-1]
    return ev, np.asarray(Image.open(io.BytesIO(ev.encoded_image_string)))


def test_images_are_scaled_and_tiled_as_tensorboard(stored):
    tb_dir, store, info = stored
    acc = _acc(tb_dir)
    for tag in ("Image", "wall/image", "gray", "add_figure/figure", "add_figure/figure_list"):
        ev, tb_pixels = _tb_image(acc, tag)
        mine = store.images(info.id, tag)[-1]
        assert (mine.width, mine.height, mine.step) == (ev.width, ev.height, ev.step), tag
        np.testing.assert_array_equal(mine.to_numpy(), tb_pixels, err_msg=tag)
    assert store.images(info.id, "Image")[0].width == 8 * 64  # 32 images: 8 a row, 4 rows
    assert store.images(info.id, "wall/image")[0].wall_time == WALL == _tb_image(acc, "wall/image")[0].wall_time
    ev, _ = _tb_image(acc, "imagebox")  # boxes: our renderer draws them, the size and the boxes are the same
    box = store.images(info.id, "imagebox")[0]
    assert (box.width, box.height) == (ev.width, ev.height)
    det = store.latest(info.id, "explain.detections", key="imagebox")
    np.testing.assert_array_equal(np.asarray(det.boxes), [[10, 10, 40, 40], [40, 40, 60, 60]])


def test_histograms_keep_tensorboards_count_min_max_and_sum(stored):
    tb_dir, store, info = stored
    acc = _acc(tb_dir)
    for tag in ("hist", "float histogram", "int histogram", "bfloat16 histogram", "wall/hist"):
        tb = acc.Histograms(tag)[0].histogram_value
        (mine,) = store.histograms(info.id, tag)
        assert mine.stats["count"] == tb.num == mine.counts.sum(), tag
        assert (mine.stats["min"], mine.stats["max"]) == pytest.approx((tb.min, tb.max)), tag
        assert mine.stats["sum"] == pytest.approx(tb.sum, rel=1e-6), tag
    assert store.histograms(info.id, "wall/hist")[0].wall_time == WALL
    for tag in ("float histogram raw", "int histogram raw", "auto", "fd"):  # exact: TensorBoard's own buckets
        tb = acc.Histograms(tag)[0].histogram_value
        (mine,) = store.histograms(info.id, tag)
        assert mine.counts.tolist() == list(tb.bucket), tag
        np.testing.assert_array_equal(mine.edges[1:], np.minimum(np.asarray(tb.bucket_limit), tb.max))
        assert mine.stats["count"] == tb.num and mine.stats["sum_squares"] == pytest.approx(tb.sum_squares)


def test_text_audio_video_and_mesh(stored):
    tb_dir, store, info = stored
    acc = _acc(tb_dir)
    from tensorboard.util import tensor_util

    for tag in ("Text", "markdown Text", "wall/text"):
        tb_text = tensor_util.make_ndarray(acc.Tensors(f"{tag}/text_summary")[0].tensor_proto).reshape(-1)[0]
        assert store.texts(info.id, tag)[0].text == tb_text.decode()
    assert store.texts(info.id, "wall/text")[0].wall_time == WALL
    (audio,) = acc.Audio("myAudio")
    with wave.open(io.BytesIO(audio.encoded_audio_string)) as wav:
        tb_samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
    rec = store.latest(info.id, "media.audio", key="myAudio")
    assert rec["sample_rate"] == audio.sample_rate == RATE
    with wave.open(io.BytesIO(rec.wav)) as wav:  # the same 16-bit samples in the same WAV layout
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE)
        np.testing.assert_array_equal(np.frombuffer(wav.readframes(wav.getnframes()), "<i2"), tb_samples)
    video = store.latest(info.id, "media.video", key="myVideo")
    frames = video["frames"]
    from torch.utils.tensorboard._utils import _prepare_video

    reference = _prepare_video(_rng().random((16, 48, 3, 28, 28)).astype(np.float32))
    expected = (reference.astype(np.float32) * 255).clip(0, 255).astype(np.uint8)
    assert frames.shape == expected.shape and video.fps == 4
    if video.mime == "image/png":  # no PyAV: the lossless frame sprite
        np.testing.assert_array_equal(frames, expected)
    else:  # H.264 is lossy (TensorBoard's GIF is too: 256 colours); uniform noise is its hardest input
        assert np.abs(frames.astype(np.int16) - expected).mean() < 4  # GIF: 14.6 on the same frames
    ev, gif = _tb_image(acc, "myVideo")  # TensorBoard's GIF (when moviepy is there): the same frame size
    assert frames.shape[1:3] == gif.shape[:2] == (ev.height, ev.width)
    mesh = store.latest(info.id, "media.mesh", key="my_mesh")
    from torchscope.media import Audio, Points, Video

    assert isinstance(rec, Audio) and isinstance(video, Video) and isinstance(mesh, Points)  # what log_* store
    for part, tb_tag in (("vertices", "my_mesh_VERTEX"), ("faces", "my_mesh_FACE"), ("colors", "my_mesh_COLOR")):
        tb_arr = tensor_util.make_ndarray(acc.Tensors(tb_tag)[0].tensor_proto)
        np.testing.assert_array_equal(mesh[part], tb_arr, err_msg=part)


def test_pr_curves_tensors_layouts_embeddings_and_graph(stored):
    tb_dir, store, info = stored
    acc = _acc(tb_dir)
    from tensorboard.util import tensor_util

    for tag in ("xoxo", "prcurve with raw data"):
        tb = tensor_util.make_ndarray(acc.Tensors(tag)[0].tensor_proto)
        (rec,) = [e.record for e in store.records(info.id, key=tag)]
        assert rec.kind == "eval.curves"
        np.testing.assert_allclose(rec.x[0], tb[5][::-1], rtol=1e-6)  # recall, thresholds high -> low
        np.testing.assert_allclose(rec.y[0], tb[4][::-1], rtol=1e-6)  # precision
        assert rec.positives[0] == tb[0][0] + tb[3][0]
    tensor = store.latest(info.id, "tensor", key="tensor")["value"]
    np.testing.assert_array_equal(tensor, tensor_util.make_ndarray(acc.Tensors("tensor")[0].tensor_proto))
    from tensorboard.plugins.custom_scalar import layout_pb2

    tb_layout = layout_pb2.Layout.FromString(
        tensor_util.make_ndarray(acc.Tensors("custom_scalars__config__")[0].tensor_proto).reshape(-1)[0])
    layout = store.latest(info.id, "scalars.layout")["categories"]
    assert [c["title"] for c in layout] == [c.title for c in tb_layout.category]
    assert [ch["tags"] for c in layout for ch in c["charts"]] == [
        list(ch.multiline.tag) or [ch.margin.series[0].value, ch.margin.series[0].lower, ch.margin.series[0].upper]
        for c in tb_layout.category for ch in c.chart]
    embeddings = store.records(info.id, key="embedding/default")
    assert [e.step for e in embeddings] == [2, 3]
    for entry, sub in zip(embeddings, ("00002", "00003")):
        rec = entry.record
        tb_mat = np.loadtxt(tb_dir / sub / "default" / "tensors.tsv", ndmin=2)
        assert len(rec.coords) == len(tb_mat) == 3 and rec.thumbnails.shape[:3] == (3, 5, 5)
    tb_meta = (tb_dir / "00003" / "default" / "metadata.tsv").read_text().splitlines()
    assert embeddings[1].record.params["metadata_header"] == tb_meta[0].split("\t")
    assert ["\t".join(r) for r in embeddings[1].record.params["metadata"]] == [
        line.replace("tensor(", "").replace(".)", ".0") for line in tb_meta[1:]]
    tb_ops = [n.op for n in _graph_nodes(acc)]
    graph = store.latest(info.id, "model.graph")
    assert "aten::linear" in tb_ops and {"Linear", "ReLU"} <= {n["type"] for n in graph.nodes}


def _graph_nodes(acc):
    return list(acc.Graph().node)


def test_the_context_manager_closes_like_tensorboard(tmp_path):
    from torch.utils.tensorboard import SummaryWriter as TBWriter

    for writer_class in (TBWriter, ts.SummaryWriter):
        with writer_class(tmp_path / writer_class.__module__) as writer:  # a pathlib.Path works too
            writer.add_scalar("test", 1)
            assert writer.file_writer is not None and writer._get_file_writer() is writer.file_writer
            assert set(writer.all_writers) == {writer.file_writer.get_logdir()}
        assert writer.file_writer is None and writer.all_writers is None
        writer.close()  # a second close is harmless
        assert len(writer.default_bins) > 1000


def test_a_failing_forward_raises_as_tensorboard(tmp_path):
    with pytest.raises(RuntimeError), ts.SummaryWriter(tmp_path / "g") as w:
        w.add_graph(torch.nn.Linear(3, 5), torch.rand(1, 9))

    class ModelDict(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.l = torch.nn.Linear(3, 5)

        def forward(self, x):
            return {"out": self.l(x)}

    with ts.SummaryWriter(tmp_path / "d") as w:
        w.add_graph(ModelDict(), torch.zeros(1, 3), use_strict_trace=False)
    assert ts.open(tmp_path / "d").latest(ts.open(tmp_path / "d").runs()[0].id, "model.graph").nodes


def test_every_public_name_of_tensorboards_writer_is_here(tmp_path):
    from torch.utils.tensorboard import SummaryWriter as TBWriter

    tb = TBWriter(str(tmp_path / "tb"))
    ours = ts.SummaryWriter(tmp_path / "ts")
    try:
        names = {n for n in dir(tb) if not n.startswith("__")}
        missing = sorted(n for n in names if not hasattr(ours, n))
        assert not missing, missing
        import inspect

        for n in names:
            if callable(getattr(TBWriter, n, None)) and not n.startswith("_"):
                theirs = list(inspect.signature(getattr(TBWriter, n)).parameters)
                mine = list(inspect.signature(getattr(ts.SummaryWriter, n)).parameters)[:len(theirs)]
                assert mine == theirs, n
    finally:
        tb.close()
        ours.close()
