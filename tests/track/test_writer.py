"""The background writer: one item the store refuses is isolated and dropped, loudly; everything
else is written, the training loop never hangs, and the run says what was lost."""

from __future__ import annotations

import sqlite3
import threading
import time

import numpy as np
import pytest

import torchscope as ts
from torchscope.track.messages import ImageMsg, Message, RecordMsg, TextMsg
from torchscope.track.writer import ERRORS_KEY, is_data_error


def _unstorable_items(rank: int = 0) -> list[Message]:
    """Queue messages that get past no check of the public API (so they are put straight on the queue):
    each makes SQLite refuse the whole transaction it is in."""
    now = time.time()
    return [
        TextMsg("bad/step", rank, 2**64, now, "a step SQLite cannot hold"),             # OverflowError on bind
        TextMsg("bad/text", rank, 1, now, "lone \udcff surrogate"),                      # UnicodeEncodeError
        TextMsg("bad/wall", rank, 1, float("nan"), "a NaN wall (NOT NULL)"),             # IntegrityError
        RecordMsg("bad\udcffkey", rank, 1, now, "k", "{}", {}, 2),                       # the key itself
    ]


def test_one_unstorable_item_costs_only_itself(store_dir, capsys):
    run = ts.init(dir=store_dir, flush_interval=0.05)
    run.log({"before": 1.0}, step=0)
    run.flush()
    for item in _unstorable_items():
        run.log({"loss": 0.5})
        run._writer.put(item)
        run.log_text("notes", "kept")
        run.log_image("img", np.eye(8))
    run._writer.put_scalars(7, float("nan"), {"nan_wall": 1.0})  # a NaN wall in a scalar chunk (NOT NULL)
    run.log({"after": 2.0}, step=100)
    run.finish()  # does not raise: the refused items are said, not fatal
    err = capsys.readouterr().err
    assert err.count("could not store") == 5 and "the rest of the data is written" in err
    store = ts.open(store_dir)
    (info,) = store.runs()
    assert info.status == "finished"
    assert "5 item(s) could not be stored" in info.error and "bad/step" in info.error
    assert store.scalars(info.id, "before").value.tolist() == [1.0]
    assert store.scalars(info.id, "after").value.tolist() == [2.0]
    assert store.scalars(info.id, "loss").value.tolist() == [0.5] * 4
    assert [t.text for t in store.texts(info.id, "notes")] == ["kept"] * 4
    assert len(store.images(info.id, "img")) == 4
    notes = [t.text for t in store.texts(info.id, ERRORS_KEY)]
    assert len(notes) == 5 and any("nan_wall" in n for n in notes) and any("\\udcff" in n for n in notes)
    keys = {k.key for k in store.keys(info.id)}
    assert not keys & {"bad/step", "bad/text", "bad/wall", "nan_wall"}


def test_a_message_that_cannot_be_converted_costs_only_itself(store_dir, capsys):
    """A message the writer cannot turn into a row (here pixels no PNG holds) is dropped alone, named by
    its kind, key and step; its media bytes are released (backpressure by size does not creep up)."""
    run = ts.init(dir=store_dir, flush_interval=0.05)
    writer = run._writer
    bad = np.zeros((2, 2, 2, 2, 2), np.float32)  # five dimensions: never an image
    writer.put(ImageMsg("bad/img", 0, 7, time.time(), None, bad, None, 4096))
    run.log_image("good/img", np.eye(8), step=7)
    run.flush()
    assert writer.pending_bytes == 0
    run.finish()
    err = capsys.readouterr().err
    assert "could not store the image 'bad/img' at step 7" in err
    store = ts.open(store_dir)
    (info,) = store.runs()
    assert info.status == "finished" and "the image 'bad/img' at step 7" in info.error
    assert [e.step for e in store.images(info.id, "good/img")] == [7]
    assert "bad/img" not in {k.key for k in store.keys(info.id)}


def test_steady_logging_after_an_unstorable_item_never_hangs(store_dir):
    """Today's bug: the poisoned batch was retried forever, the queue filled, log() blocked for good."""
    run = ts.init(dir=store_dir, flush_interval=0.02)
    writer = run._writer
    writer.max_items, writer._soft_items = 2000, 500
    run._writer.put(_unstorable_items()[0])
    done = threading.Event()

    def train() -> None:
        for i in range(20_000):
            run.log({"a": float(i), "b": 1.0}, step=i)
            if i % 1000 == 0:
                run.log_text("t", str(i))
        done.set()

    t = threading.Thread(target=train, daemon=True)
    t.start()
    assert done.wait(60), "log() blocked behind an item the store refused"
    run.finish()
    store = ts.open(store_dir)
    (info,) = store.runs()
    assert len(store.scalars(info.id, "a")) == 20_000 and info.status == "finished"


def test_an_environmental_error_keeps_the_data_and_retries(store_dir, capsys):
    """A lock or a full disk is not the data's fault: nothing is dropped, the batch is written later."""
    run = ts.init(dir=store_dir, flush_interval=0.02)
    store = run._writer.store
    real_write, fails = store.write, [3]

    def flaky(batch):
        if fails[0]:
            fails[0] -= 1
            raise sqlite3.OperationalError("database or disk is full")
        real_write(batch)

    store.write = flaky
    for i in range(100):
        run.log({"x": float(i)}, step=i)
    run.finish()
    assert fails[0] == 0
    assert "retried" in capsys.readouterr().err
    reader = ts.open(store_dir)
    (info,) = reader.runs()
    assert reader.scalars(info.id, "x").value.tolist() == [float(i) for i in range(100)]
    assert info.status == "finished" and not info.error


def test_a_write_that_never_succeeds_marks_the_run_crashed(store_dir):
    """finish() raises and the run does not look complete when its data could not be saved."""
    run = ts.init(dir=store_dir, flush_interval=0.02)
    store = run._writer.store

    def broken(batch):
        raise sqlite3.OperationalError("disk I/O error")

    store.write = broken
    run.log({"x": 1.0})
    with pytest.raises(RuntimeError, match="could not write"):
        run.finish()
    (info,) = ts.open(store_dir).runs()
    assert info.status == "crashed" and "disk I/O error" in info.error


@pytest.mark.parametrize(("exc", "data"), [
    (sqlite3.IntegrityError("NOT NULL constraint failed"), True),
    (OverflowError("Python int too large to convert to SQLite INTEGER"), True),
    (UnicodeEncodeError("utf-8", "\udcff", 0, 1, "surrogates not allowed"), True),
    (sqlite3.OperationalError("database is locked"), False),
    (sqlite3.OperationalError("database or disk is full"), False),
    (sqlite3.DatabaseError("database disk image is malformed"), False),
    (OSError(28, "No space left on device"), False),
])
def test_data_errors_are_told_from_environmental_ones(exc, data):
    assert is_data_error(exc) is data
