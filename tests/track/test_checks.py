"""Every value the tracker cannot store is refused at the call, with an error naming the argument,
and the run goes on: what was logged before and after is all written, finish() succeeds."""

from __future__ import annotations

import os

import numpy as np
import pytest

import torchscope as ts
from torchscope.track.checks import MAX_KEY, MAX_STEP, check_key, printable

SURROGATE = os.fsdecode(b"img_\xff.png")  # what os.listdir gives for a file name that is not UTF-8


def _bad_calls(run):
    """(call, what the error must mention): each refused today at the call, none poisons the run."""
    img = np.zeros((8, 8), np.float32)
    return [
        (lambda: run.log_text("files", SURROGATE), "text"),
        (lambda: run.log({SURROGATE: 1.0}), "key"),
        (lambda: run.log({"a\ud800b": 1.0}), "key"),
        (lambda: run.log_image(SURROGATE, img), "key"),
        (lambda: run.log_image("img", img, caption=SURROGATE), "caption"),
        (lambda: run.log_histogram("h\udcff", [1.0, 2.0]), "key"),
        (lambda: run.log_record({"a": 1}, kind="k\ud800"), "kind"),
        (lambda: run.log({"x": 1.0}, wall_time=float("nan")), "wall_time"),
        (lambda: run.log({"x": 1.0}, wall_time=float("inf")), "wall_time"),
        (lambda: run.log({"x": 1.0}, wall_time=10**400), "wall_time"),
        (lambda: run.log({"x": 1.0}, wall_time="now"), "wall_time"),
        (lambda: run.log({"x": 1.0}, step=2**63), "step"),
        (lambda: run.log({"x": 1.0}, step=2**63 - 1), "step"),
        (lambda: run.log({"x": 1.0}, step=-(2**63) - 1), "step"),
        (lambda: run.log_text("t", "x", step=2**70), "step"),
        (lambda: run.log({"k": 10**400}), "too large"),
        (lambda: run.log({"k": -(10**400)}), "too large"),
        (lambda: run.log({"x" * (MAX_KEY + 1): 1.0}), "key"),
        (lambda: run.log({"a\x00b": 1.0}), "key"),
        (lambda: run.log({"": 1.0}), "key"),
        (lambda: run.log_image("img", img, nrow=-1), "nrow"),
        (lambda: run.log_image("img", img, nrow=0), "nrow"),
        (lambda: run.log_image("img", img, nrow=1.5), "nrow"),
        (lambda: run.log_image("img", img, nrow="2"), "nrow"),
        (lambda: run.log_image("img", img, nrow=True), "nrow"),
        (lambda: run.log_image("img", np.zeros((16, 16, 3), np.uint8), boxes=[[1, 2, 3]]), "N x 4"),
        (lambda: run.log_image("img", np.zeros((16, 16, 3), np.uint8), boxes=[[1, 2, 3, 4], [1, 2]]), "N x 4"),
        (lambda: run.log_image("img", np.zeros((16, 16, 3), np.uint8), boxes=[["a", "b", "c", "d"]]), "boxes"),
    ]


def test_unstorable_values_are_refused_at_the_call_and_the_run_goes_on(store_dir, capsys):
    run = ts.init(dir=store_dir, flush_interval=0.05)
    run.log({"x": 0.0}, step=0)
    for i, (call, mention) in enumerate(_bad_calls(run)):
        with pytest.raises((ValueError, TypeError)) as err:
            call()
            pytest.fail(f"bad call {i} was accepted")
        assert mention in str(err.value), (mention, str(err.value))
        run.log({"x": 1.0})  # between every refusal the run keeps logging
    run.log_text("files", printable(SURROGATE))
    run.log({"x": 2.0}, step=MAX_STEP - 1)
    run.log({"x": 3.0})  # the auto-step is MAX_STEP: still storable
    with pytest.raises(ValueError, match="step"):
        run.log({"x": 4.0})  # the next one would not fit
    run.finish()
    assert capsys.readouterr().err == ""  # nothing reached the writer to be dropped there
    store = ts.open(store_dir)
    (info,) = store.runs()
    assert info.status == "finished" and not info.error
    got = store.scalars(info.id, "x")
    assert got.value.tolist() == [0.0] + [1.0] * len(_bad_calls(run)) + [2.0, 3.0]
    assert got.step[-1] == MAX_STEP
    assert [t.text for t in store.texts(info.id, "files")] == ["img_\\xff.png"]


def test_the_surrogate_error_says_how_to_store_the_name_readably():
    with pytest.raises(ValueError) as err:
        check_key(SURROGATE)
    assert "os.fsdecode" in str(err.value) and "backslashreplace" in str(err.value)
    assert printable(SURROGATE) == "img_\\xff.png"
    assert printable("ok ü 损失") == "ok ü 损失"


@pytest.mark.parametrize("kw", [{"name": "\ud800"}, {"project": "p\udcff"}, {"tags": ["ok", "t\ud800"]},
                                {"name": "x" * (MAX_KEY + 1)}, {"name": "a\x00"}])
def test_init_refuses_names_it_could_not_store(store_dir, kw):
    with pytest.raises(ValueError, match=next(iter(kw)).rstrip("s")):
        ts.init(dir=store_dir, **kw)


def test_every_key_log_accepts_reads_back_through_the_series_api(store_dir):
    """One rule for keys: the longest, most unusual key log() accepts is served by the dashboard."""
    from starlette.testclient import TestClient

    from torchscope.server.app import create_app

    key = ("训练/损失 خسارة Δ потеря " * 60)[: MAX_KEY - 1] + "!"
    assert len(key) == MAX_KEY
    with ts.init(dir=store_dir) as run:
        run.log({key: 1.5}, step=3)
    client = TestClient(create_app(store_dir), base_url="http://127.0.0.1")
    client.get("/")
    resp = client.get("/api/scalars/series", params={"key": key, "run": run.id})
    assert resp.status_code == 200, resp.text
    assert "1.5" in resp.text
