"""import-tensorboard on event files written by the real torch.utils.tensorboard.SummaryWriter: hparams
(into the config, linked to the metrics), PR curves, audio, video, meshes, layouts, embeddings, graphs,
add_scalars sub-runs and purge_step."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
import torch

import torchscope as ts
from torchscope.integrations import import_tensorboard

pytest.importorskip("tensorboard")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TensorBoard's add_graph uses torch.jit


def _write(logdir):
    from torch.utils.tensorboard import SummaryWriter

    rng = np.random.default_rng(0)
    w = SummaryWriter(str(logdir / "exp"))
    for step in range(5):
        w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_scalars("acc", {"train": step / 5, "val": step / 6}, step)
    w.add_hparams({"lr": 0.01, "optimizer": "adam", "wd": None}, {"hparam/acc": 0.9})
    w.add_pr_curve("pr", rng.integers(2, size=50), rng.random(50), 3)
    w.add_audio("sound", np.sin(np.arange(800) / 10.0) * 0.5, 4, sample_rate=8000)
    w.add_video("clip", rng.random((2, 4, 3, 8, 8)).astype(np.float32), 5, fps=8)
    w.add_mesh("cloud", torch.rand(1, 5, 3), colors=torch.randint(0, 255, (1, 5, 3)), global_step=6)
    w.add_custom_scalars({"training": {"acc": ["Multiline", ["acc/train", "acc/val"]]}})
    w.add_embedding(torch.randn(3, 4), metadata=["a", "b", "a"], label_img=torch.rand(3, 1, 6, 6), global_step=7,
                    tag="feat")
    w.add_embedding(torch.randn(3, 4), metadata=[("a", 1), ("b", 2), ("c", 3)], metadata_header=["name", "n"],
                    tag="two")
    w.add_graph(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh()), torch.zeros(1, 4))
    w.close()


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    root = tmp_path_factory.mktemp("imp")
    _write(root / "tb")
    (rid,) = import_tensorboard(root / "tb", to=root / "ts", progress=False)
    store = ts.open(root / "ts")
    yield root / "tb" / "exp", store, store.run(rid)
    store.close()


def _acc(path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(path), size_guidance={"scalars": 0, "tensors": 0, "audio": 0, "images": 0})
    acc.Reload()
    return acc


def test_one_run_with_hparams_in_its_config_linked_to_the_metrics(imported):
    _tb_dir, store, info = imported
    assert len(store.runs()) == 1 and info.name == "exp"  # the hparams session and add_scalars sub-runs merged
    assert {k: info.config[k] for k in ("lr", "optimizer")} == {"lr": 0.01, "optimizer": "adam"}
    assert "wd" not in info.config and info.summary == {"hparam/acc": pytest.approx(0.9)}
    runs = ts.export.to_pandas(store, "runs")
    assert runs.loc[0, "config.lr"] == 0.01 and runs.loc[0, "summary.hparam/acc"] == pytest.approx(0.9)
    assert store.scalars(info.id, "acc/val").value.tolist() == pytest.approx([s / 6 for s in range(5)])


def test_pr_curves_audio_video_mesh_and_layout(imported):
    tb_dir, store, info = imported
    acc = _acc(tb_dir)
    from tensorboard.util import tensor_util

    tb_pr = tensor_util.make_ndarray(acc.Tensors("pr")[0].tensor_proto)
    pr = store.latest(info.id, "eval.curves", key="pr")
    np.testing.assert_allclose(pr.y[0], tb_pr[4][::-1], rtol=1e-6)
    np.testing.assert_allclose(pr.x[0], tb_pr[5][::-1], rtol=1e-6)
    (audio,) = acc.Audio("sound")
    with wave.open(io.BytesIO(audio.encoded_audio_string)) as wav:
        tb_samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
    rec = store.latest(info.id, "media.audio", key="sound")
    assert rec["sample_rate"] == 8000
    np.testing.assert_array_equal(np.round(rec["samples"] * 32767).astype(np.int16), tb_samples)
    video = store.records(info.id, key="clip")
    if video:  # TensorBoard wrote a GIF (moviepy installed)
        assert video[0].kind == "media.video" and video[0].record["frames"].shape[0] == 4
    mesh = store.latest(info.id, "media.mesh", key="cloud")
    np.testing.assert_allclose(mesh["vertices"], tensor_util.make_ndarray(acc.Tensors("cloud_VERTEX")[0].tensor_proto))
    assert mesh["colors"].shape == (1, 5, 3) and mesh["colors"].dtype == np.uint8
    layout = store.latest(info.id, "scalars.layout")["categories"]
    assert layout == [{"title": "training", "charts": [{"title": "acc", "type": "multiline",
                                                        "tags": ["acc/train", "acc/val"]}]}]


def test_embeddings_into_the_projector_and_the_graph(imported):
    _tb_dir, store, info = imported
    (feat,) = store.records(info.id, key="embedding/feat")
    rec = feat.record
    assert feat.step == 7 and rec.kind == "data.projection" and rec.coords.shape == (3, 2)
    assert rec.class_names == ["a", "b"] and rec.labels.tolist() == [0, 1, 0]
    assert rec.thumbnails.shape == (3, 6, 6, 3)
    two = store.latest(info.id, "data.projection", key="embedding/two")
    assert two.params["metadata_header"] == ["name", "n"] and two.params["metadata"][2] == ["c", "3"]
    g = store.latest(info.id, "model.graph")
    assert {"Linear", "Tanh"} <= {n["type"] for n in g.nodes} and any(e["shape"] == [1, 3] for e in g.edges)


def test_the_same_as_our_writer_stores(imported, tmp_path):
    """The import of TensorBoard's files holds what torchscope's SummaryWriter stores for the same calls."""
    _tb_dir, store, info = imported
    rng = np.random.default_rng(0)
    with ts.SummaryWriter(tmp_path / "exp") as w:
        w.add_pr_curve("pr", rng.integers(2, size=50), rng.random(50), 3)
        w.add_audio("sound", np.sin(np.arange(800) / 10.0) * 0.5, 4, sample_rate=8000)
    mine = ts.open(tmp_path / "exp")
    (mid,) = [r.id for r in mine.runs()]
    for kind, key in (("eval.curves", "pr"),):
        a, b = store.latest(info.id, kind, key=key), mine.latest(mid, kind, key=key)
        np.testing.assert_allclose(a.x, b.x, rtol=1e-6)
        np.testing.assert_allclose(a.y, b.y, rtol=1e-6)
    np.testing.assert_allclose(store.latest(info.id, "media.audio", key="sound")["samples"],
                               mine.latest(mid, "media.audio", key="sound")["samples"], atol=1 / 32767)


def test_purge_step_in_the_files_is_applied(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(tmp_path / "tb" / "r"))
    for step in range(10):
        w.add_scalar("x", float(step), step)
    w.close()
    w = SummaryWriter(str(tmp_path / "tb" / "r"), purge_step=6)
    w.add_scalar("x", 60.0, 6)
    w.close()
    (rid,) = import_tensorboard(tmp_path / "tb", to=tmp_path / "ts", progress=False)
    got = ts.open(tmp_path / "ts").scalars(rid, "x")
    tb = _acc(tmp_path / "tb" / "r").Scalars("x")
    assert got.step.tolist() == [e.step for e in tb] == [0, 1, 2, 3, 4, 5, 6]
    assert got.value.tolist() == [e.value for e in tb]
