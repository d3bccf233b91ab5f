"""The tracker's extension API: ``advance=False`` on every log method, ``run.on_writer_thread`` and the
``WriterBatch`` its functions receive. An extension written against them alone (as ``run.watch`` is)
logs at its own steps, reads device values off the training thread, and never disturbs the user's logs."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

import torchscope as ts
from torchscope.records import GenericRecord
from torchscope.track.writer import ERRORS_KEY


class NormTracker:
    """A small extension as a user would write one: each call samples a weight's norm on the device
    and hands the reading to the writer thread; histograms go at the extension's own steps."""

    def __init__(self, run: ts.Run, weight: torch.Tensor) -> None:
        self.run, self.weight, self.threads = run, weight, set()

    def sample(self, step: int) -> None:
        norm = self.weight.detach().norm()  # stays on the device: read on the writer thread
        self.run.log_histogram("ext/weight", self.weight, step, advance=False)

        def resolve(out) -> None:
            self.threads.add(threading.current_thread().name)
            value = norm.item()
            out.add_scalars("ext/norm", [step], [value])
            if value > 2.0:
                out.add_record(GenericRecord(kind="ext.alarm", data={"norm": value}), step=step, key="ext/alarms")

        self.run.on_writer_thread(resolve)


def test_an_extension_built_on_the_public_hooks(store_dir):
    weight = torch.nn.Parameter(torch.ones(4))
    with ts.init(dir=store_dir) as run:
        ext = NormTracker(run, weight)
        for step in range(6):
            run.log({"loss": 1.0 / (step + 1)})  # auto steps 0..5
            if step % 2 == 0:
                ext.sample(100 + step)
            with torch.no_grad():
                weight.mul_(1.2)
        run.flush()  # returns once the handed-over work has run
        store = ts.open(store_dir)
        assert store.scalars(run.id, "ext/norm").step.tolist() == [100, 102, 104]
    assert ext.threads == {"torchscope-writer"}
    assert store.scalars(run.id, "loss").step.tolist() == [0, 1, 2, 3, 4, 5]
    norms = store.scalars(run.id, "ext/norm").value
    assert norms == pytest.approx([2 * 1.2**s for s in (0, 2, 4)])
    assert [h.step for h in store.histograms(run.id, "ext/weight")] == [100, 102, 104]
    alarms = store.records(run.id, kind="ext.alarm")
    assert [(e.key, e.step) for e in alarms] == [("ext/alarms", 102), ("ext/alarms", 104)]
    assert alarms[0].record.data["norm"] == pytest.approx(2 * 1.44)


LOGGERS = {
    "log": lambda run, step, advance: run.log({"k": 1.0}, step, advance=advance),
    "log_text": lambda run, step, advance: run.log_text("k", "x", step, advance=advance),
    "log_histogram": lambda run, step, advance: run.log_histogram("k", np.ones(3), step, advance=advance),
    "log_image": lambda run, step, advance: run.log_image("k", np.eye(4), step, advance=advance),
    "log_record": lambda run, step, advance: run.log_record({"a": 1}, step, kind="k.k", advance=advance),
}


@pytest.mark.parametrize("name", list(LOGGERS))
def test_advance_false_leaves_the_step_counter_alone(store_dir, name):
    with ts.init(dir=store_dir) as run:
        run.log({"user": 0.0})               # step 0; the coming step is 1
        LOGGERS[name](run, None, False)      # at the coming step, counter unchanged
        LOGGERS[name](run, 500, False)       # at its own step, counter unchanged
        run.log({"user": 1.0})               # still step 1
        LOGGERS[name](run, None, True)       # step 2, the counter moves on
        run.log({"user": 2.0})
    store = ts.open(store_dir)
    assert store.scalars(run.id, "user").step.tolist() == [0, 1, 3]
    kind = {"log": "scalars", "log_text": "texts", "log_histogram": "histograms", "log_image": "images"}.get(name)
    if kind == "scalars":
        steps = store.scalars(run.id, "k").step.tolist()
    elif kind is not None:
        steps = [e.step for e in getattr(store, kind)(run.id, "k")]
    else:
        steps = [e.step for e in store.records(run.id, kind="k.k")]
    assert sorted(steps) == [1, 2, 500]


def test_a_failing_hook_costs_only_itself(store_dir, capsys):
    def broken(out) -> None:
        raise RuntimeError("device fell over")

    with ts.init(dir=store_dir) as run:
        run.on_writer_thread(lambda out: out.add_scalars("before", [0], [1.0]))
        run.on_writer_thread(broken)
        run.on_writer_thread(lambda out: out.add_scalars("bad\x00key", [0], [1.0]))  # refused: NUL in a key
        run.on_writer_thread(lambda out: out.add_scalars("short", [0, 1], [1.0]))    # refused: lengths differ
        run.on_writer_thread(lambda out: out.add_scalars("after", [0], [2.0]))
        run.log({"x": 1.0})
    err = capsys.readouterr().err
    assert "could not store the work handed to the writer thread" in err and "device fell over" in err
    store = ts.open(store_dir)
    info = store.run(run.id)
    assert info.status == "finished" and "3 item(s) could not be stored" in info.error
    assert "test_a_failing_hook_costs_only_itself.<locals>.broken" in info.error
    assert store.scalars(run.id, "before").value.tolist() == [1.0]
    assert store.scalars(run.id, "after").value.tolist() == [2.0]
    assert store.scalars(run.id, "x").value.tolist() == [1.0]
    assert len(store.texts(run.id, ERRORS_KEY)) == 3


def test_on_writer_thread_checks_its_argument_and_the_run(store_dir):
    run = ts.init(dir=store_dir)
    with pytest.raises(TypeError, match="a function of one argument"):
        run.on_writer_thread("not callable")
    run.finish()
    with pytest.raises(RuntimeError, match="is finished"):
        run.on_writer_thread(lambda out: None)


def test_writer_batch_records_carry_the_runs_rank(store_dir):
    with ts.init(dir=store_dir) as run:
        seen = []
        run.on_writer_thread(lambda out: seen.append((out.rank, repr(out))))
        run.on_writer_thread(lambda out: out.add_record(GenericRecord(kind="ext.note", data={"n": 1}), step=3))
    assert seen[0][0] == 0 and seen[0][1].startswith("WriterBatch(rank=0")
    (entry,) = ts.open(store_dir).records(run.id, kind="ext.note")
    assert (entry.key, entry.step, entry.rank, entry.record.data) == ("ext.note", 3, 0, {"n": 1})
