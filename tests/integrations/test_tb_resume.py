"""purge_step and reopening a log_dir: the run resumes, as TensorBoard shows it (one run per directory)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchscope as ts

pytest.importorskip("tensorboard")


def _crash_and_resume(writer_class, logdir, purge_step):
    """TensorBoard's documented case: logging crashes at step T+X and restarts at step T."""
    w = writer_class(str(logdir))
    for step in range(10):
        w.add_scalar("loss", 10.0 - step, step)
        w.add_scalar("other", float(step), step)
        w.add_histogram("h", np.arange(5.0) + step, step)
        w.add_text("t", f"at {step}", step)
        w.add_image("img", np.full((3, 2, 2), step / 10), step)
    w.close()
    w = writer_class(str(logdir), purge_step=purge_step)
    for step in range(purge_step, purge_step + 3):
        w.add_scalar("loss", 100.0 + step, step)
    w.close()


def test_purge_step_drops_the_later_steps_and_the_run_resumes(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from torch.utils.tensorboard import SummaryWriter as TBWriter

    _crash_and_resume(TBWriter, tmp_path / "tb", 4)
    _crash_and_resume(ts.SummaryWriter, tmp_path / "ts", 4)
    acc = EventAccumulator(str(tmp_path / "tb"), size_guidance={"scalars": 0, "histograms": 0, "images": 0,
                                                                 "tensors": 0})
    acc.Reload()
    store = ts.open(tmp_path / "ts")
    (info,) = store.runs()  # one run, not a second one with the same name
    assert info.status == "finished"
    for tag in ("loss", "other"):
        tb = acc.Scalars(tag)
        mine = store.scalars(info.id, tag)
        assert mine.step.tolist() == [e.step for e in tb]
        assert mine.value.tolist() == [e.value for e in tb]
    assert store.scalars(info.id, "loss").step.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert [h.step for h in store.histograms(info.id, "h")] == [e.step for e in acc.Histograms("h")] == [0, 1, 2, 3]
    assert [t.step for t in store.texts(info.id, "t")] == [0, 1, 2, 3]
    assert [i.step for i in store.images(info.id, "img")] == [e.step for e in acc.Images("img")] == [0, 1, 2, 3]


def test_a_long_series_cut_inside_a_chunk_keeps_its_earlier_points(tmp_path):
    with ts.SummaryWriter(tmp_path / "r") as w:
        for step in range(50_000):
            w.add_scalar("x", float(step), step)
    with ts.SummaryWriter(tmp_path / "r", purge_step=20_000) as w:
        w.add_scalar("x", -1.0, 20_000)
    store = ts.open(tmp_path / "r")
    (info,) = store.runs()
    got = store.scalars(info.id, "x")
    assert got.step.tolist() == [*range(20_000), 20_000] and got.value[-1] == -1.0
    assert got.value[:20_000].tolist() == [float(s) for s in range(20_000)]
    view = store.scalars(info.id, "x", downsample=100)  # the summaries of the cut chunk are rebuilt
    assert view.max.max() == 19_999.0 and view.min.min() == -1.0


def test_writing_again_after_close_continues_the_run(tmp_path):
    w = ts.SummaryWriter(tmp_path / "r", config={"lr": 0.1})
    w.add_scalar("a", 1.0, 0)
    w.close()
    w.add_scalar("a", 2.0, 1)  # TensorBoard reopens its file writer: so do we, on the same run
    w.close()
    with ts.SummaryWriter(tmp_path / "r") as again:  # a new process writing into the same directory
        again.add_scalar("a", 3.0, 2)
    (info,) = ts.open(tmp_path / "r").runs()
    assert ts.open(tmp_path / "r").scalars(info.id, "a").value.tolist() == [1.0, 2.0, 3.0]
    assert info.config == {"lr": 0.1} and info.status == "finished"


def test_a_run_of_ts_init_in_the_same_directory_is_left_alone(tmp_path):
    with ts.init(project="p", name="r", dir=tmp_path / "r") as run:
        run.log({"a": 1.0}, step=5)
    with ts.SummaryWriter(tmp_path / "r", purge_step=0) as w:
        w.add_scalar("a", 2.0, 0)
    store = ts.open(tmp_path / "r")
    assert sorted(len(store.scalars(r.id, "a")) for r in store.runs()) == [1, 1]


def test_a_session_log_start_event_purges_as_tensorboards_reader_does(tmp_path):
    from tensorboard.compat.proto.event_pb2 import Event, SessionLog

    with ts.SummaryWriter(tmp_path / "r") as w:
        for step in range(6):
            w.add_scalar("x", float(step), step)
        w.file_writer.add_event(Event(step=3, session_log=SessionLog(status=SessionLog.START)))
        w.add_scalar("x", 30.0, 3)
    (info,) = ts.open(tmp_path / "r").runs()
    assert ts.open(tmp_path / "r").scalars(info.id, "x").value.tolist() == [0.0, 1.0, 2.0, 30.0]


def test_walltime_is_kept_on_every_kind(tmp_path):
    wall = 1_600_000_000.25
    with ts.SummaryWriter(tmp_path / "r") as w:
        w.add_scalar("s", 1.0, 0, walltime=wall)
        w.add_image("i", torch.zeros(3, 2, 2), 0, walltime=wall)
        w.add_histogram("h", torch.arange(4.0), 0, walltime=wall)
        w.add_histogram_raw("hr", 0, 1, 2, 1, 1, [1.0], [2], 0, walltime=wall)
        w.add_text("t", "x", 0, walltime=wall)
        w.add_audio("a", torch.zeros(10), 0, walltime=wall)
        w.add_pr_curve("p", [0, 1], [0.2, 0.8], 0, walltime=wall)
    store = ts.open(tmp_path / "r")
    (info,) = store.runs()
    assert store.scalars(info.id, "s").wall_time.tolist() == [wall]
    assert store.images(info.id, "i")[0].wall_time == wall
    assert [h.wall_time for k in ("h", "hr") for h in store.histograms(info.id, k)] == [wall, wall]
    assert store.texts(info.id, "t")[0].wall_time == wall
    assert {e.wall_time for e in store.records(info.id)} == {wall}
